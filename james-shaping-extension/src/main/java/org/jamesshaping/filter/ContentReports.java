package org.jamesshaping.filter;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

import javax.mail.MessagingException;

import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.content.MessageContent;
import org.jamesshaping.filter.fingerprint.Fingerprint;
import org.jamesshaping.filter.fingerprint.FingerprintStore;
import org.jamesshaping.filter.fingerprint.Fingerprinter;
import org.jamesshaping.filter.fingerprint.SpamSignature;
import org.jamesshaping.filter.predictive.TrainingReports;
import org.jamesshaping.store.MongoConnection;

/**
 * The content-report workflow, one for WebAdmin ({@code ContentReportRoutes}) and {@code filter report-spam|report-ham}:
 * parse within {@link ContentLimits#DEFAULT}, add a spam's fingerprint to the known-spam store when its text is long
 * enough, queue the message in {@link TrainingReports}. MongoDB failures are the driver's {@code MongoException}.
 */
public final class ContentReports {
    /** The filters' defaults, so that a server's reports land in the index its fingerprint mailet reads. */
    private static final double FINGERPRINT_THRESHOLD = 0.5;
    private static final Duration FINGERPRINT_REFRESH = Duration.ofSeconds(10);

    /** Where a reported spam's signature is stored. */
    private interface KnownSpam {
        SpamSignature add(Fingerprint fingerprint, SpamSignature.Source source);
    }

    /** The reported bytes are not a message the filters can read; nothing was stored. */
    public static final class UnreadableMessage extends Exception {
        private static final long serialVersionUID = 1L;

        UnreadableMessage(Exception cause) {
            // The parser's own words, as operators have always been shown them (possibly "null").
            super(String.valueOf(cause.getMessage()), cause);
        }
    }

    /** How a spam is reported: by whom, how long its text must be to be fingerprinted, and whether to learn it. */
    public static final class SpamReport {
        public static final SpamReport DEFAULT = new SpamReport(SpamSignature.Source.OPERATOR_REPORT,
            Fingerprinter.DEFAULT_MIN_TEXT_CHARS, true);

        private final SpamSignature.Source source;
        private final int minTextChars;
        private final boolean learn;

        private SpamReport(SpamSignature.Source source, int minTextChars, boolean learn) {
            this.source = source;
            this.minTextChars = minTextChars;
            this.learn = learn;
        }

        public SpamReport from(SpamSignature.Source newSource) {
            return new SpamReport(newSource, minTextChars, learn);
        }

        public SpamReport minTextChars(int chars) {
            return new SpamReport(source, chars, learn);
        }

        /** The fingerprint only: the predictive model is not told. */
        public SpamReport withoutLearning() {
            return new SpamReport(source, minTextChars, false);
        }
    }

    /** What became of one reported message. */
    public static final class Outcome {
        private final Optional<SpamSignature> signature;
        private final Optional<String> fingerprintSkipped;
        private final Optional<TrainingReports.Report> training;
        private final Optional<String> trainingRefused;

        private Outcome(Optional<SpamSignature> signature, Optional<String> fingerprintSkipped,
                        Optional<TrainingReports.Report> training, Optional<String> trainingRefused) {
            this.signature = signature;
            this.fingerprintSkipped = fingerprintSkipped;
            this.training = training;
            this.trainingRefused = trainingRefused;
        }

        /** The known-spam signature added (or reported once more); empty for ham and for a spam too short. */
        public Optional<SpamSignature> signature() {
            return signature;
        }

        /** Why a spam was not fingerprinted, in words for the operator; empty for ham and when it was. */
        public Optional<String> fingerprintSkipped() {
            return fingerprintSkipped;
        }

        /** The training report queued (or counted once more); empty when learning was not asked or was refused. */
        public Optional<TrainingReports.Report> training() {
            return training;
        }

        /** Why the message could not be queued for learning: empty, too large to keep, or its bounds full of reports still to learn. */
        public Optional<String> trainingRefused() {
            return trainingRefused;
        }
    }

    private final ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
    private final KnownSpam knownSpam;
    private final Predicate<String> removeFingerprint;
    private final Supplier<TrainingReports> training;
    private final Clock clock;

    /** {@code training} is resolved at each report, so that a server opens nothing before the first one. */
    private ContentReports(KnownSpam knownSpam, Predicate<String> removeFingerprint, Supplier<TrainingReports> training,
                           Clock clock) {
        this.knownSpam = knownSpam;
        this.removeFingerprint = removeFingerprint;
        this.training = training;
        this.clock = clock;
    }

    /**
     * On a James server: through the same {@link FilterStores} as the mailets, so the server that takes a spam report
     * matches the campaign's variants at once (the others after their next refresh).
     */
    public static ContentReports onServer(FilterStores stores, MongoConnection connection) {
        return new ContentReports(
            (fingerprint, source) -> stores.fingerprints(connection, FINGERPRINT_THRESHOLD, FINGERPRINT_REFRESH).report(fingerprint, source),
            id -> stores.fingerprints(connection, FINGERPRINT_THRESHOLD, FINGERPRINT_REFRESH).delete(id),
            () -> stores.trainingReports(connection), Clock.systemUTC());
    }

    /** For a tool: straight to the collections, with no in-memory index and no background thread. */
    public static ContentReports onStores(FingerprintStore fingerprints, TrainingReports training, Clock clock) {
        return new ContentReports((fingerprint, source) -> fingerprints.report(fingerprint, source, clock.instant()),
            id -> fingerprints.delete(id, clock.instant()), () -> training, clock);
    }

    public Outcome reportSpam(byte[] raw, SpamReport how) throws UnreadableMessage {
        MessageContent content = read(raw);
        Optional<Fingerprint> fingerprint = new Fingerprinter(how.minTextChars).fingerprint(content);
        Optional<SpamSignature> signature = fingerprint.map(value -> knownSpam.add(value, how.source));
        Optional<String> skipped = fingerprint.isPresent() ? Optional.empty() : Optional.of("the message's text is shorter than "
            + how.minTextChars + " characters once normalised (short and empty bodies would match legitimate mail)");
        if (!how.learn) {
            return new Outcome(signature, skipped, Optional.empty(), Optional.empty());
        }
        // Fingerprinted first: a message too large to keep for learning is still worth its known-spam signature.
        return queue(raw, true, how.source.stored(), signature, skipped);
    }

    public Outcome reportHam(byte[] raw) throws UnreadableMessage {
        read(raw);
        return queue(raw, false, SpamSignature.Source.OPERATOR_REPORT.stored(), Optional.empty(), Optional.empty());
    }

    /** Removes a known-spam fingerprint from the shared store; false when there is none by that id. */
    public boolean deleteFingerprint(String id) {
        return removeFingerprint.test(id);
    }

    /** The latest reports in a state (or all), without their messages. */
    public List<TrainingReports.Report> latest(Optional<TrainingReports.State> state, int limit) {
        return training.get().list(state, limit);
    }

    private MessageContent read(byte[] raw) throws UnreadableMessage {
        try {
            return extractor.extract(raw);
        } catch (MessagingException | RuntimeException e) {
            throw new UnreadableMessage(e);
        }
    }

    private Outcome queue(byte[] raw, boolean spam, String source, Optional<SpamSignature> signature, Optional<String> skipped) {
        Optional<String> refused = TrainingReports.refusal(raw);
        if (refused.isEmpty()) {
            refused = training.get().full(raw, spam, source);
        }
        if (refused.isPresent()) {
            return new Outcome(signature, skipped, Optional.empty(), refused);
        }
        TrainingReports.Report report = training.get().add(raw, spam, source, clock.instant());
        return new Outcome(signature, skipped, Optional.of(report), Optional.empty());
    }
}
