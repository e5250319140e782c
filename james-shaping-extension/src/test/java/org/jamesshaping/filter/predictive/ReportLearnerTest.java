package org.jamesshaping.filter.predictive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.bson.Document;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;

/** The learner against the shared store, through the real driver and an embedded MongoDB. */
class ReportLearnerTest {
    private static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");
    private static final int BITS = 16;

    private final EmbeddedMongo mongo = EmbeddedMongo.startInMemory();
    private final ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
    private MongoClient client;
    private PredictiveModelStore models;
    private TrainingReports reports;
    private ReportLearner learner;

    @BeforeEach
    void open() {
        client = connection().open();
        MongoDatabase database = client.getDatabase("filter_test");
        models = new PredictiveModelStore(database.getCollection(PredictiveModelStore.COLLECTION));
        reports = new TrainingReports(database.getCollection(TrainingReports.COLLECTION));
        learner = new ReportLearner(models, reports, IncrementalLearner.defaults(), extractor,
            Clock.fixed(NOW, ZoneOffset.UTC), ReportLearner.DEFAULT_BATCH);
    }

    @AfterEach
    void close() {
        client.close();
        mongo.close();
    }

    private static byte[] message(String subject, String body) {
        return ("From: someone@example.org\r\nTo: user1@james.local\r\nSubject: " + subject + "\r\n\r\n" + body + "\r\n")
            .getBytes(StandardCharsets.UTF_8);
    }

    /** A model that knows nothing: every message scores 0.5 minus a little (bias), i.e. ham at threshold 0.5. */
    private String saveBlankModel() {
        return models.save(new PredictiveModel(FeatureExtractor.FEATURE_VERSION, BITS, new float[1 << BITS], -0.1f, 0.5,
            1, 1, NOW), NOW);
    }

    private double score(PredictiveModel model, byte[] raw) throws Exception {
        return model.score(model.featureExtractor().features(extractor.extract(raw)));
    }

    @Test
    void pendingReportsAreLearnedIntoANewVersionAndMarkedApplied() throws Exception {
        String base = saveBlankModel();
        byte[] spam = message("Cheap watches", "Replica watches at unbeatable prices, order today");
        byte[] ham = message("Release notes", "The release notes for version 2 are attached");
        reports.add(spam, true, "operator", NOW);
        reports.add(ham, false, "operator", NOW);

        ReportLearner.Pass pass = learner.learnPending();

        assertThat(pass.result()).isEqualTo(ReportLearner.Pass.Result.LEARNED);
        assertThat(pass.learned()).isEqualTo(2);
        String version = pass.version().orElseThrow();
        assertThat(version).isNotEqualTo(base);
        assertThat(models.current().orElseThrow().version()).isEqualTo(version);
        PredictiveModel learned = models.load(version);
        assertThat(learned.isSpam(score(learned, spam))).isTrue();
        assertThat(learned.isSpam(score(learned, ham))).isFalse();
        assertThat(reports.count(TrainingReports.State.PENDING)).isZero();
        assertThat(reports.list(Optional.of(TrainingReports.State.APPLIED), 10))
            .allSatisfy(report -> assertThat(report.appliedIn()).contains(version));

        assertThat(learner.learnPending().result()).isEqualTo(ReportLearner.Pass.Result.NOTHING_PENDING);
        assertThat(models.current().orElseThrow().version()).isEqualTo(version);
    }

    @Test
    void theSameMessageReportedTwiceIsOneReportCountedTwiceAndLearnedOnce() {
        byte[] spam = message("Cheap watches", "Replica watches at unbeatable prices");
        TrainingReports.Report first = reports.add(spam, true, "operator", NOW);
        TrainingReports.Report second = reports.add(spam, true, "operator", NOW.plusSeconds(5));
        TrainingReports.Report asHam = reports.add(spam, false, "operator", NOW.plusSeconds(9));

        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.reports()).isEqualTo(2);
        assertThat(asHam.id()).isNotEqualTo(first.id());
        assertThat(reports.count(TrainingReports.State.PENDING)).isEqualTo(2);
    }

    @Test
    void reportsWaitWhileThereIsNoModel() throws IOException {
        reports.add(message("Cheap watches", "Replica watches"), true, "operator", NOW);

        assertThat(learner.learnPending().result()).isEqualTo(ReportLearner.Pass.Result.NO_MODEL);
        assertThat(reports.count(TrainingReports.State.PENDING)).isEqualTo(1);
    }

    @Test
    void aModelReplacedDuringLearningWinsAndTheReportsStayPending() throws Exception {
        String base = saveBlankModel();
        PredictiveModel model = models.load(base);
        String retrained = saveBlankModel();

        Optional<String> saved = models.saveLearned(model, base, List.of("r1"), NOW);

        assertThat(saved).isEmpty();
        assertThat(models.current().orElseThrow().version()).isEqualTo(retrained);
        // Nothing of the lost attempt stays behind: only the current and previous versions' chunks remain.
        List<String> versions = new ArrayList<>();
        for (Document chunk : client.getDatabase("filter_test").getCollection(PredictiveModelStore.COLLECTION).find()) {
            versions.add(chunk.getString("version"));
        }
        assertThat(versions).containsOnly(base, retrained);
    }

    @Test
    void reportsLearnedByAServerThatStoppedBeforeMarkingThemAreNotLearnedTwice() throws Exception {
        String base = saveBlankModel();
        byte[] spam = message("Cheap watches", "Replica watches at unbeatable prices");
        TrainingReports.Report report = reports.add(spam, true, "operator", NOW);
        // What a learner does up to its swap, then "stops": the report is in the new version, still pending.
        PredictiveModel learned = IncrementalLearner.defaults().learn(models.load(base), List.of(
            new ModelTrainer.Example(models.load(base).featureExtractor().features(extractor.extract(spam)), true))).model();
        String version = models.saveLearned(learned, base, List.of(report.id()), NOW).orElseThrow();

        ReportLearner.Pass pass = learner.learnPending();

        assertThat(pass.result()).isEqualTo(ReportLearner.Pass.Result.NOTHING_PENDING);
        assertThat(models.current().orElseThrow().version()).isEqualTo(version);
        assertThat(reports.list(Optional.empty(), 10)).singleElement()
            .satisfies(stored -> assertThat(stored.appliedIn()).contains(version));
    }

    @Test
    void anUnreadableMessageIsSetAsideWithTheReasonAndTheOthersAreLearned() throws Exception {
        saveBlankModel();
        reports.add(("Content-Type: multipart/mixed; boundary=\"x\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + "--x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n--x--\r\n")
            .getBytes(StandardCharsets.ISO_8859_1), true, "operator", NOW);
        reports.add(message("Cheap watches", "Replica watches"), true, "operator", NOW.plusSeconds(1));

        ReportLearner.Pass pass = learner.learnPending();

        assertThat(pass.learned() + pass.rejected()).isEqualTo(2);
        assertThat(reports.count(TrainingReports.State.PENDING)).isZero();
        for (TrainingReports.Report stored : reports.list(Optional.of(TrainingReports.State.REJECTED), 10)) {
            assertThat(stored.error()).hasValueSatisfying(error -> assertThat(error).startsWith("not a readable message"));
        }
    }

    @Test
    void aServerLearnsFromTheModelItHoldsWhenItIsTheCurrentVersionAndGetsTheLearnedModelBack() throws Exception {
        String base = saveBlankModel();
        byte[] spam = message("Cheap watches", "Replica watches at unbeatable prices");
        reports.add(spam, true, "operator", NOW);
        // The same version as held in memory, already sure this is spam: nothing to learn. Read from MongoDB, the
        // blank model would have had to change.
        float[] weights = new float[1 << BITS];
        PredictiveModel held = new PredictiveModel(FeatureExtractor.FEATURE_VERSION, BITS, weights, 5f, 0.5, 1, 1, NOW);

        ReportLearner.Pass pass = learner.learnPending(version -> version.equals(base) ? Optional.of(held) : Optional.empty());

        assertThat(pass.learned()).isEqualTo(1);
        assertThat(pass.changed()).isZero();
        assertThat(pass.model()).isPresent();
        assertThat(pass.model().get().bias()).isEqualTo(5f);
        assertThat(models.load(pass.version().orElseThrow()).bias()).isEqualTo(5f);
    }

    private MongoConnection connection() {
        return new MongoConnection(mongo.uri(), "filter_test", Duration.ofSeconds(2));
    }
}
