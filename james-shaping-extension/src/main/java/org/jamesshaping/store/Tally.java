package org.jamesshaping.store;

import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jamesshaping.scoring.Signal;
import org.jamesshaping.scoring.SignalCounts;

/**
 * Signal counts for one key: exact lifetime totals plus decaying values, in the stored (era-scaled) form of
 * {@link HalfLife}. Used both for what MongoDB holds and for deltas not yet written, which add up field by field.
 * Not thread-safe; the write-behind buffer mutates it under its map's per-key lock.
 *
 * <p>Tallies are added to, copied and summed on the SMTP path, several times per connection, so values live in
 * arrays indexed by {@link Signal#ordinal()} rather than in maps of boxed numbers. A signal that was never
 * counted is told apart from one counted as zero by a bit mask: {@link #totals()} and {@link #scaledByEra()}
 * list exactly the signals that were counted, as the maps they are built from did, so that a delta never writes
 * a field to MongoDB that nothing incremented.</p>
 */
public final class Tally {
    private static final int SIGNALS = Signal.COUNT;
    private static final EraValues[] NO_ERAS = new EraValues[0];
    /** The signals that speak for a sender, as bits by ordinal. */
    private static final long FOR_SENDER = forSenderBits();

    static {
        if (SIGNALS > Long.SIZE) {
            throw new IllegalStateException("Tally marks counted signals in a long: at most 64 signals, got " + SIGNALS);
        }
    }

    private static long forSenderBits() {
        long bits = 0;
        for (Signal signal : Signal.values()) {
            if (signal.speaksForSender()) {
                bits |= 1L << signal.ordinal();
            }
        }
        return bits;
    }

    /**
     * One era's scaled values. A tally rarely spans more than one era (a new one starts every 64 half-lives), and
     * a document read from MongoDB rarely holds more than two or three, so eras are kept in a short array.
     */
    private static final class EraValues {
        final Era era;
        final double[] scaled;
        /** Bit {@code ordinal} set when {@code scaled[ordinal]} was counted, even as zero. */
        long counted;

        EraValues(Era era, double[] scaled, long counted) {
            this.era = era;
            this.scaled = scaled;
            this.counted = counted;
        }

        EraValues copy() {
            return new EraValues(era, scaled.clone(), counted);
        }

        void add(int ordinal, double value) {
            long bit = 1L << ordinal;
            // Assigned, not added, the first time, as the map this replaced put it: 0.0 + -0.0 would lose the sign.
            scaled[ordinal] = (counted & bit) == 0 ? value : scaled[ordinal] + value;
            counted |= bit;
        }
    }

    private final long[] totals;
    /** Bit {@code ordinal} set when {@code totals[ordinal]} was counted, even as zero. */
    private long totalsCounted;
    /** The first {@link #eraCount} slots are in use, in the order their eras were first added. */
    private EraValues[] eras;
    private int eraCount;
    private Instant firstSeen;
    private Instant lastSeen;

    /** An empty tally, as {@link #empty()}. */
    public Tally() {
        this(new long[SIGNALS], 0, NO_ERAS, 0);
    }

    private Tally(long[] totals, long totalsCounted, EraValues[] eras, int eraCount) {
        this.totals = totals;
        this.totalsCounted = totalsCounted;
        this.eras = eras;
        this.eraCount = eraCount;
    }

    public static Tally empty() {
        return new Tally();
    }

    public Tally add(Signal signal, long count, Instant at, HalfLife halfLife) {
        addTotal(signal.ordinal(), count);
        eraValues(halfLife.eraOf(at)).add(signal.ordinal(), halfLife.scaledIncrement(count, at));
        seen(at);
        return this;
    }

    /** Adds every non-zero count of {@code counts}, as {@link #add(Signal, long, Instant, HalfLife)} would one by one. */
    public Tally add(SignalCounts counts, Instant at, HalfLife halfLife) {
        for (int ordinal = 0; ordinal < SIGNALS; ordinal++) {
            Signal signal = Signal.byOrdinal(ordinal);
            long count = counts.count(signal);
            if (count != 0) {
                add(signal, count, at, halfLife);
            }
        }
        return this;
    }

    /** Adds stored values as read from MongoDB. */
    public Tally addStored(Signal signal, long total) {
        addTotal(signal.ordinal(), total);
        return this;
    }

    public Tally addStoredScaled(Era era, Signal signal, double scaled) {
        eraValues(era).add(signal.ordinal(), scaled);
        return this;
    }

    private void addTotal(int ordinal, long count) {
        totals[ordinal] += count;
        totalsCounted |= 1L << ordinal;
    }

    /** The slot of {@code era}, added if missing. */
    private EraValues eraValues(Era era) {
        for (int i = 0; i < eraCount; i++) {
            // HalfLife hands out the same Era instance for the current era: identity is the usual match.
            if (eras[i].era == era || eras[i].era.equals(era)) {
                return eras[i];
            }
        }
        return append(new EraValues(era, new double[SIGNALS], 0));
    }

    private EraValues append(EraValues values) {
        if (eraCount == eras.length) {
            EraValues[] grown = new EraValues[eraCount + 1];
            System.arraycopy(eras, 0, grown, 0, eraCount);
            eras = grown;
        }
        eras[eraCount++] = values;
        return values;
    }

    public Tally seen(Instant at) {
        if (at == null) {
            return this;
        }
        firstSeen = firstSeen == null || at.isBefore(firstSeen) ? at : firstSeen;
        lastSeen = lastSeen == null || at.isAfter(lastSeen) ? at : lastSeen;
        return this;
    }

    public Tally merge(Tally other) {
        for (int i = 0; i < SIGNALS; i++) {
            if ((other.totalsCounted & (1L << i)) != 0) {
                addTotal(i, other.totals[i]);
            }
        }
        for (int e = 0; e < other.eraCount; e++) {
            EraValues theirs = other.eras[e];
            EraValues mine = eraValues(theirs.era);
            for (int i = 0; i < SIGNALS; i++) {
                if ((theirs.counted & (1L << i)) != 0) {
                    mine.add(i, theirs.scaled[i]);
                }
            }
        }
        seen(other.firstSeen);
        seen(other.lastSeen);
        return this;
    }

    /** An independent copy; plain array copies, as it is taken on the SMTP path. */
    public Tally copy() {
        EraValues[] erasCopy = eraCount == 0 ? NO_ERAS : new EraValues[eraCount];
        for (int e = 0; e < eraCount; e++) {
            erasCopy[e] = eras[e].copy();
        }
        Tally copy = new Tally(totals.clone(), totalsCounted, erasCopy, eraCount);
        copy.firstSeen = firstSeen;
        copy.lastSeen = lastSeen;
        return copy;
    }

    public long total(Signal signal) {
        return totals[signal.ordinal()];
    }

    /**
     * Whether these totals may weigh worse for the sender than {@code before}'s: more of a signal against it, or
     * less of one for it (a record forgotten or past retention). Only more of the signals that speak for a sender
     * ({@link Signal#speaksForSender()}) is not: with the default weights that only makes it look better.
     */
    public boolean mayWeighWorseThan(Tally before) {
        for (int i = 0; i < SIGNALS; i++) {
            boolean forSender = Signal.byOrdinal(i).speaksForSender();
            if (forSender ? totals[i] < before.totals[i] : totals[i] > before.totals[i]) {
                return true;
            }
        }
        return false;
    }

    public double decayed(Signal signal, Instant now, HalfLife halfLife) {
        return decayedAll(now, halfLife)[signal.ordinal()];
    }

    /** Every signal's decayed value, indexed by ordinal: one decay factor per era, not per signal. */
    public double[] decayedAll(Instant now, HalfLife halfLife) {
        double[] values = new double[SIGNALS];
        addDecayedTo(values, now, halfLife);
        return values;
    }

    /**
     * Adds every signal's decayed value to {@code sums} (indexed by ordinal), without allocating in the usual
     * single-era case. A signal's eras are summed first and that sum then added, so that summing the parts of
     * a snapshot rounds exactly as adding up their {@link #decayedAll} arrays would.
     */
    public void addDecayedTo(double[] sums, Instant now, HalfLife halfLife) {
        if (eraCount == 1) {
            EraValues only = eras[0];
            double factor = halfLife.decayFactor(only.era, now);
            if (factor > 0) {
                for (int i = 0; i < SIGNALS; i++) {
                    if ((only.counted & (1L << i)) != 0) {
                        sums[i] += only.scaled[i] * factor;
                    }
                }
            }
            return;
        }
        if (eraCount == 0) {
            return;
        }
        double[] factors = new double[eraCount];
        for (int e = 0; e < eraCount; e++) {
            factors[e] = halfLife.decayFactor(eras[e].era, now);
        }
        for (int i = 0; i < SIGNALS; i++) {
            long bit = 1L << i;
            double value = 0;
            for (int e = 0; e < eraCount; e++) {
                // Uncounted signals and eras worth nothing are skipped, never multiplied: 0 times an infinite
                // factor (an era far in the future of a skewed clock) would make NaN.
                if (factors[e] > 0 && (eras[e].counted & bit) != 0) {
                    value += eras[e].scaled[i] * factors[e];
                }
            }
            sums[i] += value;
        }
    }

    /** The counted totals, built on each call: for writing and reporting, not for the SMTP path. */
    public Map<Signal, Long> totals() {
        EnumMap<Signal, Long> map = new EnumMap<>(Signal.class);
        for (int i = 0; i < SIGNALS; i++) {
            if ((totalsCounted & (1L << i)) != 0) {
                map.put(Signal.byOrdinal(i), totals[i]);
            }
        }
        return Collections.unmodifiableMap(map);
    }

    /** The counted scaled values of each era, built on each call: for writing to MongoDB, not for the SMTP path. */
    public Map<Era, Map<Signal, Double>> scaledByEra() {
        Map<Era, Map<Signal, Double>> map = new LinkedHashMap<>();
        for (int e = 0; e < eraCount; e++) {
            EnumMap<Signal, Double> values = new EnumMap<>(Signal.class);
            for (int i = 0; i < SIGNALS; i++) {
                if ((eras[e].counted & (1L << i)) != 0) {
                    values.put(Signal.byOrdinal(i), eras[e].scaled[i]);
                }
            }
            map.put(eras[e].era, Collections.unmodifiableMap(values));
        }
        return Collections.unmodifiableMap(map);
    }

    public Instant firstSeen() {
        return firstSeen;
    }

    public Instant lastSeen() {
        return lastSeen;
    }

    /** Whether every signal counted speaks for the sender: what the write-behind buffer drops first when full. */
    public boolean onlyForSender() {
        return (totalsCounted & ~FOR_SENDER) == 0;
    }

    public boolean isEmpty() {
        return totalsCounted == 0 && eraCount == 0 && lastSeen == null;
    }
}
