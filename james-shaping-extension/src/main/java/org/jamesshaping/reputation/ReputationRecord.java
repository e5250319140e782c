package org.jamesshaping.reputation;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * One key's document as last read from MongoDB, with the moment the read started: changes flushed after that
 * moment are not in it yet, which is how {@link ReputationService} knows which local deltas to add on top.
 */
public final class ReputationRecord {
    private final ReputationKey key;
    private final Tally tally;
    private final Optional<ManualStatus> status;
    private final Instant readStartedAt;
    private final Set<String> appliedBatches;

    public ReputationRecord(ReputationKey key, Tally tally, Optional<ManualStatus> status, Instant readStartedAt) {
        this(key, tally, status, readStartedAt, Set.of());
    }

    public ReputationRecord(ReputationKey key, Tally tally, Optional<ManualStatus> status, Instant readStartedAt,
                            Set<String> appliedBatches) {
        this.key = key;
        this.tally = tally;
        this.status = status;
        this.readStartedAt = readStartedAt;
        this.appliedBatches = appliedBatches;
    }

    public static ReputationRecord absent(ReputationKey key, Instant readStartedAt) {
        return new ReputationRecord(key, Tally.empty(), Optional.empty(), readStartedAt);
    }

    /** Ids of the latest write batches this document has applied: a local delta in one of them is in the record. */
    public boolean hasApplied(String batchId) {
        return appliedBatches.contains(batchId);
    }

    public ReputationKey key() {
        return key;
    }

    public Tally tally() {
        return tally;
    }

    public Optional<ManualStatus> status() {
        return status;
    }

    public Instant readStartedAt() {
        return readStartedAt;
    }

    public boolean isKnown() {
        return !tally.isEmpty() || status.isPresent();
    }
}
