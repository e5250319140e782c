package org.jamesshaping.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

import org.bson.Document;
import org.jamesshaping.filter.fingerprint.FingerprintService;
import org.jamesshaping.filter.fingerprint.FingerprintServiceTest;
import org.jamesshaping.filter.fingerprint.FingerprintStore;
import org.jamesshaping.filter.fingerprint.Fingerprinter;
import org.jamesshaping.filter.fingerprint.SpamSignature;
import org.jamesshaping.filter.predictive.TrainingReports;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;

class ContentReportsTest {
    private static final String SPAM_TEXT = "Congratulations, you have been selected to receive a free cruise to the Bahamas. "
        + "Simply call our toll free number today and claim your luxury vacation package before this limited offer expires. "
        + "Thousands of satisfied customers have already enjoyed this exclusive deal from our travel partners.";
    private static final Instant NOW = Instant.parse("2024-09-03T10:00:00Z");

    private final EmbeddedMongo mongo = EmbeddedMongo.startInMemory();
    private final MongoConnection connection = new MongoConnection(mongo.uri(), "reports_test", Duration.ofSeconds(2));
    private final MongoClient client = connection.open();
    private final MongoDatabase database = client.getDatabase("reports_test");
    private final FilterStores stores = new FilterStores();

    @AfterEach
    void stop() {
        stores.close();
        client.close();
        mongo.close();
    }

    private static byte[] message(String body) {
        return ("From: <winner@prize.example>\r\nSubject: Your cruise\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + body + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private ContentReports onStores() {
        return ContentReports.onStores(new FingerprintStore(collection(FingerprintStore.COLLECTION)),
            new TrainingReports(collection(TrainingReports.COLLECTION)), Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private MongoCollection<Document> collection(String name) {
        return database.getCollection(name);
    }

    @Test
    void aSpamLongEnoughJoinsTheKnownSpamStoreAndWaitsToBeLearned() throws Exception {
        ContentReports.Outcome outcome = onStores().reportSpam(message("Dear friend,\r\n" + SPAM_TEXT), ContentReports.SpamReport.DEFAULT);

        String id = outcome.signature().orElseThrow().id();
        assertThat(outcome.fingerprintSkipped()).isEmpty();
        Document signature = collection(FingerprintStore.COLLECTION).find(new Document("_id", id)).first();
        assertThat(signature).isNotNull();
        assertThat(signature.getString("source")).isEqualTo("operator");
        assertThat(signature.getDate("firstSeen").toInstant()).isEqualTo(NOW);

        TrainingReports.Report report = outcome.training().orElseThrow();
        assertThat(report.label()).isEqualTo("spam");
        assertThat(report.state()).isEqualTo(TrainingReports.State.PENDING);
        assertThat(report.source()).isEqualTo("operator");
        assertThat(report.reportedAt()).isEqualTo(NOW);
        assertThat(outcome.trainingRefused()).isEmpty();
    }

    @Test
    void aShortSpamIsOnlyLearnedAndTheOutcomeSaysWhyItWasNotFingerprinted() throws Exception {
        ContentReports.Outcome outcome = onStores().reportSpam(message("Cheap watches at http://watches.example/buy"),
            ContentReports.SpamReport.DEFAULT);

        assertThat(outcome.signature()).isEmpty();
        assertThat(outcome.fingerprintSkipped()).hasValueSatisfying(why -> assertThat(why)
            .isEqualTo("the message's text is shorter than 200 characters once normalised (short and empty bodies would "
                + "match legitimate mail)"));
        assertThat(collection(FingerprintStore.COLLECTION).countDocuments()).isZero();
        assertThat(outcome.training().orElseThrow().label()).isEqualTo("spam");
    }

    @Test
    void hamIsOnlyQueuedAndTheSameMessageReportedTwiceIsOneReportCountedTwice() throws Exception {
        ContentReports reports = onStores();
        byte[] ham = message("Hi all,\r\n" + SPAM_TEXT.replace("cruise", "conference"));
        ContentReports.Outcome first = reports.reportHam(ham);
        ContentReports.Outcome second = reports.reportHam(ham);

        assertThat(first.signature()).isEmpty();
        assertThat(first.fingerprintSkipped()).as("ham is never fingerprinted").isEmpty();
        assertThat(collection(FingerprintStore.COLLECTION).countDocuments()).isZero();
        assertThat(second.training().orElseThrow().id()).isEqualTo(first.training().orElseThrow().id()).endsWith(":ham");
        assertThat(second.training().get().reports()).isEqualTo(2);
        assertThat(reports.latest(Optional.of(TrainingReports.State.PENDING), 10)).hasSize(1);
        assertThat(reports.latest(Optional.of(TrainingReports.State.APPLIED), 10)).isEmpty();
    }

    @Test
    void aSpamtrapReportWithItsOwnMinimumAndWithoutLearning() throws Exception {
        ContentReports.SpamReport how = ContentReports.SpamReport.DEFAULT.from(SpamSignature.Source.SPAMTRAP)
            .minTextChars(20_000).withoutLearning();
        ContentReports.Outcome tooShort = onStores().reportSpam(message(SPAM_TEXT), how);
        assertThat(tooShort.fingerprintSkipped()).hasValueSatisfying(why -> assertThat(why).contains("shorter than 20000"));

        ContentReports.Outcome outcome = onStores().reportSpam(message(SPAM_TEXT), how.minTextChars(100));
        Document signature = collection(FingerprintStore.COLLECTION).find(new Document("_id", outcome.signature().orElseThrow().id())).first();
        assertThat(signature.getString("source")).isEqualTo("spamtrap");
        assertThat(outcome.training()).isEmpty();
        assertThat(outcome.trainingRefused()).isEmpty();
        assertThat(collection(TrainingReports.COLLECTION).countDocuments()).isZero();
    }

    @Test
    void aMessageTooLargeToKeepIsRefusedForLearningButStillFingerprinted() throws Exception {
        StringBuilder body = new StringBuilder(SPAM_TEXT);
        while (body.length() <= TrainingReports.MAX_MESSAGE_BYTES) {
            body.append("\r\n").append("x".repeat(998));
        }
        byte[] huge = message(body.toString());
        ContentReports.Outcome outcome = onStores().reportSpam(huge, ContentReports.SpamReport.DEFAULT);

        assertThat(outcome.signature()).isPresent();
        assertThat(outcome.training()).isEmpty();
        assertThat(outcome.trainingRefused()).contains("the reported message has " + huge.length + " bytes; at most "
            + TrainingReports.MAX_MESSAGE_BYTES + " are accepted");
        assertThat(collection(TrainingReports.COLLECTION).countDocuments()).isZero();

        ContentReports.Outcome empty = onStores().reportHam(new byte[0]);
        assertThat(empty.trainingRefused()).contains("the reported message is empty");
    }

    @Test
    void onAServerAReportedSpamIsMatchedByTheIndexTheMailetsShare() throws Exception {
        ContentReports reports = ContentReports.onServer(stores, connection);
        // The fingerprint filter's defaults, as in james-conf/mailetcontainer.xml.
        FingerprintService mailetsIndex = stores.fingerprints(connection, 0.5, Duration.ofSeconds(10));
        FingerprintServiceTest.awaitLoaded(mailetsIndex);

        reports.reportSpam(message("Dear friend,\r\n" + SPAM_TEXT), ContentReports.SpamReport.DEFAULT);

        assertThat(mailetsIndex.lookup(new Fingerprinter().fingerprint("Dear Bob,\n" + SPAM_TEXT).orElseThrow()).status())
            .isEqualTo(FingerprintService.Lookup.Status.MATCH);
        assertThat(reports.latest(Optional.empty(), 10)).extracting(TrainingReports.Report::label).containsExactly("spam");
        assertThat(new TrainingReports(collection(TrainingReports.COLLECTION)).count(TrainingReports.State.PENDING)).isEqualTo(1);
    }

    @Test
    void mongoDownIsTheDriversExceptionForTheCallerToReport() {
        MongoConnection dead = new MongoConnection(EmbeddedMongo.deadUri(), "reports_test", Duration.ofMillis(300));
        ContentReports reports = ContentReports.onServer(stores, dead);
        assertThatThrownBy(() -> reports.reportHam(message(SPAM_TEXT))).isInstanceOf(MongoException.class);
        assertThatThrownBy(() -> reports.reportSpam(message(SPAM_TEXT), ContentReports.SpamReport.DEFAULT))
            .isInstanceOf(MongoException.class);
    }
}
