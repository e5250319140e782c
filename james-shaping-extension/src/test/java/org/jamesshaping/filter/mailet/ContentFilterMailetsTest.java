package org.jamesshaping.filter.mailet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.jamesshaping.filter.FilterStores;
import org.jamesshaping.filter.ReputationVerdictListener;
import org.jamesshaping.filter.Verdict;
import org.jamesshaping.filter.VerdictListener;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.fingerprint.Fingerprint;
import org.jamesshaping.filter.fingerprint.FingerprintService;
import org.jamesshaping.filter.fingerprint.FingerprintServiceTest;
import org.jamesshaping.filter.fingerprint.FingerprintStore;
import org.jamesshaping.filter.fingerprint.Fingerprinter;
import org.jamesshaping.filter.fingerprint.SpamSignature;
import org.jamesshaping.filter.predictive.FeatureExtractor;
import org.jamesshaping.filter.predictive.ModelCodec;
import org.jamesshaping.filter.predictive.ModelTrainer;
import org.jamesshaping.filter.predictive.PredictiveModelStore;
import org.jamesshaping.filter.predictive.PredictiveModelStoreTest;
import org.jamesshaping.scoring.ClassDecision;
import org.jamesshaping.scoring.Scoring;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.scoring.SignalCounts;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.store.StoreSettings;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.jamesshaping.testsupport.SpamMutator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.mongodb.client.MongoClient;

class ContentFilterMailetsTest {
    private static final String SPAM_TEXT = "Congratulations, you have been selected to receive a free cruise to the Bahamas. "
        + "Simply call our toll free number today and claim your luxury vacation package before this limited offer expires. "
        + "Thousands of satisfied customers have already enjoyed this exclusive deal from our travel partners.";
    private static final String OTHER_TEXT = "The quarterly engineering review will cover the storage migration, the new build "
        + "pipeline and the on-call rotation. Please bring your team's open issues and the list of risks you are tracking, "
        + "so that we can agree on priorities for the next release cycle together.";

    /** What James would inject with no MongoDB configured; the tests name theirs in the mailets' parameters. */
    private static final StoreSettings OUTSIDE_JAMES = StoreSettings.defaults(MongoConnection.DEFAULT_URI);

    private final EmbeddedMongo mongo = EmbeddedMongo.startInMemory();
    private final FilterStores stores = new FilterStores();
    private final List<Verdict> verdicts = new ArrayList<>();
    private final List<Signal> signals = new ArrayList<>();
    private final VerdictListener listener = (mail, verdict) -> {
        verdicts.add(verdict);
        new ReputationVerdictListener((InetAddress address, SignalCounts counts) -> {
            for (Signal signal : Signal.values()) {
                if (counts.count(signal) > 0) {
                    signals.add(signal);
                }
            }
        }, new Scoring(Optional.empty())).onVerdict(mail, verdict);
    };

    @AfterEach
    void stop() {
        stores.close();
        mongo.close();
    }

    private static Mail mail(byte[] raw) throws Exception {
        MimeMessage message = ContentExtractor.parse(raw);
        message.setHeader(ShapingHeaders.VERDICT, "ham");
        return MailImpl.builder().name("mail-" + System.nanoTime()).sender("sender@example.org").addRecipient("rcpt@example.com")
            .mimeMessage(message).remoteAddr("192.0.2.7").build();
    }

    /** Ham sent to a trap from one /24 under many senders: only maxPerNetwork of it becomes known spam. */
    @Test
    void aSpamtrapAddsAtMostMaxPerNetworkSignaturesFromOneNetworkWhateverTheSenders() throws Exception {
        FingerprintFilter trap = fingerprintFilter(mongo.uri(), Map.of("reportAs", "spamtrap", "maxPerNetwork", "2"));
        // The first load creates the collection's indexes; the embedded MongoDB can fail an upsert racing with it.
        loadedFingerprints();
        String[] words = ("minutes review release planned design parser module build weekly meeting agenda notes project "
            + "schedule budget travel library compiler upgrade network printer office").split(" ");
        List<String> headers = new java.util.ArrayList<>();
        for (int n = 0; n < 4; n++) {
            java.util.List<String> shuffled = new java.util.ArrayList<>(java.util.Arrays.asList(words));
            java.util.Collections.shuffle(shuffled, new java.util.Random(n));
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 4; i++) {
                text.append(String.join(" ", shuffled)).append(". ");
            }
            MimeMessage message = ContentExtractor.parse(SpamMutator.message("Minutes", text.toString(), false));
            Mail mail = MailImpl.builder().name("trap-" + n).sender("member" + n + "@lists.example.org").addRecipient("trap@example.com")
                .mimeMessage(message).remoteAddr("198.51.100." + (10 + n)).build();
            trap.service(mail);
            headers.add(mail.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null));
        }
        assertThat(headers.subList(0, 2)).allSatisfy(header -> assertThat(header).contains("; match="));
        assertThat(headers.subList(2, 4)).allSatisfy(header -> assertThat(header).endsWith("; no-match"));
        try (MongoClient client = new MongoConnection(mongo.uri(), "filter_test", Duration.ofSeconds(2)).open()) {
            assertThat(client.getDatabase("filter_test").getCollection(FingerprintStore.COLLECTION).countDocuments()).isEqualTo(2);
        }
    }

    private FingerprintFilter fingerprintFilter(String uri) throws Exception {
        return fingerprintFilter(uri, Map.of());
    }

    private FingerprintFilter fingerprintFilter(String uri, Map<String, String> more) throws Exception {
        Map<String, String> parameters = new java.util.HashMap<>(Map.of("mongoUri", uri, "database", "filter_test",
            "mongoTimeout", "500ms", "refreshInterval", "100ms"));
        parameters.putAll(more);
        FingerprintFilter mailet = new FingerprintFilter(stores, listener, OUTSIDE_JAMES);
        mailet.init(new TestMailetConfig("FingerprintFilter", parameters));
        return mailet;
    }

    /** A fingerprint filter with this time budget, its (empty) index loaded. */
    private FingerprintFilter loadedFingerprintFilter(String timeBudget) throws Exception {
        FingerprintFilter mailet = fingerprintFilter(mongo.uri(), Map.of("timeBudget", timeBudget));
        loadedFingerprints();
        return mailet;
    }

    /** The fingerprint service the filters of this test share, its index loaded. */
    private FingerprintService loadedFingerprints() throws InterruptedException {
        FingerprintService service = stores.fingerprints(new MongoConnection(mongo.uri(), "filter_test", Duration.ofMillis(500)), 0.5,
            Duration.ofMillis(100));
        awaitLoaded(service);
        return service;
    }

    private static void awaitLoaded(FingerprintService service) throws InterruptedException {
        FingerprintServiceTest.awaitLoaded(service);
    }

    @Test
    void knownSpamGetsHeadersAttributesAndAReputationSignal() throws Exception {
        FingerprintFilter mailet = fingerprintFilter(mongo.uri());
        FingerprintService service = loadedFingerprints();
        service.report(new Fingerprinter().fingerprint(SPAM_TEXT).orElseThrow(), SpamSignature.Source.OPERATOR_REPORT);

        Mail spam = mail(SpamMutator.message("Win", "Dear Alice,\n" + SPAM_TEXT + " http://x.example/?id=42", false));
        mailet.service(spam);

        MimeMessage message = spam.getMessage();
        assertThat(message.getHeader(ShapingHeaders.VERDICT, null)).isEqualTo("known-spam");
        assertThat(message.getHeader(ShapingHeaders.FINGERPRINT, null)).contains("; match=");
        assertThat(spam.getAttribute(ShapingHeaders.VERDICT_ATTRIBUTE).orElseThrow().getValue().value()).isEqualTo("known-spam");
        assertThat(signals).containsExactly(Signal.KNOWN_SPAM);
    }

    @Test
    void aSignatureOnlySpamtrapsReportedDoesNotFlagAFastLaneSendersMailUntilAnOperatorReportsIt() throws Exception {
        FingerprintFilter mailet = fingerprintFilter(mongo.uri());
        FingerprintService service = loadedFingerprints();
        Fingerprint trapped = new Fingerprinter().fingerprint(SPAM_TEXT).orElseThrow();
        service.report(trapped, SpamSignature.Source.SPAMTRAP);
        byte[] copy = SpamMutator.message("Win", "Dear Alice,\n" + SPAM_TEXT + " http://x.example/?id=42", false);

        Mail fastLane = withSenderClass(mail(copy), 1);
        mailet.service(fastLane);
        assertThat(fastLane.getMessage().getHeader(ShapingHeaders.VERDICT, null)).isNull();
        assertThat(fastLane.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null)).endsWith("; no-match; trap-only-match=" + trapped.id());
        assertThat(signals).isEmpty();
        // The rest of the mail, newcomers and mail no shaper classed, is still judged by the trap's signature.
        Mail newcomer = withSenderClass(mail(copy), 3);
        mailet.service(newcomer);
        assertThat(newcomer.getMessage().getHeader(ShapingHeaders.VERDICT, null)).isEqualTo("known-spam");
        Mail unclassed = mail(copy);
        mailet.service(unclassed);
        assertThat(unclassed.getMessage().getHeader(ShapingHeaders.VERDICT, null)).isEqualTo("known-spam");

        service.report(trapped, SpamSignature.Source.OPERATOR_REPORT);
        Mail reported = withSenderClass(mail(copy), 0);
        mailet.service(reported);
        assertThat(reported.getMessage().getHeader(ShapingHeaders.VERDICT, null)).isEqualTo("known-spam");
        assertThat(signals).containsExactly(Signal.KNOWN_SPAM, Signal.KNOWN_SPAM, Signal.KNOWN_SPAM);
    }

    private static Mail withSenderClass(Mail mail, int level) {
        mail.setAttribute(new Attribute(AttributeName.of(ClassDecision.MAIL_ATTRIBUTE), AttributeValue.of(level)));
        return mail;
    }

    @Test
    void unknownMailLosesAForgedVerdictHeader() throws Exception {
        FingerprintFilter mailet = fingerprintFilter(mongo.uri());
        awaitLoaded(stores.fingerprints(new MongoConnection(mongo.uri(), "filter_test", Duration.ofMillis(500)), 0.5, Duration.ofMillis(100)));
        Mail mail = mail(SpamMutator.message("Hello", SPAM_TEXT, false));
        mailet.service(mail);

        assertThat(mail.getMessage().getHeader(ShapingHeaders.VERDICT)).isNull();
        assertThat(mail.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null)).endsWith("; no-match");
        assertThat(verdicts).extracting(Verdict::outcome).containsExactly(Verdict.Outcome.UNKNOWN);
        assertThat(signals).isEmpty();
    }

    @Test
    void storeDownLetsTheMailThroughQuicklyWithANotRunHeader() throws Exception {
        FingerprintFilter mailet = fingerprintFilter(EmbeddedMongo.deadUri());
        Mail mail = mail(SpamMutator.message("Hello", SPAM_TEXT, false));
        long start = System.nanoTime();
        mailet.service(mail);

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(500);
        assertThat(mail.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null)).isEqualTo("not-run; reason=store-unavailable");
        assertThat(mail.getState()).isNotEqualTo(Mail.GHOST);
    }

    @Test
    void brokenMimeIsNotFilteredButPassesWithAHeader() throws Exception {
        FingerprintFilter mailet = fingerprintFilter(mongo.uri());
        Mail mail = mail(("From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\n" + SPAM_TEXT).getBytes());
        mailet.service(mail);
        assertThat(mail.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null)).isNotNull();
    }

    @Test
    void predictiveFilterScoresWithAModelFileAndSkipsKnownSpam(@TempDir Path folder) throws Exception {
        PredictiveFilter mailet = new PredictiveFilter(stores, listener, OUTSIDE_JAMES);
        mailet.init(new TestMailetConfig("PredictiveFilter", Map.of("model", modelFile(folder).toString(), "refreshInterval", "100ms")));
        Mail spam = awaitScored(mailet, SpamMutator.message("cheap pills", "Buy cheap pills now, best prices online, viagra offer", false));
        Mail ham = mail(SpamMutator.message("meeting notes", "Notes from the design meeting about the parser", false));
        mailet.service(ham);

        assertThat(spam.getMessage().getHeader(ShapingHeaders.VERDICT, null)).isEqualTo("spam");
        assertThat(Double.parseDouble(spam.getMessage().getHeader(ShapingHeaders.SCORE, null))).isGreaterThan(0.5);
        assertThat(ham.getMessage().getHeader(ShapingHeaders.VERDICT, null)).isEqualTo("ham");
        assertThat(signals).endsWith(Signal.SPAM, Signal.HAM);

        Mail known = mail(SpamMutator.message("meeting notes", "Notes from the design meeting about the parser", false));
        known.setAttribute(new org.apache.mailet.Attribute(ShapingHeaders.VERDICT_ATTRIBUTE, org.apache.mailet.AttributeValue.of("known-spam")));
        known.getMessage().removeHeader(ShapingHeaders.VERDICT);
        mailet.service(known);
        assertThat(known.getMessage().getHeader(ShapingHeaders.SCORE)).isNull();
    }

    /** Serves the message until the model file is loaded (the first calls may say not-run). */
    private static Mail awaitScored(PredictiveFilter mailet, byte[] raw) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Mail mail;
        do {
            mail = mail(raw);
            mailet.service(mail);
        } while (mail.getMessage().getHeader(ShapingHeaders.SCORE, null).equals("not-run; reason=no-model") && System.nanoTime() < deadline);
        return mail;
    }

    /** Past its budget a filter lets the mail go on, says so in its header, and counts it; the next mail is judged. */
    @Test
    void fingerprintFilterPastItsTimeBudgetPassesTheMailWithATimeoutHeaderAndCountsIt() throws Exception {
        FingerprintFilter mailet = loadedFingerprintFilter("2s");
        // Each reading of the clock is 3 s later: the first check inside the extraction is past the budget.
        AtomicLong now = new AtomicLong();
        mailet.nanoClock(() -> now.addAndGet(TimeUnit.SECONDS.toNanos(3)));
        Mail slow = mail(SpamMutator.message("Hello", SPAM_TEXT, false));
        mailet.service(slow);

        assertThat(slow.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null)).isEqualTo("not-run; reason=timeout");
        assertThat(slow.getAttribute(ShapingHeaders.VERDICT_ATTRIBUTE).orElseThrow().getValue().value()).isEqualTo("not-run");
        assertThat(slow.getState()).isNotEqualTo(Mail.GHOST);
        assertThat(slow.getRecipients()).hasSize(1);
        assertThat(stores.timeouts(Verdict.Filter.FINGERPRINT)).isEqualTo(1);
        assertThat(stores.timeouts(Verdict.Filter.PREDICTIVE)).isZero();
        assertThat(verdicts).extracting(Verdict::outcome).containsExactly(Verdict.Outcome.NOT_RUN);
        assertThat(signals).isEmpty();

        mailet.nanoClock(System::nanoTime);
        Mail next = mail(SpamMutator.message("Hello", SPAM_TEXT, false));
        mailet.service(next);
        assertThat(next.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null)).endsWith("; no-match");
        assertThat(stores.timeouts(Verdict.Filter.FINGERPRINT)).isEqualTo(1);
    }

    /** On the real clock: a message of 60 parts of 60 KB each takes far more than a millisecond to read. */
    @Test
    void aMessageThatTakesLongerThanTheBudgetToReadGetsATimeoutHeader() throws Exception {
        FingerprintFilter mailet = loadedFingerprintFilter("1ms");
        StringBuilder raw = new StringBuilder("From: a@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=zz\r\n\r\n");
        String part = (SPAM_TEXT + "\r\n").repeat(60_000 / SPAM_TEXT.length());
        for (int i = 0; i < 60; i++) {
            raw.append("--zz\r\nContent-Type: text/plain\r\n\r\n").append(part);
        }
        raw.append("--zz--\r\n");
        Mail slow = mail(raw.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        mailet.service(slow);

        assertThat(slow.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null)).isEqualTo("not-run; reason=timeout");
        assertThat(stores.timeouts(Verdict.Filter.FINGERPRINT)).isEqualTo(1);
    }

    @Test
    void predictiveFilterPastItsTimeBudgetPassesTheMailWithATimeoutHeaderAndCountsIt(@TempDir Path folder) throws Exception {
        PredictiveFilter mailet = new PredictiveFilter(stores, listener, OUTSIDE_JAMES);
        mailet.init(new TestMailetConfig("PredictiveFilter", Map.of("model", modelFile(folder).toString(), "refreshInterval", "100ms",
            "timeBudget", "2s")));
        awaitScored(mailet, SpamMutator.message("cheap pills", "Buy cheap pills now", false));
        AtomicLong now = new AtomicLong();
        mailet.nanoClock(() -> now.addAndGet(TimeUnit.SECONDS.toNanos(3)));
        Mail slow = mail(SpamMutator.message("cheap pills", "Buy cheap pills now, best prices online, viagra offer", false));
        mailet.service(slow);

        assertThat(slow.getMessage().getHeader(ShapingHeaders.SCORE, null)).isEqualTo("not-run; reason=timeout");
        assertThat(slow.getMessage().getHeader(ShapingHeaders.VERDICT)).isNull();
        assertThat(slow.getState()).isNotEqualTo(Mail.GHOST);
        assertThat(stores.timeouts(Verdict.Filter.PREDICTIVE)).isEqualTo(1);
    }

    @Test
    void aTimeBudgetThatIsNotADurationFailsTheMailetsInit() {
        FingerprintFilter mailet = new FingerprintFilter(stores, listener, OUTSIDE_JAMES);
        assertThatThrownBy(() -> mailet.init(new TestMailetConfig("FingerprintFilter", Map.of("mongoUri", EmbeddedMongo.deadUri(),
            "timeBudget", "soon")))).isInstanceOf(MessagingException.class).hasMessageContaining("timeBudget").hasMessageContaining("soon");
        assertThatThrownBy(() -> mailet.init(new TestMailetConfig("FingerprintFilter", Map.of("mongoUri", EmbeddedMongo.deadUri(),
            "timeBudget", "0")))).isInstanceOf(MessagingException.class).hasMessageContaining("timeBudget");
    }

    /** A model file trained on a few made-up spam and ham. */
    private static Path modelFile(Path folder) throws Exception {
        ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
        FeatureExtractor features = new FeatureExtractor(16);
        List<ModelTrainer.Example> examples = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            examples.add(new ModelTrainer.Example(features.features(extractor.extract(
                SpamMutator.message("cheap pills " + i, "Buy cheap pills now, best prices online, viagra cialis offer " + i, false))), true));
            examples.add(new ModelTrainer.Example(features.features(extractor.extract(
                SpamMutator.message("meeting notes " + i, "Notes from the design meeting about the parser refactoring " + i, false))), false));
        }
        Path file = folder.resolve("model.bin");
        ModelCodec.writeFile(new ModelTrainer(16, 10, 0.5, 1, 1e-6, 1).train(examples, 0.5), file);
        return file;
    }

    @Test
    void jamesBuildsTheMailetsWithTheExtensionsMongoSettingsAndParametersOverrideThem() throws Exception {
        StoreSettings settings = StoreSettings.defaults(mongo.uri()).withDatabase("from_properties").withTimeout(Duration.ofMillis(1500));
        Injector injector = Guice.createInjector(binder -> {
            binder.bind(StoreSettings.class).toInstance(settings);
            binder.bind(VerdictListener.class).toInstance(listener);
            binder.bind(FilterStores.class).toInstance(stores);
        });
        try (MongoClient client = new MongoConnection(mongo.uri(), "from_properties", Duration.ofSeconds(2)).open()) {
            new PredictiveModelStore(client.getDatabase("from_properties").getCollection(PredictiveModelStore.COLLECTION))
                .save(PredictiveModelStoreTest.randomModel(4), java.time.Instant.now());
        }

        PredictiveFilter predictive = injector.getInstance(PredictiveFilter.class);
        predictive.init(new TestMailetConfig("PredictiveFilter", Map.of("refreshInterval", "100ms")));
        Mail mail = mail(SpamMutator.message("Hello", SPAM_TEXT, false));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        do {
            mail = mail(SpamMutator.message("Hello", SPAM_TEXT, false));
            predictive.service(mail);
        } while (mail.getMessage().getHeader(ShapingHeaders.SCORE, null).startsWith("not-run") && System.nanoTime() < deadline);
        assertThat(mail.getMessage().getHeader(ShapingHeaders.SCORE, null)).as("scored with the model of the configured database")
            .matches("\\d\\.\\d{4}");

        // A spamtrap filter writes what it sees: with its own database, there and not in the configured one.
        FingerprintFilter trap = injector.getInstance(FingerprintFilter.class);
        trap.init(new TestMailetConfig("Spamtrap", Map.of("database", "own_database", "reportAs", "spamtrap")));
        Mail trapped = mail(SpamMutator.message("Win", SPAM_TEXT, false));
        trap.service(trapped);
        assertThat(trapped.getMessage().getHeader(ShapingHeaders.VERDICT, null)).isEqualTo("known-spam");
        try (MongoClient client = new MongoConnection(mongo.uri(), "own_database", Duration.ofSeconds(2)).open()) {
            assertThat(client.getDatabase("own_database").getCollection(FingerprintStore.COLLECTION).countDocuments()).isEqualTo(1);
            assertThat(client.getDatabase("from_properties").getCollection(FingerprintStore.COLLECTION).countDocuments()).isZero();
        }

        // Against a MongoDB that is down, that write gives up after the timeout in force: the parameter's, else the settings'.
        FingerprintFilter quick = injector.getInstance(FingerprintFilter.class);
        quick.init(new TestMailetConfig("Quick", Map.of("mongoUri", EmbeddedMongo.deadUri(), "mongoTimeout", "100ms", "reportAs", "spamtrap")));
        FingerprintFilter patient = injector.getInstance(FingerprintFilter.class);
        patient.init(new TestMailetConfig("Patient", Map.of("mongoUri", EmbeddedMongo.deadUri(), "reportAs", "spamtrap")));
        Mail toQuick = mail(SpamMutator.message("Win", SPAM_TEXT, false));
        Mail toPatient = mail(SpamMutator.message("Win", SPAM_TEXT, false));
        long quickMillis = millisToService(quick, toQuick);
        long patientMillis = millisToService(patient, toPatient);
        assertThat(toQuick.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null)).isEqualTo("not-run; reason=error");
        assertThat(toPatient.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null)).isEqualTo("not-run; reason=error");
        assertThat(quickMillis).isLessThan(1000);
        assertThat(patientMillis).isGreaterThanOrEqualTo(1400);
    }

    private static long millisToService(ContentFilterMailet mailet, Mail mail) {
        long start = System.nanoTime();
        mailet.service(mail);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    @Test
    void durationParametersReadUnitsAsJamesDoesSoADayIsADay() throws Exception {
        // Two indexes of one store (FilterStores keeps one per store and threshold), refreshed every day and every second.
        FingerprintFilter daily = fingerprintFilter(Map.of("refreshInterval", "1d"));
        FingerprintFilter everySecond = fingerprintFilter(Map.of("refreshInterval", "1s", "threshold", "0.51"));
        awaitNoMatch(daily);
        awaitNoMatch(everySecond);

        // Another server reports the spam after both loaded.
        try (MongoClient client = new MongoConnection(mongo.uri(), "filter_test", Duration.ofSeconds(2)).open()) {
            new FingerprintStore(client.getDatabase("filter_test").getCollection(FingerprintStore.COLLECTION))
                .report(new Fingerprinter().fingerprint(SPAM_TEXT).orElseThrow(), SpamSignature.Source.OPERATOR_REPORT,
                    java.time.Instant.now());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Mail seen;
        do {
            seen = mail(SpamMutator.message("Win", SPAM_TEXT, false));
            everySecond.service(seen);
        } while (!seen.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null).contains("; match=") && System.nanoTime() < deadline);
        assertThat(seen.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null)).as("refreshed within a second").contains("; match=");

        // More than a second later still: read as a second, 1d would have refreshed by now.
        Thread.sleep(1500);
        Mail notYet = mail(SpamMutator.message("Win", SPAM_TEXT, false));
        daily.service(notYet);
        assertThat(notYet.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null)).as("not refreshed before a day").endsWith("; no-match");
    }

    @Test
    void aBadDurationFailsTheMailetsInitNamingTheMailetTheParameterAndTheValue() throws Exception {
        for (String bad : List.of("1x", "ten seconds", "-5s", "0")) {
            FingerprintFilter mailet = new FingerprintFilter(stores, listener, OUTSIDE_JAMES);
            assertThatThrownBy(() -> mailet.init(new TestMailetConfig("KnownSpam",
                Map.of("mongoUri", mongo.uri(), "refreshInterval", bad))))
                .isInstanceOf(MessagingException.class)
                .hasMessageContainingAll("KnownSpam", "refreshInterval", "'" + bad + "'");
        }
        PredictiveFilter timeout = new PredictiveFilter(stores, listener, OUTSIDE_JAMES);
        assertThatThrownBy(() -> timeout.init(new TestMailetConfig("Predictive", Map.of("mongoUri", mongo.uri(), "mongoTimeout", "2 fortnights"))))
            .isInstanceOf(MessagingException.class).hasMessageContainingAll("Predictive", "mongoTimeout", "'2 fortnights'");
        PredictiveFilter learning = new PredictiveFilter(stores, listener, OUTSIDE_JAMES);
        assertThatThrownBy(() -> learning.init(new TestMailetConfig("Predictive", Map.of("mongoUri", mongo.uri(), "learnInterval", "soon"))))
            .isInstanceOf(MessagingException.class).hasMessageContainingAll("Predictive", "learnInterval", "'soon'");

        // learnInterval 0 is documented as "never learn on this server".
        new PredictiveFilter(stores, listener, OUTSIDE_JAMES)
            .init(new TestMailetConfig("Predictive", Map.of("mongoUri", mongo.uri(), "learnInterval", "0", "refreshInterval", "2 hours")));
    }

    private FingerprintFilter fingerprintFilter(Map<String, String> parameters) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(Map.of("mongoUri", mongo.uri(), "database", "filter_test"));
        all.putAll(parameters);
        FingerprintFilter mailet = new FingerprintFilter(stores, listener, OUTSIDE_JAMES);
        mailet.init(new TestMailetConfig("FingerprintFilter", all));
        return mailet;
    }

    /** Until its index is loaded the filter says not-run; then an unreported text gets no-match. */
    private static void awaitNoMatch(FingerprintFilter mailet) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Mail mail;
        do {
            mail = mail(SpamMutator.message("Notes", OTHER_TEXT, false));
            mailet.service(mail);
        } while (!mail.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null).endsWith("; no-match") && System.nanoTime() < deadline);
        assertThat(mail.getMessage().getHeader(ShapingHeaders.FINGERPRINT, null)).endsWith("; no-match");
    }

    @Test
    void predictiveFilterWithoutAModelSaysItDidNotRun() throws Exception {
        PredictiveFilter mailet = new PredictiveFilter(stores, listener, OUTSIDE_JAMES);
        mailet.init(new TestMailetConfig("PredictiveFilter", Map.of("mongoUri", EmbeddedMongo.deadUri(), "mongoTimeout", "300ms")));
        Mail mail = mail(SpamMutator.message("Hello", SPAM_TEXT, false));
        long start = System.nanoTime();
        mailet.service(mail);

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(500);
        assertThat(mail.getMessage().getHeader(ShapingHeaders.SCORE, null)).isEqualTo("not-run; reason=no-model");
        assertThat(mail.getMessage().getHeader(ShapingHeaders.VERDICT)).isNull();
        assertThat(signals).isEmpty();
    }

    @Test
    void matcherReadsTheAttributeNotTheHeader() throws Exception {
        HasShapingVerdict matcher = new HasShapingVerdict();
        matcher.init(new org.apache.mailet.MatcherConfig() {
            public String getCondition() {
                return "known-spam";
            }

            public org.apache.mailet.MailetContext getMailetContext() {
                return null;
            }

            public String getMatcherName() {
                return "HasShapingVerdict";
            }
        });
        Mail forged = mail(SpamMutator.message("x", "y", false));
        forged.getMessage().setHeader(ShapingHeaders.VERDICT, "known-spam");
        assertThat(matcher.match(forged)).isEmpty();
        forged.setAttribute(new org.apache.mailet.Attribute(ShapingHeaders.VERDICT_ATTRIBUTE, org.apache.mailet.AttributeValue.of("known-spam")));
        assertThat(matcher.match(forged)).hasSize(1);
    }
}
