package org.jamesshaping.reputation;

import java.time.Instant;

/** What is known about one key at one instant: MongoDB's record plus this server's deltas not yet in it. */
public final class ReputationSnapshot {
    private final ReputationKey key;
    private final Tally tally;
    private final HalfLife halfLife;
    private final Instant at;
    private final boolean loaded;
    private double[] decayed;

    public ReputationSnapshot(ReputationKey key, Tally tally, HalfLife halfLife, Instant at, boolean loaded) {
        this.key = key;
        this.tally = tally;
        this.halfLife = halfLife;
        this.at = at;
        this.loaded = loaded;
    }

    public ReputationKey key() {
        return key;
    }

    public long total(Signal signal) {
        return tally.total(signal);
    }

    public double decayed(Signal signal) {
        if (decayed == null) {
            decayed = tally.decayedAll(at, halfLife);
        }
        return decayed[signal.ordinal()];
    }

    public Tally tally() {
        return tally;
    }

    public Instant at() {
        return at;
    }

    /** False while MongoDB's record for this key has not been read yet (only local deltas are known). */
    public boolean isLoaded() {
        return loaded;
    }

    public boolean isKnown() {
        return !tally.isEmpty();
    }

    public double score() {
        return ReputationScore.of(this);
    }
}
