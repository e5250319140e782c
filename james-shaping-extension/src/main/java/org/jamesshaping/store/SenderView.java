package org.jamesshaping.store;

import java.util.Optional;

/**
 * What is known about a sender now: its address's record, its subnet's, its wide network's (the standings of the
 * subnets around it), and the operator status that applies, if any.
 */
public final class SenderView {
    private final ReputationSnapshot address;
    private final ReputationSnapshot subnet;
    private final ReputationSnapshot wide;
    private final Optional<StatusMatch> status;

    public SenderView(ReputationSnapshot address, ReputationSnapshot subnet, ReputationSnapshot wide, Optional<StatusMatch> status) {
        this.address = address;
        this.subnet = subnet;
        this.wide = wide;
        this.status = status;
    }

    public ReputationSnapshot address() {
        return address;
    }

    public ReputationSnapshot subnet() {
        return subnet;
    }

    /** The /16 or /48: only its counts of bad and good subnets ({@code badAddresses}, {@code goodAddresses}) are kept. */
    public ReputationSnapshot wide() {
        return wide;
    }

    public Optional<StatusMatch> status() {
        return status;
    }
}
