package org.jamesshaping.filter.mailet;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.function.LongSupplier;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetException;
import org.apache.mailet.base.GenericMailet;
import org.jamesshaping.filter.FilterRunGate;
import org.jamesshaping.filter.FilterStores;
import org.jamesshaping.filter.Verdict;
import org.jamesshaping.filter.VerdictListener;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.content.Deadline;
import org.jamesshaping.runtime.Durations;
import org.jamesshaping.store.MongoConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both content filters share: parameter parsing, the size limit, and the rule that a filter failure never
 * stops a mail: whatever goes wrong, the mail continues with a header saying the filter did not run.
 *
 * <p>Time bound: a filter does no I/O on the spooler thread (stores are read from memory, refreshed in the
 * background), its CPU work is bounded by {@code maxMessageBytes} and {@link ContentLimits} and linear in them, and
 * past {@code timeBudget} (default 2s) it gives up on the message: the mail goes on with
 * {@code not-run; reason=timeout}, counted in James's metric {@code shaping_filter_*_not_run_timeout}. The budget is checked inside the
 * extraction and fingerprinting loops ({@link Deadline}), so no thread is left running on a message.</p>
 *
 * <p>CPU share: at most {@code maxConcurrentRuns} messages (default: the cores less one, at least 1) are judged at
 * once by all filter mailets together ({@link FilterRunGate}), so a flood of accepted mail cannot take every core
 * from the SMTP IO threads.</p>
 */
abstract class ContentFilterMailet extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(ContentFilterMailet.class);
    static final int DEFAULT_MAX_MESSAGE_BYTES = 5 * 1024 * 1024;
    static final Duration DEFAULT_TIME_BUDGET = Duration.ofSeconds(2);
    static final String TIMEOUT = "timeout";

    protected final FilterStores stores;
    protected final VerdictListener listener;
    /** MongoDB as configured for the whole extension (conf/shaping.properties); mailet parameters may override it. */
    private final MongoConnection configuredConnection;
    protected ContentExtractor extractor;
    private long maxMessageBytes;
    private Duration timeBudget;
    private LongSupplier nanoClock = System::nanoTime;

    protected ContentFilterMailet(FilterStores stores, VerdictListener listener, MongoConnection configuredConnection) {
        this.stores = stores;
        this.listener = listener;
        this.configuredConnection = configuredConnection;
    }

    @Override
    public void init() throws MessagingException {
        maxMessageBytes = longParameter("maxMessageBytes", DEFAULT_MAX_MESSAGE_BYTES);
        timeBudget = durationParameter("timeBudget", DEFAULT_TIME_BUDGET);
        stores.runGate().limitAtMost((int) longParameter("maxConcurrentRuns", FilterRunGate.defaultLimit()));
        extractor = new ContentExtractor(new ContentLimits(
            (int) longParameter("maxParts", ContentLimits.DEFAULT.maxParts()),
            (int) longParameter("maxTextChars", ContentLimits.DEFAULT.maxTextChars()),
            ContentLimits.DEFAULT.maxNestingDepth()));
    }

    @Override
    public final void service(Mail mail) {
        if (skip(mail)) {
            return;
        }
        Verdict verdict;
        try {
            long size = mail.getMessageSize();
            if (size > maxMessageBytes) {
                verdict = Verdict.notRun(filter(), "too-large");
            } else {
                // The budget starts with the turn: waiting for one is the spooler's queue, not this message's cost.
                try (FilterRunGate.Turn turn = stores.runGate().enter(FilterRunGate.DEFAULT_MAX_WAIT)) {
                    MimeMessage message = mail.getMessage();
                    verdict = judge(mail, message, (int) size, Deadline.after(timeBudget, nanoClock));
                }
            }
        } catch (Deadline.Exceeded e) {
            LOGGER.warn("{} filter gave up on mail {} after its time budget of {} ms", filter(), mail.getName(), timeBudget.toMillis());
            verdict = Verdict.notRun(filter(), TIMEOUT);
        } catch (MessagingException | RuntimeException e) {
            LOGGER.warn("{} filter did not run on mail {}: {}", filter(), mail.getName(), e.toString());
            verdict = Verdict.notRun(filter(), e instanceof MessagingException ? "bad-mime" : "error");
        }
        stores.metrics().verdict(verdict);
        try {
            mark(mail, verdict);
        } catch (MessagingException | RuntimeException e) {
            LOGGER.warn("Cannot add {} headers to mail {}: {}", filter(), mail.getName(), e.toString());
        }
        try {
            listener.onVerdict(mail, verdict);
        } catch (RuntimeException e) {
            LOGGER.warn("Verdict listener failed on mail {}", mail.getName(), e);
        }
    }

    protected abstract Verdict.Filter filter();

    /** True for mail this filter leaves alone (already judged by a stronger filter). */
    protected boolean skip(Mail mail) {
        return false;
    }

    /**
     * The verdict for this message; may throw on unreadable MIME, or {@link Deadline.Exceeded} once the deadline has
     * passed, which the caller turns into "not run".
     */
    protected abstract Verdict judge(Mail mail, MimeMessage message, int size, Deadline deadline) throws MessagingException;

    /** The clock the time budget is measured on; tests make time pass faster. */
    void nanoClock(LongSupplier clock) {
        this.nanoClock = clock;
    }

    /** Writes this verdict's headers and attributes. */
    protected abstract void mark(Mail mail, Verdict verdict) throws MessagingException;

    static void setAttribute(Mail mail, org.apache.mailet.AttributeName name, String value) {
        mail.setAttribute(new Attribute(name, AttributeValue.of(value)));
    }

    static void setAttribute(Mail mail, org.apache.mailet.AttributeName name, double value) {
        mail.setAttribute(new Attribute(name, AttributeValue.of(value)));
    }

    static String notRunHeader(Verdict verdict) {
        return "not-run; reason=" + verdict.reason().orElse("unknown");
    }

    static String formatScore(double score) {
        return String.format(Locale.ROOT, "%.4f", score);
    }

    protected String stringParameter(String name, String defaultValue) {
        String value = getInitParameter(name);
        return value == null || value.isBlank() ? defaultValue : value.trim();
    }

    protected long longParameter(String name, long defaultValue) throws MailetException {
        String value = getInitParameter(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            long parsed = Long.parseLong(value.trim());
            if (parsed <= 0) {
                throw new MailetException(getMailetName() + ": " + name + " must be positive, got " + value);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new MailetException(getMailetName() + ": " + name + " must be a number, got " + value);
        }
    }

    protected double doubleParameter(String name, double defaultValue, double min, double max) throws MailetException {
        String value = getInitParameter(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            double parsed = Double.parseDouble(value.trim());
            if (!(parsed >= min && parsed <= max)) {
                throw new MailetException(getMailetName() + ": " + name + " must be in [" + min + ", " + max + "], got " + value);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new MailetException(getMailetName() + ": " + name + " must be a number, got " + value);
        }
    }

    /** A positive duration as James reads them ({@link Durations}: 500ms, 10s, 5m, 1h, 1d; a plain number is seconds). */
    protected Duration durationParameter(String name, Duration defaultValue) throws MailetException {
        Duration duration = durationOrZeroParameter(name, defaultValue);
        if (duration.isZero()) {
            throw new MailetException(getMailetName() + ": " + name + " must be positive, got '" + getInitParameter(name).trim() + "'");
        }
        return duration;
    }

    /** As {@link #durationParameter}, where 0 is allowed (it means "never"). */
    protected Duration durationOrZeroParameter(String name, Duration defaultValue) throws MailetException {
        String value = getInitParameter(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        String raw = value.trim();
        try {
            return Durations.parse(raw, ChronoUnit.SECONDS);
        } catch (IllegalArgumentException e) {
            // Thrown from init, so James refuses to start rather than run with a misread interval.
            throw new MailetException(getMailetName() + ": " + name + ": " + e.getMessage());
        }
    }

    /**
     * The MongoDB this mailet uses: the extension's (conf/shaping.properties: mongo.uri, mongo.database,
     * mongo.timeout), each overridden by the mailet parameter of the same meaning when one is given.
     */
    protected MongoConnection mongoConnection() throws MailetException {
        try {
            return new MongoConnection(stringParameter("mongoUri", configuredConnection.uri()),
                stringParameter("database", configuredConnection.database()),
                durationParameter("mongoTimeout", configuredConnection.timeout()));
        } catch (IllegalArgumentException e) {
            throw new MailetException(getMailetName() + ": " + e.getMessage());
        }
    }
}
