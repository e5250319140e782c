package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;

import org.bson.Document;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.jamesshaping.testsupport.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.UpdateOptions;

/** The half-life migration document by document, against the embedded MongoDB: what a fleet mid-change does to it. */
class HalfLifeMigrationTest {
    private static final HalfLife DAY = new HalfLife(Duration.ofDays(1));
    private static final HalfLife HOUR = new HalfLife(Duration.ofHours(1));

    private final EmbeddedMongo mongo = EmbeddedMongo.startInMemory();
    private final MongoClient client = MongoClients.create(mongo.uri());
    private final MongoCollection<Document> reputation = client.getDatabase("migration").getCollection(ReputationRepository.COLLECTION);
    private final MongoCollection<Document> meta = client.getDatabase("migration").getCollection(HalfLifeMigration.META_COLLECTION);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-06-01T00:00:00Z"));

    @AfterEach
    void stop() {
        client.close();
        mongo.stop();
    }

    private void storeSpam(String id, double count, HalfLife halfLife) {
        reputation.updateOne(new Document("_id", id), new Document("$inc", new Document("totals.spam", (long) count)
            .append("decay." + halfLife.eraField(clock.instant()) + ".spam", halfLife.scaledIncrement(count, clock.instant()))),
            new UpdateOptions().upsert(true));
    }

    private double decayedSpam(String id, HalfLife reader) {
        Document document = reputation.find(new Document("_id", id)).first();
        Tally tally = new ReputationRepository(reputation, StoreSettings.defaults(mongo.uri()))
            .toRecord(ReputationKey.parse(id), document, clock.instant()).tally();
        return tally.decayed(Signal.SPAM, clock.instant(), reader);
    }

    @Test
    void anIncrementByAServerStillOnTheOldHalfLifeIsNeverLostAndTheDocumentIsMigratedAtTheNextRun() {
        storeSpam("192.0.2.1", 8, DAY);
        HalfLifeMigration migration = new HalfLifeMigration(reputation, meta, HOUR, clock);
        Document read = reputation.find(new Document("_id", "192.0.2.1")).first();

        // Between the read and the write, a server still on a one-day half-life counts 4 more.
        storeSpam("192.0.2.1", 4, DAY);
        assertThat(migration.migrateOne(read, clock.instant())).contains(false);
        assertThat(decayedSpam("192.0.2.1", HOUR)).isCloseTo(12.0, within(1e-9));

        HalfLifeMigration.Result result = migration.runIfNeeded();
        assertThat(result.migrated).isEqualTo(1);
        assertThat(result.changedMeanwhile).isZero();
        assertThat(reputation.find(new Document("_id", "192.0.2.1")).first().get("decay", Document.class).keySet())
            .allMatch(field -> field.startsWith("h3600e"));
        assertThat(decayedSpam("192.0.2.1", HOUR)).isCloseTo(12.0, within(1e-9));
        assertThat(migration.storedHalfLifeSeconds()).contains(3600L);
        assertThat(migration.runIfNeeded().ran).as("recorded: nothing to do at the next start").isFalse();
    }

    @Test
    void aDocumentOnTheConfiguredHalfLifeIsLeftAloneAndOneOnBothKeepsItsCurrentFieldAndGainsTheCarriedValue() {
        storeSpam("192.0.2.3", 5, HOUR);
        HalfLifeMigration migration = new HalfLifeMigration(reputation, meta, HOUR, clock);
        assertThat(migration.migrateOne(reputation.find(new Document("_id", "192.0.2.3")).first(), clock.instant())).isEmpty();

        storeSpam("192.0.2.4", 8, DAY);
        clock.advance(Duration.ofDays(1));
        storeSpam("192.0.2.4", 2, HOUR);
        assertThat(migration.migrateOne(reputation.find(new Document("_id", "192.0.2.4")).first(), clock.instant())).contains(true);
        Document migrated = reputation.find(new Document("_id", "192.0.2.4")).first();
        assertThat(migrated.get("decay", Document.class).keySet()).containsExactly(HOUR.eraField(clock.instant()));
        // The day-old 8 is worth 4 at one-day decay; with the hour's own 2 that is 6, and the totals are untouched.
        assertThat(decayedSpam("192.0.2.4", HOUR)).isCloseTo(6.0, within(1e-9));
        assertThat(migrated.get("totals", Document.class).get("spam", Number.class).longValue()).isEqualTo(10);
    }
}
