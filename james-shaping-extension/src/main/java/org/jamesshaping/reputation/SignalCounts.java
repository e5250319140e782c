package org.jamesshaping.reputation;

/**
 * Signal counts: those observed on one connection and not yet handed to the {@link ReputationService} (counting
 * them here and handing them over together costs one update instead of one per event), or a sum of those. Not
 * thread-safe: it belongs to one SMTP session, which netty serves from one thread, or to the thread summing them.
 */
public final class SignalCounts {
    private final long[] counts = new long[Signal.ALL.length];
    private int distinct;

    public SignalCounts add(Signal signal) {
        return add(signal, 1);
    }

    public SignalCounts add(Signal signal, long count) {
        if (count != 0) {
            distinct += counts[signal.ordinal()] == 0 ? 1 : 0;
            counts[signal.ordinal()] += count;
        }
        return this;
    }

    public long count(Signal signal) {
        return counts[signal.ordinal()];
    }

    public boolean isEmpty() {
        return distinct == 0;
    }

    /** True when every counted signal speaks for the sender ({@link Signal#speaksForSender()}). */
    public boolean onlyForSender() {
        for (int ordinal = 0; ordinal < counts.length; ordinal++) {
            if (counts[ordinal] != 0 && !Signal.ALL[ordinal].speaksForSender()) {
                return false;
            }
        }
        return true;
    }

    /** A copy that the caller may keep after this one is cleared. */
    public SignalCounts copy() {
        SignalCounts copy = new SignalCounts();
        System.arraycopy(counts, 0, copy.counts, 0, counts.length);
        copy.distinct = distinct;
        return copy;
    }

    /** Adds every count of {@code other} to this one. */
    public SignalCounts addAll(SignalCounts other) {
        for (int ordinal = 0; ordinal < counts.length; ordinal++) {
            add(Signal.ALL[ordinal], other.counts[ordinal]);
        }
        return this;
    }

    public void clear() {
        java.util.Arrays.fill(counts, 0);
        distinct = 0;
    }

    /** Adds every non-zero count to the tally, as {@link Tally#add} would one by one. */
    void addTo(Tally tally, java.time.Instant at, HalfLife halfLife) {
        for (int ordinal = 0; ordinal < counts.length; ordinal++) {
            if (counts[ordinal] != 0) {
                tally.add(Signal.ALL[ordinal], counts[ordinal], at, halfLife);
            }
        }
    }
}
