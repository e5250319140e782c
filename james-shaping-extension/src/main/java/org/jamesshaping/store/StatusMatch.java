package org.jamesshaping.store;

/** An operator status and the key (address or CIDR) it was set on. */
public final class StatusMatch {
    private final ReputationKey key;
    private final ManualStatus status;

    public StatusMatch(ReputationKey key, ManualStatus status) {
        this.key = key;
        this.status = status;
    }

    public ReputationKey key() {
        return key;
    }

    public ManualStatus status() {
        return status;
    }
}
