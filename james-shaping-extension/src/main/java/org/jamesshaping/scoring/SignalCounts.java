package org.jamesshaping.scoring;


/**
 * Signal counts: those observed on one connection and not yet handed to the {@link ReputationStore} (counting
 * them here and handing them over together costs one update instead of one per event), or a sum of those. Not
 * thread-safe: it belongs to one SMTP session, which netty serves from one thread, or to the thread summing them.
 */
public final class SignalCounts {
    /** The signals that speak for the sender, as bits by ordinal: {@link #onlyForSender} runs once per message. */
    private static final long FOR_SENDER = forSenderBits();

    private final long[] counts = new long[Signal.COUNT];
    /** Bit n set while the count of the signal of ordinal n is not zero. */
    private long nonZero;

    private static long forSenderBits() {
        if (Signal.COUNT > Long.SIZE) {
            throw new IllegalStateException("more signals than bits in a long: widen SignalCounts.nonZero");
        }
        long bits = 0;
        for (Signal signal : Signal.values()) {
            if (signal.speaksForSender()) {
                bits |= 1L << signal.ordinal();
            }
        }
        return bits;
    }

    public SignalCounts add(Signal signal) {
        return add(signal, 1);
    }

    public SignalCounts add(Signal signal, long count) {
        if (count != 0) {
            int ordinal = signal.ordinal();
            counts[ordinal] += count;
            nonZero = counts[ordinal] != 0 ? nonZero | 1L << ordinal : nonZero & ~(1L << ordinal);
        }
        return this;
    }

    public long count(Signal signal) {
        return counts[signal.ordinal()];
    }

    public boolean isEmpty() {
        return nonZero == 0;
    }

    /** True when every counted signal speaks for the sender ({@link Signal#speaksForSender()}). */
    public boolean onlyForSender() {
        return (nonZero & ~FOR_SENDER) == 0;
    }

    /** A copy that the caller may keep after this one is cleared. */
    public SignalCounts copy() {
        SignalCounts copy = new SignalCounts();
        System.arraycopy(counts, 0, copy.counts, 0, counts.length);
        copy.nonZero = nonZero;
        return copy;
    }

    /** Adds every count of {@code other} to this one. */
    public SignalCounts addAll(SignalCounts other) {
        for (int ordinal = 0; ordinal < counts.length; ordinal++) {
            add(Signal.byOrdinal(ordinal), other.counts[ordinal]);
        }
        return this;
    }

    public void clear() {
        java.util.Arrays.fill(counts, 0);
        nonZero = 0;
    }
}
