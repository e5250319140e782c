package org.jamesshaping.store;

import java.util.Optional;

/** What is known about a sender now: its address's record, its subnet's, and the operator status that applies, if any. */
public final class SenderView {
    private final ReputationSnapshot address;
    private final ReputationSnapshot subnet;
    private final Optional<StatusMatch> status;

    public SenderView(ReputationSnapshot address, ReputationSnapshot subnet, Optional<StatusMatch> status) {
        this.address = address;
        this.subnet = subnet;
        this.status = status;
    }

    public ReputationSnapshot address() {
        return address;
    }

    public ReputationSnapshot subnet() {
        return subnet;
    }

    public Optional<StatusMatch> status() {
        return status;
    }
}
