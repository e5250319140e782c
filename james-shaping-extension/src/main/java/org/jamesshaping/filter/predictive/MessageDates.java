package org.jamesshaping.filter.predictive;

import java.text.ParsePosition;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.mail.internet.MailDateFormat;

import org.jamesshaping.filter.content.MessageContent;

/**
 * When a message was sent: its {@code Date} header, else (missing, unreadable, or more than
 * {@link #MAX_DATE_SKEW} away from it) the date its first (topmost, the receiving server's) {@code Received} header
 * carries after the last {@code ;}. Used to split training mail by time, so that validation tests on mail
 * later than anything trained on, as the filter meets it in production.
 */
public final class MessageDates {
    /** Dates before this (1990) or after tomorrow come from a broken clock: no time at all is better. */
    private static final Instant EARLIEST = Instant.parse("1990-01-01T00:00:00Z");
    /**
     * The sender writes Date, the receiving server the first Received: a Date further than this from it is a
     * forged or broken clock (spam dated years ahead), and the server's time is taken instead.
     */
    static final Duration MAX_DATE_SKEW = Duration.ofDays(7);

    private MessageDates() {
    }

    public static Optional<Instant> sentAt(MessageContent content) {
        return sentAt(content.headers());
    }

    public static Optional<Instant> sentAt(List<MessageContent.Header> headers) {
        Optional<Instant> date = Optional.empty();
        String firstReceived = null;
        for (MessageContent.Header header : headers) {
            String name = header.name().toLowerCase(Locale.ROOT);
            if (name.equals("date") && date.isEmpty()) {
                date = parse(header.value());
            } else if (name.equals("received") && firstReceived == null) {
                firstReceived = header.value();
            }
        }
        Optional<Instant> received = Optional.empty();
        if (firstReceived != null) {
            int semicolon = firstReceived.lastIndexOf(';');
            if (semicolon >= 0) {
                received = parse(firstReceived.substring(semicolon + 1));
            }
        }
        if (date.isPresent() && received.isPresent()
            && Duration.between(date.get(), received.get()).abs().compareTo(MAX_DATE_SKEW) > 0) {
            return received;
        }
        return date.isPresent() ? date : received;
    }

    /** RFC 5322 dates and their common deviations (no weekday, two-digit years, zone names), as JavaMail reads them. */
    static Optional<Instant> parse(String value) {
        String trimmed = value.trim();
        if (trimmed.isEmpty() || trimmed.length() > 200) {
            return Optional.empty();
        }
        // MailDateFormat keeps state: one per call (cheap next to reading a message).
        Date date = new MailDateFormat().parse(trimmed, new ParsePosition(0));
        if (date == null) {
            return Optional.empty();
        }
        Instant instant = date.toInstant();
        return instant.isBefore(EARLIEST) || instant.isAfter(Instant.now().plusSeconds(86_400)) ? Optional.empty() : Optional.of(instant);
    }
}
