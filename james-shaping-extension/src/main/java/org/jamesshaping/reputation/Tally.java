package org.jamesshaping.reputation;

import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * Signal counts for one key: exact lifetime totals plus decaying values, in the stored (era-scaled) form of
 * {@link HalfLife}. Used both for what MongoDB holds and for deltas not yet written, which add up field by field.
 * Not thread-safe; the write-behind buffer mutates it under its map's per-key lock.
 */
public final class Tally {
    private final EnumMap<Signal, Long> totals = new EnumMap<>(Signal.class);
    private final Map<Era, EnumMap<Signal, Double>> scaledByEra = new HashMap<>();
    private Instant firstSeen;
    private Instant lastSeen;

    public static Tally empty() {
        return new Tally();
    }

    public Tally add(Signal signal, long count, Instant at, HalfLife halfLife) {
        totals.merge(signal, count, Long::sum);
        scaledByEra.computeIfAbsent(halfLife.eraOf(at), era -> new EnumMap<>(Signal.class))
            .merge(signal, halfLife.scaledIncrement(count, at), Double::sum);
        seen(at);
        return this;
    }

    /** Adds stored values as read from MongoDB. */
    public Tally addStored(Signal signal, long total) {
        totals.merge(signal, total, Long::sum);
        return this;
    }

    public Tally addStoredScaled(Era era, Signal signal, double scaled) {
        scaledByEra.computeIfAbsent(era, e -> new EnumMap<>(Signal.class)).merge(signal, scaled, Double::sum);
        return this;
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
        other.totals.forEach((signal, count) -> totals.merge(signal, count, Long::sum));
        other.scaledByEra.forEach((era, values) -> {
            EnumMap<Signal, Double> mine = scaledByEra.computeIfAbsent(era, e -> new EnumMap<>(Signal.class));
            values.forEach((signal, value) -> mine.merge(signal, value, Double::sum));
        });
        seen(other.firstSeen);
        seen(other.lastSeen);
        return this;
    }

    /** An independent copy; plain map copies, as it is taken on the SMTP path. */
    public Tally copy() {
        Tally copy = new Tally();
        copy.totals.putAll(totals);
        scaledByEra.forEach((era, values) -> copy.scaledByEra.put(era, new EnumMap<>(values)));
        copy.firstSeen = firstSeen;
        copy.lastSeen = lastSeen;
        return copy;
    }

    public long total(Signal signal) {
        return totals.getOrDefault(signal, 0L);
    }

    public double decayed(Signal signal, Instant now, HalfLife halfLife) {
        return decayedAll(now, halfLife)[signal.ordinal()];
    }

    /** Every signal's decayed value, indexed by ordinal: one decay factor per era, not per signal. */
    public double[] decayedAll(Instant now, HalfLife halfLife) {
        double[] values = new double[Signal.values().length];
        for (Map.Entry<Era, EnumMap<Signal, Double>> era : scaledByEra.entrySet()) {
            double factor = halfLife.decayFactor(era.getKey(), now);
            if (factor > 0) {
                era.getValue().forEach((signal, scaled) -> values[signal.ordinal()] += scaled * factor);
            }
        }
        return values;
    }

    public Map<Signal, Long> totals() {
        return Collections.unmodifiableMap(totals);
    }

    public Map<Era, Map<Signal, Double>> scaledByEra() {
        return Collections.unmodifiableMap(scaledByEra);
    }

    public Instant firstSeen() {
        return firstSeen;
    }

    public Instant lastSeen() {
        return lastSeen;
    }

    public boolean isEmpty() {
        return totals.isEmpty() && scaledByEra.isEmpty() && lastSeen == null;
    }
}
