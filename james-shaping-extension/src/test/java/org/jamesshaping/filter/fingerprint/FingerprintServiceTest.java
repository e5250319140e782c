package org.jamesshaping.filter.fingerprint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import org.bson.Document;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.jamesshaping.testsupport.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;

public class FingerprintServiceTest {
    private static final String SPAM_TEXT = "Congratulations, you have been selected to receive a free cruise to the Bahamas. "
        + "Simply call our toll free number today and claim your luxury vacation package before this limited offer expires. "
        + "Thousands of satisfied customers have already enjoyed this exclusive deal from our travel partners.";
    private static final String OTHER_TEXT = "The quarterly engineering review will cover the storage migration, the new build "
        + "pipeline and the on-call rotation. Please bring your team's open issues and the list of risks you are tracking, "
        + "so that we can agree on priorities for the next release cycle together.";

    private final EmbeddedMongo mongo = EmbeddedMongo.startInMemory();
    private final Fingerprinter fingerprinter = new Fingerprinter();

    @AfterEach
    void stop() {
        mongo.close();
    }

    @Test
    void aSignatureReportedOnOneServerIsMatchedOnAnotherAfterItsBackgroundRefresh() throws Exception {
        try (FingerprintService reporter = new FingerprintService(connection(), 0.5, Duration.ofHours(1), Clock.systemUTC());
             FingerprintService other = new FingerprintService(connection(), 0.5, Duration.ofMillis(100), Clock.systemUTC())) {
            awaitLoaded(reporter);
            awaitLoaded(other);
            Fingerprint spam = fingerprinter.fingerprint(SPAM_TEXT).orElseThrow();
            reporter.report(spam, SpamSignature.Source.SPAMTRAP);

            assertThat(reporter.lookup(spam).status()).isEqualTo(FingerprintService.Lookup.Status.MATCH);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (other.lookup(spam).status() != FingerprintService.Lookup.Status.MATCH && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            FingerprintService.Lookup lookup = other.lookup(fingerprinter.fingerprint("Dear Bob,\n" + SPAM_TEXT.toUpperCase()).orElseThrow());
            assertThat(lookup.status()).isEqualTo(FingerprintService.Lookup.Status.MATCH);
            assertThat(lookup.match().orElseThrow().signature().source()).isEqualTo(SpamSignature.Source.SPAMTRAP);
            assertThat(other.lookup(fingerprinter.fingerprint(OTHER_TEXT).orElseThrow()).status())
                .isEqualTo(FingerprintService.Lookup.Status.NO_MATCH);
        }
    }

    @Test
    void hitsAndReportsAreCountedInMongo() throws Exception {
        Fingerprint spam = fingerprinter.fingerprint(SPAM_TEXT).orElseThrow();
        try (MongoClient client = connection().open()) {
            MongoCollection<Document> collection = client.getDatabase("filter_test").getCollection(FingerprintStore.COLLECTION);
            try (FingerprintService service = new FingerprintService(connection(), 0.5, Duration.ofHours(1), Clock.systemUTC())) {
                awaitLoaded(service);
                service.report(spam, SpamSignature.Source.OPERATOR_REPORT);
                service.report(spam, SpamSignature.Source.SPAMTRAP);
                service.lookup(spam);
                service.lookup(spam);
                service.lookup(spam);
                service.flushHits();
            }
            Document stored = collection.find(new Document("_id", spam.id())).first();
            assertThat(stored).isNotNull();
            assertThat(((Number) stored.get("hits")).longValue()).isEqualTo(3);
            assertThat(((Number) stored.get("reports")).longValue()).isEqualTo(2);
            assertThat(stored.getList("sources", String.class)).containsExactlyInAnyOrder("operator", "spamtrap");
            assertThat(stored.getDate("firstSeen")).isNotNull();
            assertThat(stored.getString("source")).isEqualTo("operator");
        }
    }

    @Test
    void mongoDownMeansNoVerdictAtOnce() {
        MongoConnection dead = new MongoConnection(EmbeddedMongo.deadUri(), "filter_test", Duration.ofMillis(500));
        try (FingerprintService service = new FingerprintService(dead, 0.5, Duration.ofMillis(200), Clock.systemUTC())) {
            Fingerprint spam = fingerprinter.fingerprint(SPAM_TEXT).orElseThrow();
            long start = System.nanoTime();
            FingerprintService.Lookup lookup = service.lookup(spam);
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(lookup.status()).isEqualTo(FingerprintService.Lookup.Status.UNAVAILABLE);
            assertThat(elapsedMillis).isLessThan(50);
            start = System.nanoTime();
            assertThatThrownBy(() -> service.report(spam, SpamSignature.Source.OPERATOR_REPORT)).isInstanceOf(MongoException.class);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(3_000);
        }
    }

    @Test
    void aLoadedIndexKeepsAnsweringFromMemoryWhenMongoGoesDown() throws Exception {
        Fingerprint spam = fingerprinter.fingerprint(SPAM_TEXT).orElseThrow();
        try (FingerprintService service = new FingerprintService(connection(), 0.5, Duration.ofMillis(100), Clock.systemUTC())) {
            awaitLoaded(service);
            service.report(spam, SpamSignature.Source.OPERATOR_REPORT);
            mongo.close();
            Thread.sleep(300);
            long start = System.nanoTime();
            assertThat(service.lookup(spam).status()).isEqualTo(FingerprintService.Lookup.Status.MATCH);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(50);
        }
    }

    /** Waits for the service's first load: until then it answers every lookup UNAVAILABLE. */
    public static void awaitLoaded(FingerprintService service) throws InterruptedException {
        // Unlike every text the tests report, so that probing never matches (nor counts a hit).
        Fingerprint probe = new Fingerprinter().fingerprint("Autumn planting notes for the allotment: divide the rhubarb "
            + "crowns, mulch the asparagus bed with compost, sow broad beans along the south fence, lift the last of the "
            + "dahlias before the first frost and store the tubers in dry sand in the shed until spring comes back.").orElseThrow();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (service.lookup(probe).status() == FingerprintService.Lookup.Status.UNAVAILABLE && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(service.lookup(probe).status()).isEqualTo(FingerprintService.Lookup.Status.NO_MATCH);
    }

    @Test
    void aDeletedSignatureStopsMatchingHereAtOnceAndOnAnotherServerAtItsNextRefreshUntilReportedAgain() throws Exception {
        try (FingerprintService operator = new FingerprintService(connection(), 0.5, Duration.ofHours(1), Clock.systemUTC());
             FingerprintService other = new FingerprintService(connection(), 0.5, Duration.ofMillis(100), Clock.systemUTC())) {
            awaitLoaded(operator);
            awaitLoaded(other);
            Fingerprint spam = fingerprinter.fingerprint(SPAM_TEXT).orElseThrow();
            String id = operator.report(spam, SpamSignature.Source.OPERATOR_REPORT).id();
            awaitStatus(other, spam, FingerprintService.Lookup.Status.MATCH);

            assertThat(operator.delete(id)).isTrue();
            assertThat(operator.lookup(spam).status()).isEqualTo(FingerprintService.Lookup.Status.NO_MATCH);
            awaitStatus(other, spam, FingerprintService.Lookup.Status.NO_MATCH);
            assertThat(operator.delete(id)).as("already deleted").isFalse();
            assertThat(operator.delete("0123456789abcdef")).isFalse();

            operator.report(spam, SpamSignature.Source.OPERATOR_REPORT);
            awaitStatus(other, spam, FingerprintService.Lookup.Status.MATCH);
        }
    }

    @Test
    void signaturesNeitherMatchedNorReportedForTheExpiryAreRemovedAndTheirTombstonesPurgedADayLater() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        Fingerprint stale = fingerprinter.fingerprint(SPAM_TEXT).orElseThrow();
        Fingerprint fresh = fingerprinter.fingerprint(OTHER_TEXT).orElseThrow();
        try (MongoClient client = connection().open()) {
            MongoCollection<Document> collection = client.getDatabase("filter_test").getCollection(FingerprintStore.COLLECTION);
            FingerprintStore store = new FingerprintStore(collection);
            store.report(stale, SpamSignature.Source.SPAMTRAP, clock.instant());
            clock.advance(Duration.ofDays(150));
            store.report(fresh, SpamSignature.Source.SPAMTRAP, clock.instant());
            clock.advance(Duration.ofDays(40));

            try (FingerprintService service = new FingerprintService(connection(), 0.5, Duration.ofHours(1), Duration.ofDays(180), clock)) {
                awaitLoaded(service);
                assertThat(service.lookup(stale).status()).as("unseen for 190 days").isEqualTo(FingerprintService.Lookup.Status.NO_MATCH);
                assertThat(service.lookup(fresh).status()).as("seen 40 days ago").isEqualTo(FingerprintService.Lookup.Status.MATCH);
            }
            assertThat(collection.find(new Document("_id", stale.id())).first()).containsEntry("deleted", true);

            clock.advance(Duration.ofDays(2));
            try (FingerprintService service = new FingerprintService(connection(), 0.5, Duration.ofHours(1), Duration.ofDays(180), clock)) {
                awaitLoaded(service);
            }
            assertThat(collection.countDocuments()).as("the tombstone is gone, the fresh signature stays").isEqualTo(1);
            assertThat(collection.find(new Document("_id", fresh.id())).first()).doesNotContainKey("deleted");

            // Zero: never expires.
            clock.advance(Duration.ofDays(3650));
            try (FingerprintService service = new FingerprintService(connection(), 0.5, Duration.ofHours(1), Duration.ZERO, clock)) {
                awaitLoaded(service);
                assertThat(service.lookup(fresh).status()).isEqualTo(FingerprintService.Lookup.Status.MATCH);
            }
        }
    }

    private static void awaitStatus(FingerprintService service, Fingerprint fingerprint, FingerprintService.Lookup.Status status)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (service.lookup(fingerprint).status() != status && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(service.lookup(fingerprint).status()).isEqualTo(status);
    }

    private MongoConnection connection() {
        return new MongoConnection(mongo.uri(), "filter_test", Duration.ofSeconds(2));
    }
}
