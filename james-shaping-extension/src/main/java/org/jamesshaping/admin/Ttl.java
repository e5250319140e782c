package org.jamesshaping.admin;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;

import org.jamesshaping.runtime.Durations;

/** How long an operator's status lasts: {@code 30m}, {@code 12h}, {@code 1d}, {@code 2w}, or ISO-8601 ({@code PT30M}, {@code P1D}). */
public final class Ttl {
    private Ttl() {
    }

    /** Empty for null or blank (the status never expires). */
    public static Optional<Duration> parse(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        Duration duration;
        try {
            duration = Durations.parse(text, ChronoUnit.SECONDS);
        } catch (IllegalArgumentException notShort) {
            try {
                duration = Duration.parse(text.trim().toUpperCase(Locale.US));
            } catch (DateTimeParseException | ArithmeticException e) {
                throw new IllegalArgumentException("ttl '" + text + "' is not a duration like 30m, 12h, 1d, 2w or PT30M");
            }
        }
        if (duration.isZero() || duration.isNegative()) {
            throw new IllegalArgumentException("ttl must be positive, got '" + text + "'");
        }
        return Optional.of(duration);
    }
}
