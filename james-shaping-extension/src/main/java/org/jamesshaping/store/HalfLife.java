package org.jamesshaping.store;

import java.time.Duration;
import java.time.Instant;

/**
 * Exponential decay that survives blind, concurrent {@code $inc} updates.
 *
 * <p>A decayed counter is {@code sum(n_i * 2^-((now - t_i) / H))}. Rewriting it on every event would need a read
 * before each write, which a fleet of servers cannot do atomically. Instead each increment is stored scaled up
 * relative to a fixed reference time {@code R}: {@code n_i * 2^((t_i - R) / H)}. Those scaled values simply add,
 * so MongoDB's {@code $inc} keeps them exact under concurrency, and the decayed value is recovered when read:
 * {@code scaledSum * 2^-((now - R) / H)}. No sweeper rewrites documents.</p>
 *
 * <p>To keep the scale factor within a double's range, time is cut into eras of {@value #ERA_HALF_LIVES}
 * half-lives, each with its own reference time and its own stored field ({@code h<seconds>e<era>}). A value from
 * two eras back has decayed by more than 2^-64 and counts for nothing. The half-life is part of the field name, so
 * a field written with another half-life is still read right: it decays at the half-life it was written with. When
 * {@code decay.half.life} changes, {@link HalfLifeMigration} rewrites such fields once into the new half-life's
 * field, at their value at that moment, so that from then on they decay at the new rate.</p>
 */
public final class HalfLife {
    static final int ERA_HALF_LIVES = 64;

    private final Duration duration;
    private final long halfLifeMillis;
    private final long eraMillis;
    /** The era being written; recomputed only when time crosses into the next one (every 64 half-lives). */
    private volatile Era current;

    public HalfLife(Duration duration) {
        if (duration.toMillis() < 1000) {
            throw new IllegalArgumentException("A decay half-life must be at least one second, got " + duration);
        }
        this.duration = duration;
        this.halfLifeMillis = duration.toMillis();
        this.eraMillis = halfLifeMillis * ERA_HALF_LIVES;
    }

    public Duration duration() {
        return duration;
    }

    /** The era (stored field) that an increment at {@code at} belongs to. */
    public Era eraOf(Instant at) {
        long index = era(at.toEpochMilli());
        Era cached = current;
        if (cached != null && cached.index() == index) {
            return cached;
        }
        Era era = new Era(halfLifeMillis / 1000, index);
        current = era;
        return era;
    }

    public String eraField(Instant at) {
        return eraOf(at).field();
    }

    /** What to add to {@link #eraField(Instant)} for {@code count} events at {@code at}. */
    public double scaledIncrement(double count, Instant at) {
        long millis = at.toEpochMilli();
        long eraStart = era(millis) * eraMillis;
        return count * Math.pow(2, (double) (millis - eraStart) / halfLifeMillis);
    }

    /**
     * What a scaled sum stored in {@code era} is worth at {@code now}, per unit: multiply the stored value by it.
     * An era written with another half-life decays at that half-life, as the servers that wrote it read it.
     */
    public double decayFactor(Era era, Instant now) {
        long eraHalfLifeMillis = era.halfLifeSeconds() == halfLifeMillis / 1000 ? halfLifeMillis : era.halfLifeSeconds() * 1000;
        if (eraHalfLifeMillis <= 0) {
            return 0;
        }
        long eraStart = era.index() * eraHalfLifeMillis * ERA_HALF_LIVES;
        double exponent = (double) (now.toEpochMilli() - eraStart) / eraHalfLifeMillis;
        return Math.pow(2, -exponent);
    }

    /** True for an era written with this half-life. */
    public boolean writes(Era era) {
        return era.halfLifeSeconds() == halfLifeMillis / 1000;
    }

    private long era(long epochMillis) {
        return Math.floorDiv(epochMillis, eraMillis);
    }
}
