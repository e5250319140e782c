package org.jamesshaping.reputation;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * two eras back has decayed by more than 2^-64 and counts for nothing. Encoding the half-life in the field name
 * means that a server configured with another half-life ignores, rather than misreads, the other's fields.</p>
 */
public final class HalfLife {
    static final int ERA_HALF_LIVES = 64;
    private static final Pattern ERA_FIELD = Pattern.compile("h(\\d+)e(-?\\d+)");

    private final Duration duration;
    private final long halfLifeMillis;
    private final long eraMillis;

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

    /** The stored field that an increment at {@code at} belongs to. */
    public String eraField(Instant at) {
        return "h" + (halfLifeMillis / 1000) + "e" + era(at.toEpochMilli());
    }

    /** What to add to {@link #eraField(Instant)} for {@code count} events at {@code at}. */
    public double scaledIncrement(double count, Instant at) {
        long millis = at.toEpochMilli();
        long eraStart = era(millis) * eraMillis;
        return count * Math.pow(2, (double) (millis - eraStart) / halfLifeMillis);
    }

    /** The decayed value, at {@code now}, of a scaled sum stored under {@code eraField}; empty for other half-lives. */
    public Optional<Double> decayedValue(String eraField, double scaledSum, Instant now) {
        Matcher matcher = ERA_FIELD.matcher(eraField);
        if (!matcher.matches() || Long.parseLong(matcher.group(1)) != halfLifeMillis / 1000) {
            return Optional.empty();
        }
        long eraStart = Long.parseLong(matcher.group(2)) * eraMillis;
        double exponent = (double) (now.toEpochMilli() - eraStart) / halfLifeMillis;
        return Optional.of(scaledSum * Math.pow(2, -exponent));
    }

    /** Whether a stored era field is so old that its value is below 2^-64 of what was added. */
    public boolean isObsolete(String eraField, Instant now) {
        Matcher matcher = ERA_FIELD.matcher(eraField);
        if (!matcher.matches() || Long.parseLong(matcher.group(1)) != halfLifeMillis / 1000) {
            return false;
        }
        return Long.parseLong(matcher.group(2)) < era(now.toEpochMilli()) - 1;
    }

    private long era(long epochMillis) {
        return Math.floorDiv(epochMillis, eraMillis);
    }
}
