package org.jamesshaping.filter.mailet;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.mailet.Mail;
import org.jamesshaping.filter.FilterStores;
import org.jamesshaping.filter.Verdict;
import org.jamesshaping.filter.VerdictListener;
import org.jamesshaping.filter.content.Deadline;
import org.jamesshaping.filter.content.MessageContent;
import org.jamesshaping.filter.fingerprint.Fingerprint;
import org.jamesshaping.filter.fingerprint.FingerprintMatch;
import org.jamesshaping.filter.fingerprint.FingerprintService;
import org.jamesshaping.filter.fingerprint.Fingerprinter;
import org.jamesshaping.filter.fingerprint.SpamSignature;
import org.jamesshaping.filter.predictive.AutoLearnQuota;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.store.StoreSettings;

/**
 * Known-spam filter: fingerprints the body and looks it up in the shared {@code spam_fingerprints} index.
 *
 * <p>Headers: {@code X-Shaping-Fingerprint: <id>; match=<similarity>} (known spam) or {@code <id>; no-match} or
 * {@code none; reason=short-body}, or {@code not-run; reason=...}; {@code <id>; no-match; trap-only-match=<signature>}
 * for mail of a fast-lane sender (class 0-1) like a signature only spamtraps reported, which anyone can feed; on a match also
 * {@code X-Shaping-Score: <similarity>} and {@code X-Shaping-Verdict: known-spam}. Any X-Shaping-Score or
 * X-Shaping-Verdict that arrived with the message is removed, so nobody can forge a verdict.</p>
 *
 * <p>With {@code reportAs=spamtrap} every mail reaching this mailet is added as known spam (use it in the
 * processor that handles spamtrap recipients), at most {@code maxPerSender} of one envelope sender and
 * {@code maxPerNetwork} of one client /24 per {@code window}, as {@link AutoLearn} bounds its examples: who writes
 * to a trap chooses what it sends, ham included. Parameters are documented in docs/filters.md.</p>
 */
public class FingerprintFilter extends ContentFilterMailet {
    /** The fast lane's classes are 0 and 1; a signature only spamtraps reported does not flag their mail. */
    static final int FAST_LANE_MAX_CLASS = 1;

    private Fingerprinter fingerprinter;
    private FingerprintService service;
    private Optional<SpamSignature.Source> reportAs = Optional.empty();
    private AutoLearnQuota trapQuota;

    /** As James builds it: MongoDB from conf/shaping.properties unless the mailet's parameters say otherwise. */
    @Inject
    public FingerprintFilter(FilterStores stores, VerdictListener listener, StoreSettings settings) {
        super(stores, listener, MongoConnection.of(settings));
    }

    @Override
    public void init() throws MessagingException {
        super.init();
        fingerprinter = new Fingerprinter((int) longParameter("minBodyChars", Fingerprinter.DEFAULT_MIN_TEXT_CHARS));
        double threshold = doubleParameter("threshold", 0.5, 0.05, 1.0);
        service = stores.fingerprints(mongoConnection(), threshold, durationParameter("refreshInterval", Duration.ofSeconds(10)));
        String report = stringParameter("reportAs", "");
        if (report.equalsIgnoreCase("spamtrap")) {
            reportAs = Optional.of(SpamSignature.Source.SPAMTRAP);
            long perSender = longParameter("maxPerSender", AutoLearn.DEFAULT_MAX_PER_SENDER);
            long perNetwork = longParameter("maxPerNetwork", AutoLearn.DEFAULT_MAX_PER_NETWORK);
            if (perSender < 1 || perNetwork < 1 || perSender > Integer.MAX_VALUE || perNetwork > Integer.MAX_VALUE) {
                throw new MessagingException(getMailetName() + ": maxPerSender and maxPerNetwork must be positive numbers");
            }
            trapQuota = new AutoLearnQuota((int) perSender, (int) perNetwork, durationParameter("window", AutoLearn.DEFAULT_WINDOW),
                Clock.systemUTC());
        } else if (!report.isEmpty()) {
            throw new MessagingException(getMailetName() + ": reportAs must be 'spamtrap' or empty, got " + report);
        }
    }

    @Override
    public String getMailetInfo() {
        return "james-shaping known-spam fingerprint filter";
    }

    @Override
    protected Verdict.Filter filter() {
        return Verdict.Filter.FINGERPRINT;
    }

    @Override
    protected Verdict judge(Mail mail, MimeMessage message, int size, Deadline deadline) throws MessagingException {
        MessageContent content = extractor.extract(message, size, deadline);
        Optional<Fingerprint> fingerprint = fingerprinter.fingerprint(content, deadline);
        if (fingerprint.isEmpty()) {
            return Verdict.unknown(null);
        }
        if (reportAs.isPresent()) {
            // Past its sender's or /24's bound a trap mail adds no signature: ham sent to a trap from one network
            // under many senders would otherwise make its look-alikes known spam for every server.
            if (trapQuota.take(AutoLearn.senderKey(mail), AutoLearnQuota.network(mail.getRemoteAddr())) != AutoLearnQuota.Decision.TAKEN) {
                return Verdict.unknown(fingerprint.get().id());
            }
            // A spamtrap write may block up to the MongoDB timeout: acceptable in the trap's own processor only.
            service.report(fingerprint.get(), reportAs.get());
            return Verdict.knownSpam(fingerprint.get().id(), 1.0);
        }
        FingerprintService.Lookup lookup = service.lookup(fingerprint.get());
        switch (lookup.status()) {
            case MATCH:
                FingerprintMatch match = lookup.match().orElseThrow();
                if (!match.signature().operatorReported() && fastLane(mail)) {
                    // Anyone can send a copy of a trusted sender's newsletter to a trap: only an operator's report
                    // makes the fast lane's mail known spam (the predictive filter still scores it).
                    return Verdict.unknown(fingerprint.get().id(), "trap-only-match=" + match.signature().id());
                }
                return Verdict.knownSpam(match.signature().id(), match.similarity());
            case NO_MATCH:
                return Verdict.unknown(fingerprint.get().id());
            default:
                return Verdict.notRun(Verdict.Filter.FINGERPRINT, "store-unavailable");
        }
    }

    /** Mail the shaper delivered from a fast-lane connection (class 0 or 1: allowlisted, or a long clean history). */
    private static boolean fastLane(Mail mail) {
        return ShapingHeaders.senderClass(mail).map(level -> level <= FAST_LANE_MAX_CLASS).orElse(false);
    }

    @Override
    protected void mark(Mail mail, Verdict verdict) throws MessagingException {
        MimeMessage message = mail.getMessage();
        message.removeHeader(ShapingHeaders.SCORE);
        message.removeHeader(ShapingHeaders.VERDICT);
        String header;
        switch (verdict.outcome()) {
            case KNOWN_SPAM:
                header = verdict.fingerprintId().orElse("") + "; match=" + formatScore(verdict.score());
                message.setHeader(ShapingHeaders.SCORE, formatScore(verdict.score()));
                message.setHeader(ShapingHeaders.VERDICT, Verdict.Outcome.KNOWN_SPAM.header());
                setAttribute(mail, ShapingHeaders.SCORE_ATTRIBUTE, verdict.score());
                break;
            case UNKNOWN:
                header = verdict.fingerprintId().map(id -> id + "; no-match" + verdict.reason().map(reason -> "; " + reason).orElse(""))
                    .orElse("none; reason=short-body");
                break;
            default:
                header = notRunHeader(verdict);
                break;
        }
        message.setHeader(ShapingHeaders.FINGERPRINT, header);
        verdict.fingerprintId().ifPresent(id -> setAttribute(mail, ShapingHeaders.FINGERPRINT_ATTRIBUTE, id));
        setAttribute(mail, ShapingHeaders.VERDICT_ATTRIBUTE, verdict.outcome().header());
        message.saveChanges();
    }
}
