package org.jamesshaping.store;

import java.util.Optional;
import java.util.Set;

/**
 * One key's document as last read from MongoDB, with the ids of the latest write batches it applied: how
 * {@link ReputationStore} knows which of its own written deltas the record already contains.
 */
public final class ReputationRecord {
    private final ReputationKey key;
    private final Tally tally;
    private final Optional<ManualStatus> status;
    private final Set<String> appliedBatches;

    public ReputationRecord(ReputationKey key, Tally tally, Optional<ManualStatus> status, Set<String> appliedBatches) {
        this.key = key;
        this.tally = tally;
        this.status = status;
        this.appliedBatches = appliedBatches;
    }

    public static ReputationRecord absent(ReputationKey key) {
        return new ReputationRecord(key, Tally.empty(), Optional.empty(), Set.of());
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

    /**
     * Whether this copy of the key's record may make its sender look worse than the copy {@code before} (null:
     * none was read, the sender was judged as unknown): more signals against it, fewer for it, or another
     * operator status. What a re-read that makes {@link ReputationStore#changes()} move must bring.
     */
    public boolean mayLookWorseThan(ReputationRecord before) {
        ReputationRecord previous = before == null ? absent(key) : before;
        return !status.equals(previous.status) || tally.mayWeighWorseThan(previous.tally);
    }

    public boolean isKnown() {
        return !tally.isEmpty() || status.isPresent();
    }
}
