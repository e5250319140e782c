package org.jamesshaping.store;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One era of decaying counters (see {@link HalfLife}): the half-life it was written with and its index. Stored
 * as the MongoDB field name {@code h<seconds>e<index>}; parsed once when a document is read, never per lookup.
 */
public final class Era {
    private static final Pattern FIELD = Pattern.compile("h(\\d+)e(-?\\d+)");

    private final long halfLifeSeconds;
    private final long index;
    private final String field;

    Era(long halfLifeSeconds, long index) {
        this.halfLifeSeconds = halfLifeSeconds;
        this.index = index;
        this.field = "h" + halfLifeSeconds + "e" + index;
    }

    static Optional<Era> parse(String field) {
        Matcher matcher = FIELD.matcher(field);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        return Optional.of(new Era(Long.parseLong(matcher.group(1)), Long.parseLong(matcher.group(2))));
    }

    long halfLifeSeconds() {
        return halfLifeSeconds;
    }

    long index() {
        return index;
    }

    public String field() {
        return field;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Era && ((Era) o).halfLifeSeconds == halfLifeSeconds && ((Era) o).index == index;
    }

    @Override
    public int hashCode() {
        return Objects.hash(halfLifeSeconds, index);
    }

    @Override
    public String toString() {
        return field;
    }
}
