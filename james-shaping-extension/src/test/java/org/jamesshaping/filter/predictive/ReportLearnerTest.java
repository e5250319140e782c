package org.jamesshaping.filter.predictive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.Document;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandSucceededEvent;

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

    /** Every reply the server sends to a client: what a pass read from MongoDB. */
    private static final class Replies implements CommandListener {
        final List<BsonDocument> replies = new CopyOnWriteArrayList<>();

        @Override
        public void commandSucceeded(CommandSucceededEvent event) {
            replies.add(event.getResponse());
        }

        long bytes() {
            return replies.stream().mapToLong(reply -> reply.toJson().length()).sum();
        }

        /** The most reported messages one reply carried. */
        long mostMessagesInOneReply() {
            long most = 0;
            for (BsonDocument reply : replies) {
                if (!reply.containsKey("cursor")) {
                    continue;
                }
                BsonDocument cursor = reply.getDocument("cursor");
                BsonArray batch = cursor.containsKey("firstBatch") ? cursor.getArray("firstBatch") : cursor.getArray("nextBatch");
                most = Math.max(most, batch.stream().filter(document -> document.asDocument().containsKey("raw")).count());
            }
            return most;
        }

        long messagesRead() {
            long read = 0;
            for (BsonDocument reply : replies) {
                if (reply.containsKey("cursor")) {
                    BsonDocument cursor = reply.getDocument("cursor");
                    BsonArray batch = cursor.containsKey("firstBatch") ? cursor.getArray("firstBatch") : cursor.getArray("nextBatch");
                    read += batch.stream().filter(document -> document.asDocument().containsKey("raw")).count();
                }
            }
            return read;
        }
    }

    private ReportLearner listenedLearner(Replies replies, MongoClient[] opened) {
        MongoClient listened = MongoClients.create(MongoClientSettings.builder().applyConnectionString(new ConnectionString(mongo.uri()))
            .addCommandListener(replies).build());
        opened[0] = listened;
        MongoDatabase database = listened.getDatabase("filter_test");
        return new ReportLearner(new PredictiveModelStore(database.getCollection(PredictiveModelStore.COLLECTION)),
            new TrainingReports(database.getCollection(TrainingReports.COLLECTION)), IncrementalLearner.defaults(), extractor,
            Clock.fixed(NOW, ZoneOffset.UTC), ReportLearner.DEFAULT_BATCH);
    }

    private static byte[] largeMessage(int i) {
        return message("Cheap watches " + i, ("Replica watches at unbeatable prices, order today " + i + "\r\n").repeat(4_000));
    }

    @Test
    void withoutAModelNoReportedMessageIsRead() throws Exception {
        for (int i = 0; i < 3; i++) {
            reports.add(largeMessage(i), true, "operator", NOW);
        }
        Replies replies = new Replies();
        MongoClient[] opened = new MongoClient[1];
        try {
            ReportLearner listened = listenedLearner(replies, opened);
            assertThat(listened.learnPending().result()).isEqualTo(ReportLearner.Pass.Result.NO_MODEL);
        } finally {
            opened[0].close();
        }

        assertThat(replies.messagesRead()).isZero();
        // Three reports of 200 KB each wait; what was read is a few small replies.
        assertThat(replies.bytes()).isLessThan(10_000);
        assertThat(reports.count(TrainingReports.State.PENDING)).isEqualTo(3);
    }

    @Test
    void aPassReadsTheReportedMessagesOneAtATime() throws Exception {
        saveBlankModel();
        for (int i = 0; i < 4; i++) {
            reports.add(largeMessage(i), i % 2 == 0, "operator", NOW.plusSeconds(i));
        }
        Replies replies = new Replies();
        MongoClient[] opened = new MongoClient[1];
        ReportLearner.Pass pass;
        try {
            pass = listenedLearner(replies, opened).learnPending();
        } finally {
            opened[0].close();
        }

        assertThat(pass.result()).isEqualTo(ReportLearner.Pass.Result.LEARNED);
        assertThat(pass.learned()).isEqualTo(4);
        assertThat(replies.messagesRead()).isEqualTo(4);
        assertThat(replies.mostMessagesInOneReply()).isEqualTo(1);
        assertThat(reports.count(TrainingReports.State.PENDING)).isZero();
    }

    /** No model yet, so nothing is learned: a bound full of waiting ham must still take the spam a first model needs. */
    @Test
    void aBoundFullOfWaitingReportsOfOneKindTakesTheOtherKindUntilBothWaitAlike() {
        TrainingReports bounded = new TrainingReports(client.getDatabase("filter_test").getCollection("balanced_reports"), 3, 5);
        List<String> ham = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ham.add(bounded.add(message("Minutes " + i, "The review minutes " + i), false, "autolearn", NOW.plusSeconds(i)).id());
        }
        // Another ham is refused: every report waits and none of the other kind could make room.
        assertThat(bounded.full(message("Minutes 3", "The review minutes 3"), false, "autolearn")).isPresent();

        TrainingReports.Report firstSpam = bounded.add(message("Offer 0", "Cheap watches 0"), true, "autolearn", NOW.plusSeconds(10));
        TrainingReports.Report secondSpam = bounded.add(message("Offer 1", "Cheap watches 1"), true, "autolearn", NOW.plusSeconds(11));
        // Two spam waiting against one ham: a third spam would now push out the last ham, and is refused.
        assertThat(bounded.full(message("Offer 2", "Cheap watches 2"), true, "autolearn")).isPresent();
        assertThat(bounded.pending(10)).extracting(TrainingReports.Report::id).containsExactly(ham.get(2), firstSpam.id(), secondSpam.id());
        // Another source's waiting reports are never pushed out: with the bound in all (5) reached, an operator's
        // ham (none of its own waiting) is refused.
        bounded.add(message("Trap 0", "Pills 0"), true, "spamtrap", NOW.plusSeconds(12));
        bounded.add(message("Trap 1", "Pills 1"), true, "spamtrap", NOW.plusSeconds(13));
        assertThat(bounded.full(message("Minutes 4", "The review minutes 4"), false, "operator")).isPresent();
        assertThat(bounded.count(TrainingReports.State.PENDING)).isEqualTo(5);
    }

    @Test
    void reportsAreBoundedPerSourceAndInAllAndANewOneReplacesTheOldestLearned() {
        TrainingReports bounded = new TrainingReports(client.getDatabase("filter_test").getCollection("bounded_reports"), 3, 5);
        for (int i = 0; i < 3; i++) {
            bounded.add(message("Offer " + i, "Cheap watches " + i), true, "operator", NOW.plusSeconds(i));
        }
        byte[] fourth = message("Offer 3", "Cheap watches 3");

        // All three still wait to be learned: the fourth is refused, and nothing is stored.
        assertThat(bounded.full(fourth, true, "operator")).hasValueSatisfying(reason -> assertThat(reason).contains("3 reports kept from source 'operator'"));
        assertThatThrownBy(() -> bounded.add(fourth, true, "operator", NOW.plusSeconds(3))).isInstanceOf(IllegalArgumentException.class);
        assertThat(bounded.count(TrainingReports.State.PENDING)).isEqualTo(3);
        // A message already kept is counted again, full or not.
        assertThat(bounded.add(message("Offer 0", "Cheap watches 0"), true, "operator", NOW.plusSeconds(4)).reports()).isEqualTo(2);
        // Another source has bounds of its own, up to the bound in all.
        bounded.add(message("Trap 0", "Pills 0"), true, "spamtrap", NOW.plusSeconds(5));
        bounded.add(message("Trap 1", "Pills 1"), true, "spamtrap", NOW.plusSeconds(6));
        assertThat(bounded.full(message("Trap 2", "Pills 2"), true, "spamtrap")).hasValueSatisfying(reason -> assertThat(reason).contains("5 reports kept"));

        // Once learned, the oldest operator report makes room for the new one.
        List<String> operatorIds = new ArrayList<>();
        for (TrainingReports.Report report : bounded.pending(10)) {
            if (report.source().equals("operator")) {
                operatorIds.add(report.id());
            }
        }
        bounded.markApplied(operatorIds.subList(0, 2), "v2", NOW.plusSeconds(7));
        TrainingReports.Report added = bounded.add(fourth, true, "operator", NOW.plusSeconds(8));

        assertThat(added.state()).isEqualTo(TrainingReports.State.PENDING);
        assertThat(bounded.list(Optional.empty(), 10)).hasSize(5).extracting(TrainingReports.Report::id)
            .doesNotContain(operatorIds.get(0)).contains(operatorIds.get(1), operatorIds.get(2), added.id());
    }
}
