package org.jamesshaping.filter.predictive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;

class ModelBootstrapTest {
    private static final Instant NOW = Instant.parse("2026-12-03T07:00:00Z");
    private static final ModelTrainer SMALL = new ModelTrainer(16, 6, 0.7, 1, 1e-6, 3);

    private final EmbeddedMongo mongo = EmbeddedMongo.startInMemory();
    private final ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
    private MongoClient client;
    private PredictiveModelStore models;
    private TrainingReports reports;
    private ModelBootstrap bootstrap;

    @BeforeEach
    void open() {
        client = new MongoConnection(mongo.uri(), "bootstrap_test", Duration.ofSeconds(2)).open();
        MongoDatabase database = client.getDatabase("bootstrap_test");
        models = new PredictiveModelStore(database.getCollection(PredictiveModelStore.COLLECTION));
        reports = new TrainingReports(database.getCollection(TrainingReports.COLLECTION));
        bootstrap = new ModelBootstrap(models, reports, extractor, SMALL, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @AfterEach
    void close() {
        client.close();
        mongo.close();
    }

    private static byte[] message(boolean spam, int n) {
        String subject = spam ? "Cheap watches " + n : "Build report " + n;
        String body = spam ? "Replica watches at unbeatable prices, order today, offer " + n
            : "The nightly build passed all parser tests, run " + n;
        String date = "Date: " + java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
            NOW.minusSeconds(3_600L * (200 - n)).atZone(ZoneOffset.UTC)) + "\r\n";
        return ("From: someone@example.org\r\nTo: user1@james.local\r\n" + date + "Subject: " + subject + "\r\n\r\n" + body + "\r\n")
            .getBytes(StandardCharsets.UTF_8);
    }

    private void report(boolean spam, int count, int from) {
        for (int n = from; n < from + count; n++) {
            reports.add(message(spam, n), spam, "autolearn", NOW);
        }
    }

    @Test
    void noModelIsTrainedUntilBothKindsReachTheMinimumThenTheFirstOneIs() throws Exception {
        report(true, ModelBootstrap.MIN_PER_CLASS - 1, 0);
        report(false, ModelBootstrap.MIN_PER_CLASS + 10, 0);
        assertThat(bootstrap.trainIfEnough()).isEmpty();
        assertThat(models.current()).isEmpty();

        report(true, 1, 100);
        Optional<String> version = bootstrap.trainIfEnough();
        assertThat(version).isPresent();
        assertThat(models.currentVersion()).isEqualTo(version);
        PredictiveModel first = models.load(version.get());
        assertThat(first.spamCount()).isEqualTo(ModelBootstrap.MIN_PER_CLASS);
        assertThat(first.hamCount()).isEqualTo(ModelBootstrap.MIN_PER_CLASS + 10);
        // it classifies new mail of both kinds
        FeatureExtractor features = first.featureExtractor();
        assertThat(first.isSpam(first.score(features.features(extractor.extract(message(true, 150)))))).isTrue();
        assertThat(first.isSpam(first.score(features.features(extractor.extract(message(false, 150)))))).isFalse();

        // the reports it was trained on are not learned again: the learner marks them applied
        ReportLearner learner = new ReportLearner(models, reports, IncrementalLearner.defaults(), extractor,
            Clock.fixed(NOW, ZoneOffset.UTC), ReportLearner.DEFAULT_BATCH);
        assertThat(learner.learnPending().result()).isEqualTo(ReportLearner.Pass.Result.NOTHING_PENDING);
        assertThat(reports.count(TrainingReports.State.APPLIED)).isEqualTo(2L * ModelBootstrap.MIN_PER_CLASS + 10);
    }

    /**
     * Users' mail is learned as ham from the first day, a trap's spam comes later: the first model must not wait
     * behind the oldest MAX_REPORTS reports, all ham, for spam that is already there.
     */
    @Test
    void theFirstModelIsTrainedOnBothKindsWhenMoreThanTheBoundOfHamWaitsBeforeTheFirstSpam() throws Exception {
        for (int n = 0; n < ModelBootstrap.MAX_REPORTS + 20; n++) {
            reports.add(message(false, n), false, "autolearn", NOW.minusSeconds(7_200L - n));
        }
        for (int n = 0; n < ModelBootstrap.MIN_PER_CLASS; n++) {
            reports.add(message(true, n), true, "autolearn", NOW.minusSeconds(60L - n));
        }
        Optional<String> version = bootstrap.trainIfEnough();
        assertThat(version).isPresent();
        PredictiveModel first = models.load(version.get());
        assertThat(first.spamCount()).isEqualTo(ModelBootstrap.MIN_PER_CLASS);
        assertThat(first.hamCount()).isEqualTo(ModelBootstrap.MAX_REPORTS - ModelBootstrap.MIN_PER_CLASS);
        FeatureExtractor features = first.featureExtractor();
        assertThat(first.isSpam(first.score(features.features(extractor.extract(message(true, 150)))))).isTrue();
        assertThat(first.isSpam(first.score(features.features(extractor.extract(message(false, 150)))))).isFalse();
    }

    @Test
    void aModelTrainedMeanwhileIsNeverReplaced() throws Exception {
        report(true, ModelBootstrap.MIN_PER_CLASS, 0);
        report(false, ModelBootstrap.MIN_PER_CLASS, 0);
        PredictiveModel operators = new PredictiveModel(FeatureExtractor.FEATURE_VERSION, 16, new float[1 << 16], 0f, 0.5, 1, 1, NOW);
        String theirs = models.save(operators, NOW);
        assertThat(bootstrap.trainIfEnough()).isEmpty();
        assertThat(models.currentVersion()).contains(theirs);
        // and of two first models saved at once, the second stays out
        PredictiveModelStore empty = new PredictiveModelStore(client.getDatabase("race").getCollection(PredictiveModelStore.COLLECTION));
        assertThat(empty.saveFirst(operators, java.util.List.of(), NOW, NOW)).isPresent();
        assertThat(empty.saveFirst(operators, java.util.List.of(), NOW, NOW)).isEmpty();
    }

    private void reportAt(boolean spam, int count, int from, Instant at) {
        for (int n = from; n < from + count; n++) {
            reports.add(message(spam, n), spam, "autolearn", at.plusMillis(n));
        }
    }

    private ReportLearner learner() {
        return new ReportLearner(models, reports, IncrementalLearner.defaults(), extractor, Clock.fixed(NOW, ZoneOffset.UTC),
            ReportLearner.DEFAULT_BATCH);
    }

    /**
     * A first model trained on 100 reports is trained again, in full, once 100 more came (learned one by one
     * meanwhile), on all 200, and not before; the learned version in between keeps the origin that allows it.
     */
    @Test
    void aServerTrainedModelIsTrainedAgainOnEveryKeptReportOnceAsManyNewReportsCame() throws Exception {
        report(true, ModelBootstrap.MIN_PER_CLASS, 0);
        report(false, ModelBootstrap.MIN_PER_CLASS, 0);
        String first = bootstrap.trainIfEnough().orElseThrow();
        assertThat(models.current().orElseThrow().trainedOn()).isEqualTo(2 * ModelBootstrap.MIN_PER_CLASS);
        assertThat(bootstrap.retrainIfDue()).as("no report came since").isEmpty();

        Instant later = NOW.plusSeconds(600);
        reportAt(true, ModelBootstrap.MIN_PER_CLASS, 100, later);
        reportAt(false, ModelBootstrap.MIN_PER_CLASS - 2, 100, later);
        reports.add(message(false, 198), false, TrainingReports.OPERATOR_SOURCE, later.plusMillis(198));
        ReportLearner.Pass pass = learner().learnPending();
        assertThat(pass.learned()).as("of the reports, only the operator's is learned one by one").isEqualTo(1);
        assertThat(TrainingReports.OPERATOR_SOURCE).as("the source WebAdmin and the command line store")
            .isEqualTo(org.jamesshaping.filter.fingerprint.SpamSignature.Source.OPERATOR_REPORT.stored());
        assertThat(pass.version()).isPresent();
        assertThat(reports.count(TrainingReports.State.PENDING)).isEqualTo(2L * ModelBootstrap.MIN_PER_CLASS - 2);
        assertThat(models.current().orElseThrow().trainedFromReports()).as("a learned version keeps its origin").isTrue();
        assertThat(bootstrap.retrainIfDue()).as("99 new reports, 100 needed").isEmpty();

        reportAt(false, 1, 199, later);
        Optional<String> retrained = bootstrap.retrainIfDue();
        assertThat(retrained).isPresent().isNotEqualTo(Optional.of(first));
        assertThat(models.currentVersion()).isEqualTo(retrained);
        PredictiveModelStore.Pointer pointer = models.current().orElseThrow();
        assertThat(pointer.trainedOn()).isEqualTo(4 * ModelBootstrap.MIN_PER_CLASS);
        assertThat(pointer.trainedThrough()).contains(later.plusMillis(199));
        PredictiveModel model = models.load(retrained.get());
        assertThat(model.spamCount()).isEqualTo(2 * ModelBootstrap.MIN_PER_CLASS);
        assertThat(model.hamCount()).isEqualTo(2 * ModelBootstrap.MIN_PER_CLASS);
        FeatureExtractor features = model.featureExtractor();
        assertThat(model.isSpam(model.score(features.features(extractor.extract(message(true, 250)))))).isTrue();
        assertThat(model.isSpam(model.score(features.features(extractor.extract(message(false, 250)))))).isFalse();
        // the report still pending when it trained is in the model, not learned again
        assertThat(reports.count(TrainingReports.State.PENDING)).isZero();
        assertThat(learner().learnPending().result()).isEqualTo(ReportLearner.Pass.Result.NOTHING_PENDING);
        assertThat(bootstrap.retrainIfDue()).as("the next training waits for 100 new reports").isEmpty();
    }

    @Test
    void aModelAnOperatorTrainedIsNeverTrainedAgainHoweverManyReportsItLearns() throws Exception {
        PredictiveModel operators = new PredictiveModel(FeatureExtractor.FEATURE_VERSION, 16, new float[1 << 16], 0f, 0.5, 1, 1, NOW);
        models.save(operators, NOW);
        assertThat(models.current().orElseThrow().trainedFromReports()).isFalse();
        reportAt(true, 3 * ModelBootstrap.MIN_PER_CLASS, 0, NOW.plusSeconds(60));
        reportAt(false, 3 * ModelBootstrap.MIN_PER_CLASS, 0, NOW.plusSeconds(60));
        String learned = learner().learnPending().version().orElseThrow();
        assertThat(models.current().orElseThrow().trainedFromReports()).isFalse();
        assertThat(bootstrap.retrainIfDue()).isEmpty();
        assertThat(models.currentVersion()).contains(learned);
    }

    /** An operator's model saved while a server trained its own again stays: the server's is not saved. */
    @Test
    void aModelRetrainedFromAVersionNoLongerCurrentIsNotSaved() throws Exception {
        report(true, ModelBootstrap.MIN_PER_CLASS, 0);
        report(false, ModelBootstrap.MIN_PER_CLASS, 0);
        String first = bootstrap.trainIfEnough().orElseThrow();
        PredictiveModel operators = new PredictiveModel(FeatureExtractor.FEATURE_VERSION, 16, new float[1 << 16], 0f, 0.5, 1, 1, NOW);
        String theirs = models.save(operators, NOW);
        assertThat(models.saveRetrained(operators, first, java.util.List.of(), 100, NOW, NOW)).isEmpty();
        assertThat(models.currentVersion()).contains(theirs);
        reportAt(true, 3 * ModelBootstrap.MIN_PER_CLASS, 100, NOW.plusSeconds(60));
        reportAt(false, 3 * ModelBootstrap.MIN_PER_CLASS, 100, NOW.plusSeconds(60));
        assertThat(bootstrap.retrainIfDue()).isEmpty();
        assertThat(models.currentVersion()).contains(theirs);
    }

    /**
     * In a fleet: while one server trains the model again, the others' learning passes save nothing (their reports
     * wait, nothing is lost), a pass that started before the lease cannot save either, nor can a second training; the
     * lease ends when released, or by itself after TRAINING_LEASE for a server that stopped.
     */
    @Test
    void whileAServerTrainsTheModelAgainNoOtherServerSavesALearnedVersion() throws Exception {
        report(true, ModelBootstrap.MIN_PER_CLASS, 0);
        report(false, ModelBootstrap.MIN_PER_CLASS, 0);
        String first = bootstrap.trainIfEnough().orElseThrow();
        learner().learnPending();
        reportAt(true, ModelBootstrap.MIN_PER_CLASS, 100, NOW.plusSeconds(60));
        reportAt(false, ModelBootstrap.MIN_PER_CLASS, 100, NOW.plusSeconds(60));
        assertThat(models.leaseTraining(first, "other server", NOW)).isTrue();
        assertThat(models.leaseTraining(first, "third server", NOW)).as("one training at a time").isFalse();
        assertThat(models.current().orElseThrow().trainingUnderWay(NOW)).contains(NOW.plus(PredictiveModelStore.TRAINING_LEASE));

        reports.add(message(false, 300), false, TrainingReports.OPERATOR_SOURCE, NOW.plusSeconds(60));
        assertThat(learner().learnPending().result()).isEqualTo(ReportLearner.Pass.Result.TRAINING_UNDER_WAY);
        assertThat(reports.count(TrainingReports.State.PENDING)).isEqualTo(2L * ModelBootstrap.MIN_PER_CLASS + 1);
        assertThat(models.saveLearned(models.load(first), first, java.util.List.of(), NOW)).as("a pass begun before the lease").isEmpty();
        assertThat(bootstrap.retrainIfDue()).as("a second training").isEmpty();
        assertThat(models.currentVersion()).contains(first);

        ReportLearner later = new ReportLearner(models, reports, IncrementalLearner.defaults(), extractor,
            Clock.fixed(NOW.plus(PredictiveModelStore.TRAINING_LEASE).plusSeconds(1), ZoneOffset.UTC), ReportLearner.DEFAULT_BATCH);
        reports.add(message(true, 300), true, TrainingReports.OPERATOR_SOURCE, NOW.plusSeconds(120));
        assertThat(later.learnPending().result()).as("the lease of a server that stopped runs out").isEqualTo(ReportLearner.Pass.Result.LEARNED);

        String learned = models.currentVersion().orElseThrow();
        assertThat(models.leaseTraining(learned, "other server", NOW)).isTrue();
        models.releaseTraining("other server");
        assertThat(models.current().orElseThrow().trainingUnderWay(NOW)).isEmpty();
        assertThat(bootstrap.retrainIfDue()).isPresent();
        assertThat(models.current().orElseThrow().trainingUnderWay(NOW)).as("the saved training ends its lease").isEmpty();
    }

    /** Reports of one kind set aside until fewer than the minimum are left: a full training would flag at random. */
    @Test
    void aModelIsNotTrainedAgainWhileTheKeptReportsHoldTooFewOfOneKind() throws Exception {
        report(true, ModelBootstrap.MIN_PER_CLASS, 0);
        report(false, ModelBootstrap.MIN_PER_CLASS, 0);
        String first = bootstrap.trainIfEnough().orElseThrow();
        learner().learnPending();
        client.getDatabase("bootstrap_test").getCollection(TrainingReports.COLLECTION).updateOne(
            com.mongodb.client.model.Filters.eq("label", "spam"), com.mongodb.client.model.Updates.set("state", "rejected"));
        reportAt(false, 3 * ModelBootstrap.MIN_PER_CLASS, 100, NOW.plusSeconds(60));
        assertThat(reports.countLearnable(true)).isEqualTo(ModelBootstrap.MIN_PER_CLASS - 1);
        assertThat(bootstrap.retrainIfDue()).isEmpty();
        assertThat(models.currentVersion()).contains(first);
        reportAt(true, 1, 300, NOW.plusSeconds(120));
        assertThat(bootstrap.retrainIfDue()).isPresent();
    }

    /** The server's learning thread trains the first model, then trains it again, and scores with each at once. */
    @Test
    void aServerScoresWithTheModelItTrainedAgainAsSoonAsItIsSaved() throws Exception {
        try (PredictiveModelService service = new PredictiveModelService(PredictiveModelService.mongoSource(models, () -> { }),
                Duration.ofHours(1))) {
            service.startLearning(learner(), Optional.of(bootstrap), Duration.ofMillis(50));
            report(true, ModelBootstrap.MIN_PER_CLASS, 0);
            report(false, ModelBootstrap.MIN_PER_CLASS, 0);
            awaitModelOf(service, 2 * ModelBootstrap.MIN_PER_CLASS);
            reportAt(true, ModelBootstrap.MIN_PER_CLASS, 100, NOW.plusSeconds(600));
            reportAt(false, ModelBootstrap.MIN_PER_CLASS, 100, NOW.plusSeconds(600));
            awaitModelOf(service, 4 * ModelBootstrap.MIN_PER_CLASS);
            assertThat(models.current().orElseThrow().trainedOn()).isEqualTo(4 * ModelBootstrap.MIN_PER_CLASS);
        }
    }

    private static void awaitModelOf(PredictiveModelService service, int examples) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline
                && service.current().map(m -> m.spamCount() + m.hamCount()).orElse(0) != examples) {
            Thread.sleep(20);
        }
        assertThat(service.current().map(m -> m.spamCount() + m.hamCount())).contains(examples);
    }
}
