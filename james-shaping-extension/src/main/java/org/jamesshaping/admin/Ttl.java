package org.jamesshaping.admin;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** How long an operator's status lasts: {@code 30m}, {@code 12h}, {@code 1d}, {@code 2w}, or ISO-8601 ({@code PT30M}, {@code P1D}). */
public final class Ttl {
    private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(s|m|h|d|w)");

    private Ttl() {
    }

    /** Empty for null or blank (the status never expires). */
    public static Optional<Duration> parse(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        String trimmed = text.trim().toLowerCase(Locale.US);
        Duration duration;
        Matcher matcher = SHORT.matcher(trimmed);
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            switch (matcher.group(2)) {
                case "s": duration = Duration.ofSeconds(amount); break;
                case "m": duration = Duration.ofMinutes(amount); break;
                case "h": duration = Duration.ofHours(amount); break;
                case "d": duration = Duration.ofDays(amount); break;
                default: duration = Duration.ofDays(7 * amount); break;
            }
        } else {
            try {
                duration = Duration.parse(text.trim().toUpperCase(Locale.US));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("ttl '" + text + "' is not a duration like 30m, 12h, 1d, 2w or PT30M");
            }
        }
        if (duration.isZero() || duration.isNegative()) {
            throw new IllegalArgumentException("ttl must be positive, got '" + text + "'");
        }
        return Optional.of(duration);
    }
}
