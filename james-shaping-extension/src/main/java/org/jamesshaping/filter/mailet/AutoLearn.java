package org.jamesshaping.filter.mailet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetException;
import org.apache.mailet.base.GenericMailet;
import org.jamesshaping.filter.FilterStores;
import org.jamesshaping.filter.predictive.AutoLearnQuota;
import org.jamesshaping.filter.predictive.TrainingReports;
import org.jamesshaping.runtime.Durations;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.store.StoreSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Autolearn: queues every mail reaching it for the shared predictive model as spam or ham ({@code as}), as an
 * operator report is queued (source {@code autolearn}; the model learns it with the reports). Which mail is trusted
 * is the matcher's choice, never the sender's: in the sample configuration, mail from authenticated users
 * ({@code SMTPAuthSuccessful}) as ham, and mail the fingerprint filter matched as known spam, or that reached a
 * spamtrap, as spam. Each sender and each /24 gives at most {@code maxPerSender} and {@code maxPerNetwork} messages
 * per {@code window} ({@link AutoLearnQuota}). The attribute {@code org.jamesshaping.filter.autolearn} says what was
 * done: {@code queued}, {@code over-sender-limit}, {@code over-network-limit} or {@code failed}; an {@code as=ham}
 * mailet never learns mail the fingerprint filter judged known spam ({@value #KNOWN_SPAM_OUTCOME}), so a trusted
 * sender's relayed or chosen spam cannot be learned both ways. Never stops a mail.
 *
 * <p>Queueing is one MongoDB upsert on the spooler thread, bounded by {@code mongoTimeout}, like {@code reportAs}
 * of {@link FingerprintFilter}.</p>
 */
public class AutoLearn extends GenericMailet {
    public static final AttributeName AUTOLEARN_ATTRIBUTE = AttributeName.of("org.jamesshaping.filter.autolearn");
    public static final String SOURCE = "autolearn";
    /** The outcome of mail reaching an {@code as=ham} mailet that the fingerprint filter judged known spam: not learned. */
    public static final String KNOWN_SPAM_OUTCOME = "known-spam-not-ham";
    static final int DEFAULT_MAX_PER_SENDER = 5;
    static final int DEFAULT_MAX_PER_NETWORK = 20;
    static final Duration DEFAULT_WINDOW = Duration.ofDays(1);
    private static final Logger LOGGER = LoggerFactory.getLogger(AutoLearn.class);

    private final FilterStores stores;
    private final MongoConnection configuredConnection;
    private final Clock clock;
    private TrainingReports reports;
    private AutoLearnQuota quota;
    private boolean spam;
    private long failures;

    @Inject
    public AutoLearn(FilterStores stores, StoreSettings settings) {
        this(stores, MongoConnection.of(settings), Clock.systemUTC());
    }

    AutoLearn(FilterStores stores, MongoConnection configuredConnection, Clock clock) {
        this.stores = stores;
        this.configuredConnection = configuredConnection;
        this.clock = clock;
    }

    @Override
    public void init() throws MessagingException {
        String as = parameter("as", "").toLowerCase(Locale.ROOT);
        if (!as.equals("spam") && !as.equals("ham")) {
            throw new MailetException(getMailetName() + ": as must be spam or ham, got '" + as + "'");
        }
        spam = as.equals("spam");
        MongoConnection connection;
        try {
            connection = new MongoConnection(parameter("mongoUri", configuredConnection.uri()),
                parameter("database", configuredConnection.database()), duration("mongoTimeout", configuredConnection.timeout()));
        } catch (IllegalArgumentException e) {
            throw new MailetException(getMailetName() + ": " + e.getMessage());
        }
        quota = new AutoLearnQuota(positive("maxPerSender", DEFAULT_MAX_PER_SENDER), positive("maxPerNetwork", DEFAULT_MAX_PER_NETWORK),
            duration("window", DEFAULT_WINDOW), clock);
        reports = stores.trainingReports(connection);
    }

    @Override
    public String getMailetInfo() {
        return "james-shaping autolearn";
    }

    @Override
    public void service(Mail mail) {
        if (!spam && ShapingHeaders.isKnownSpam(mail)) {
            // A trusted sender's mail that matched a reported spam (a relayed campaign, a warmed-up spammer): no ham.
            mail.setAttribute(new Attribute(AUTOLEARN_ATTRIBUTE, AttributeValue.of(KNOWN_SPAM_OUTCOME)));
            return;
        }
        AutoLearnQuota.Decision decision = quota.take(senderKey(mail), AutoLearnQuota.network(mail.getRemoteAddr()));
        String outcome = decision.attribute();
        if (decision == AutoLearnQuota.Decision.TAKEN) {
            try {
                ByteArrayOutputStream raw = new ByteArrayOutputStream();
                mail.getMessage().writeTo(raw);
                if (TrainingReports.refusal(raw.toByteArray()).isPresent()) {
                    outcome = "failed";
                } else {
                    reports.add(raw.toByteArray(), spam, SOURCE, clock.instant());
                }
            } catch (MessagingException | IOException | RuntimeException e) {
                outcome = "failed";
                failures++;
                LOGGER.warn("Cannot queue mail {} for autolearn as {}: {}", mail.getName(), spam ? "spam" : "ham", e.toString());
            }
        }
        mail.setAttribute(new Attribute(AUTOLEARN_ATTRIBUTE, AttributeValue.of(outcome)));
        long done = quota.taken() + quota.senderLimited() + quota.networkLimited();
        if (done % 100 == 0) {
            LOGGER.info("Autolearn as {}: {} queued, {} over the sender limit, {} over the network limit, {} failed", spam ? "spam" : "ham",
                quota.taken(), quota.senderLimited(), quota.networkLimited(), failures);
        }
    }

    /** Whom a mail's examples count against: its envelope sender, or its client for a null sender. */
    static String senderKey(Mail mail) {
        return mail.getMaybeSender().asOptional().map(Object::toString).map(value -> value.toLowerCase(Locale.ROOT))
            .orElse("<>@" + mail.getRemoteAddr());
    }

    /** The counters, for tests and logs. */
    AutoLearnQuota quota() {
        return quota;
    }

    private String parameter(String name, String defaultValue) {
        String value = getInitParameter(name);
        return value == null || value.isBlank() ? defaultValue : value.trim();
    }

    private int positive(String name, int defaultValue) throws MailetException {
        String value = getInitParameter(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed > 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new MailetException(getMailetName() + ": " + name + " must be a positive number, got '" + value + "'");
    }

    private Duration duration(String name, Duration defaultValue) throws MailetException {
        String value = getInitParameter(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            Duration parsed = Durations.parse(value.trim(), ChronoUnit.SECONDS);
            if (!parsed.isNegative() && !parsed.isZero()) {
                return parsed;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new MailetException(getMailetName() + ": " + name + " must be a positive duration, got '" + value + "'");
    }
}
