package org.jamesshaping.store;

import java.time.Instant;
import java.util.List;

import org.jamesshaping.scoring.Evidence;
import org.jamesshaping.scoring.Signal;

/**
 * What is known about one key at one instant: MongoDB's record plus this server's deltas not yet in it. The parts
 * are summed when read rather than merged into a copy: snapshots are taken on the SMTP path, several times per
 * connection, and most are only asked for a few decayed values.
 */
public final class ReputationSnapshot implements Evidence {
    private final ReputationKey key;
    private final List<Tally> parts;
    private final HalfLife halfLife;
    private final Instant at;
    private final boolean loaded;
    private double[] decayed;
    private Tally merged;

    public ReputationSnapshot(ReputationKey key, Tally tally, HalfLife halfLife, Instant at, boolean loaded) {
        this(key, List.of(tally), halfLife, at, loaded);
    }

    ReputationSnapshot(ReputationKey key, List<Tally> parts, HalfLife halfLife, Instant at, boolean loaded) {
        this.key = key;
        this.parts = parts;
        this.halfLife = halfLife;
        this.at = at;
        this.loaded = loaded;
    }

    public ReputationKey key() {
        return key;
    }

    public long total(Signal signal) {
        long total = 0;
        for (Tally part : parts) {
            total += part.total(signal);
        }
        return total;
    }

    @Override
    public double decayed(Signal signal) {
        if (decayed == null) {
            double[] sum = new double[Signal.COUNT];
            for (Tally part : parts) {
                part.addDecayedTo(sum, at, halfLife);
            }
            decayed = sum;
        }
        return decayed[signal.ordinal()];
    }

    /** All parts merged into one tally (for operators: first and last seen, every total). */
    public Tally tally() {
        if (merged == null) {
            Tally result = Tally.empty();
            parts.forEach(result::merge);
            merged = result;
        }
        return merged;
    }

    public Instant at() {
        return at;
    }

    /** False while MongoDB's record for this key has not been read yet (only local deltas are known). */
    public boolean isLoaded() {
        return loaded;
    }

    public boolean isKnown() {
        for (Tally part : parts) {
            if (!part.isEmpty()) {
                return true;
            }
        }
        return false;
    }
}
