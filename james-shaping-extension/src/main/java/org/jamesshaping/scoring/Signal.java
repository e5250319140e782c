package org.jamesshaping.scoring;

import java.util.Optional;

/**
 * Events observed about a sender. Each is counted twice in its reputation document: a lifetime total (exact,
 * for operators and audits) and a decaying value (for judgement, so that a sender who stops misbehaving recovers).
 * The field name is what MongoDB stores; never rename one without migrating data.
 */
public enum Signal {
    CONNECTION("connections"),
    MESSAGE_ACCEPTED("messages"),
    MESSAGE_ABORTED("messagesAborted"),
    RECIPIENT_ACCEPTED("rcptAccepted"),
    RECIPIENT_REJECTED("rcptRejected"),
    UNKNOWN_RECIPIENT("unknownRecipients"),
    SPAMTRAP_HIT("spamtrapHits"),
    PROTOCOL_VIOLATION("protocolViolations"),
    EARLY_TALK("earlyTalk"),
    HELO_ANOMALY("heloAnomalies"),
    SPAM("spam"),
    HAM("ham"),
    KNOWN_SPAM("knownSpam"),
    REPORTED_SPAM("reportedSpam"),
    REPORTED_HAM("reportedHam"),
    /** AUTH answered 535: a wrong password, or someone guessing them. */
    AUTH_FAILURE("authFailures"),
    /** The distinct recipients of a message accepted at the end of DATA, at most a few per message. */
    RECIPIENT_DELIVERED("rcptDelivered"),
    /** On a network's key: addresses of it that turned bad on their own evidence (and less one when they recover). */
    BAD_ADDRESS("badAddresses"),
    /** On a network's key: addresses of it with a clean history of their own. */
    GOOD_ADDRESS("goodAddresses"),
    /** The sender waited for the end of a delayed multi-line greeting: not weighed, it spares it the next wait. */
    PREGREET_PASSED("pregreetPassed");

    /** Every signal, indexed by ordinal: {@link #values()} clones its array on each call, which adds up on the SMTP path. */
    private static final Signal[] ALL = values();
    /** How many signals there are: arrays of per-signal values are this long, indexed by ordinal. */
    public static final int COUNT = ALL.length;

    private final String field;

    Signal(String field) {
        this.field = field;
    }

    public String field() {
        return field;
    }

    /**
     * Whether this signal speaks for the sender (with the default weights it can only make a sender look better):
     * recording it does not make the shaper re-check open connections ({@link ReputationStore#changes()}).
     */
    public boolean speaksForSender() {
        return this == CONNECTION || this == RECIPIENT_ACCEPTED || this == MESSAGE_ACCEPTED || this == HAM || this == REPORTED_HAM
            || this == RECIPIENT_DELIVERED || this == GOOD_ADDRESS || this == PREGREET_PASSED;
    }

    /** The signal of this ordinal, without the copy {@link #values()} makes. */
    public static Signal byOrdinal(int ordinal) {
        return ALL[ordinal];
    }

    public static Optional<Signal> fromField(String field) {
        for (Signal signal : ALL) {
            if (signal.field.equals(field)) {
                return Optional.of(signal);
            }
        }
        return Optional.empty();
    }
}
