package org.jamesshaping.scoring;

/**
 * What an address's own evidence says of it, apart from its neighbours': what it counts for in its network's
 * prior, where each address counts once, however much it sent.
 */
public enum Standing {
    /** Its own evidence alone puts it in class 6 or worse. */
    BAD,
    /** A clean history of its own (class 0 or 1 on its own evidence). */
    GOOD,
    NEUTRAL;

    /** The change to its network's counts when an address goes from {@code before} to this standing. */
    public SignalCounts networkDeltaFrom(Standing before) {
        SignalCounts delta = new SignalCounts();
        before.count(delta, -1);
        count(delta, 1);
        return delta;
    }

    private void count(SignalCounts counts, long n) {
        if (this == BAD) {
            counts.add(Signal.BAD_ADDRESS, n);
        } else if (this == GOOD) {
            counts.add(Signal.GOOD_ADDRESS, n);
        }
    }
}
