package org.jamesshaping.runtime;

import java.time.Duration;
import java.time.temporal.ChronoUnit;

import org.apache.james.util.DurationParser;

/**
 * Durations as James's own configuration reads them ({@link DurationParser}: {@code 500ms}, {@code 5s}, {@code 10m},
 * {@code 12h}, {@code 7d}, {@code 2w}; a number alone is in the caller's unit): every duration the extension reads,
 * from its configuration files, its mailets' parameters and its operators, goes through here.
 */
public final class Durations {
    private Durations() {
    }

    /**
     * @return the duration, zero or more
     * @throws IllegalArgumentException with a message fit for an operator (what was given, what is accepted)
     */
    public static Duration parse(String raw, ChronoUnit unitOfANumberAlone) {
        String trimmed = raw == null ? "" : raw.trim();
        try {
            return DurationParser.parse(trimmed, unitOfANumberAlone);
        } catch (ArithmeticException | IllegalArgumentException e) {
            // NumberFormatException (no unit known, or a number too large) is an IllegalArgumentException too.
            throw new IllegalArgumentException("'" + trimmed + "' is not a duration of zero or more (like 500ms, 5s, 10m, 12h, 7d, 2w)");
        }
    }
}
