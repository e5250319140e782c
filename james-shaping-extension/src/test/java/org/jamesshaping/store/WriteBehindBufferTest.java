package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.bson.Document;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.jamesshaping.testsupport.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.mongodb.MongoSocketReadException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;

/** The write-behind buffer against an embedded MongoDB that is stopped and restarted on its port (an outage). */
class WriteBehindBufferTest {
    static final ReputationKey A = ReputationKey.parse("192.0.2.1");
    static final ReputationKey B = ReputationKey.parse("192.0.2.2");
    static final ReputationKey C = ReputationKey.parse("192.0.2.3");
    static final ReputationKey D = ReputationKey.parse("192.0.2.4");

    final MutableClock clock = new MutableClock(Instant.now());
    final List<AutoCloseable> closeables = new ArrayList<>();
    EmbeddedMongo mongo;
    StoreSettings settings;
    MongoCollection<Document> collection;
    ReputationRepository repository;

    @BeforeEach
    void start() {
        mongo = EmbeddedMongo.inMemory().start(0);
        settings = StoreSettings.defaults(mongo.uri()).withDatabase("buffer_" + UUID.randomUUID().toString().replace("-", ""))
            .withTimeout(Duration.ofMillis(300));
        MongoClient client = MongoConnection.of(settings).open();
        closeables.add(client);
        collection = client.getDatabase(settings.database()).getCollection(ReputationRepository.COLLECTION);
        repository = new ReputationRepository(collection, settings);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
        mongo.stop();
    }

    long stored(ReputationKey key, Signal signal) {
        return repository.load(key, clock.instant()).tally().total(signal);
    }

    /** Flushes until nothing is held: the driver sees a restarted server again within its heartbeat. */
    static void flushUntilEmpty(WriteBehindBuffer buffer) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (buffer.depth() > 0 && System.nanoTime() < deadline) {
            if (buffer.flush(WriteBehindBufferTest::ignore).failed) {
                Thread.sleep(100);
            }
        }
        assertThat(buffer.depth()).isZero();
    }

    static void ignore(ReputationKey key, Tally delta, String batchId) {
    }

    @Test
    void theBoundCountsDistinctKeysAndAHeldKeyKeepsMergingAcrossFailedFlushes() throws Exception {
        WriteBehindBuffer buffer = new WriteBehindBuffer(repository, settings.halfLife(), 3, clock);
        assertThat(buffer.record(A, Signal.CONNECTION, 1)).isTrue();
        assertThat(buffer.record(B, Signal.CONNECTION, 1)).isTrue();
        assertThat(buffer.record(C, Signal.CONNECTION, 1)).isTrue();

        mongo.stop();
        for (int attempt = 0; attempt < 5; attempt++) {
            assertThat(buffer.flush(WriteBehindBufferTest::ignore).failed).isTrue();
            // Each held key keeps counting however many flushes failed: it costs no memory.
            assertThat(buffer.record(A, Signal.CONNECTION, 1)).isTrue();
            assertThat(buffer.record(B, Signal.SPAM, 1)).isTrue();
            assertThat(buffer.depth()).isEqualTo(3);
        }
        assertThat(buffer.record(D, Signal.CONNECTION, 1)).isFalse();
        assertThat(buffer.dropped()).isEqualTo(1);

        mongo.start();
        // What came after the first attempt is pending behind the delta in flight: written by the next flush.
        flushUntilEmpty(buffer);
        assertThat(stored(A, Signal.CONNECTION)).isEqualTo(6);
        assertThat(stored(B, Signal.CONNECTION)).isEqualTo(1);
        assertThat(stored(B, Signal.SPAM)).isEqualTo(5);
        assertThat(stored(C, Signal.CONNECTION)).isEqualTo(1);
        assertThat(repository.load(D, clock.instant()).isKnown()).isFalse();
    }

    @Test
    void aFailedFlushKeepsOneDeltaInFlightUnderItsBatchIdAndMergesTheRestPerKey() {
        WriteBehindBuffer buffer = new WriteBehindBuffer(repository, settings.halfLife(), 10, clock);
        buffer.record(A, Signal.CONNECTION, 2);
        mongo.stop();
        buffer.flush(WriteBehindBufferTest::ignore);
        WriteBehindBuffer.Held first = buffer.held(A);
        assertThat(first.inFlight.delta.total(Signal.CONNECTION)).isEqualTo(2);
        assertThat(first.pending).isNull();
        for (int attempt = 0; attempt < 3; attempt++) {
            buffer.record(A, Signal.CONNECTION, 1);
            buffer.flush(WriteBehindBufferTest::ignore);
        }
        WriteBehindBuffer.Held later = buffer.held(A);
        assertThat(later.inFlight).isSameAs(first.inFlight);
        assertThat(later.pending.total(Signal.CONNECTION)).isEqualTo(3);
        assertThat(buffer.unwritten(A).total(Signal.CONNECTION)).isEqualTo(5);
    }

    @Test
    void aDeltaWhoseFirstAttemptLandedUnacknowledgedIsAppliedOnceWhenRetried() {
        ReputationRepository timesOutOnce = new ReputationRepository(collection, settings) {
            boolean timedOut;

            @Override
            public Map<ReputationKey, String> apply(Map<ReputationKey, String> batchIds, Map<ReputationKey, Tally> deltas) {
                Map<ReputationKey, String> refused = super.apply(batchIds, deltas);
                if (!timedOut) {
                    timedOut = true;
                    throw new MongoSocketReadException("read timed out after the write", new ServerAddress());
                }
                return refused;
            }
        };
        WriteBehindBuffer buffer = new WriteBehindBuffer(timesOutOnce, settings.halfLife(), 10, clock);
        buffer.record(A, Signal.SPAM, 3);
        assertThat(buffer.flush(WriteBehindBufferTest::ignore).failed).isTrue();
        buffer.record(A, Signal.SPAM, 1);
        assertThat(buffer.flush(WriteBehindBufferTest::ignore).failed).isFalse();
        buffer.flush(WriteBehindBufferTest::ignore);
        assertThat(stored(A, Signal.SPAM)).isEqualTo(4);
        assertThat(buffer.depth()).isZero();
    }

    @Test
    void whenFullSignalsAgainstASenderTakeThePlaceOfKeysHoldingOnlySignalsForOne() throws Exception {
        WriteBehindBuffer buffer = new WriteBehindBuffer(repository, settings.halfLife(), 3, clock);
        ReputationKey e = ReputationKey.parse("192.0.2.5");
        ReputationKey f = ReputationKey.parse("192.0.2.6");
        ReputationKey g = ReputationKey.parse("192.0.2.7");
        buffer.record(A, Signal.CONNECTION, 1);
        buffer.record(B, Signal.MESSAGE_ACCEPTED, 1);
        buffer.record(C, Signal.SPAM, 1);
        mongo.stop();
        // Every key is in flight after a failed flush: they can be evicted all the same.
        assertThat(buffer.flush(WriteBehindBufferTest::ignore).failed).isTrue();

        assertThat(buffer.record(D, Signal.RECIPIENT_REJECTED, 2)).isTrue();
        assertThat(buffer.record(e, Signal.SPAMTRAP_HIT, 1)).isTrue();
        assertThat(buffer.depth()).isEqualTo(3);
        assertThat(buffer.evicted()).isEqualTo(2);
        // Every held key now carries signals against its sender: nothing more can go.
        assertThat(buffer.record(f, Signal.SPAM, 1)).isFalse();
        assertThat(buffer.record(g, Signal.CONNECTION, 1)).isFalse();
        assertThat(buffer.dropped()).isEqualTo(4);
        assertThat(buffer.droppedAgainstSenders()).isEqualTo(1);
        // Held keys keep merging.
        assertThat(buffer.record(C, Signal.SPAM, 1)).isTrue();

        mongo.start();
        flushUntilEmpty(buffer);
        assertThat(stored(C, Signal.SPAM)).isEqualTo(2);
        assertThat(stored(D, Signal.RECIPIENT_REJECTED)).isEqualTo(2);
        assertThat(stored(e, Signal.SPAMTRAP_HIT)).isEqualTo(1);
        assertThat(repository.load(A, clock.instant()).isKnown()).isFalse();
        assertThat(repository.load(B, clock.instant()).isKnown()).isFalse();
        assertThat(repository.load(f, clock.instant()).isKnown()).isFalse();
    }

    @Test
    void aKeyThatCameWithSignalsForItsSenderAndThenGotOneAgainstItIsKeptWhenFull() {
        WriteBehindBuffer buffer = new WriteBehindBuffer(repository, settings.halfLife(), 2, clock);
        buffer.record(A, Signal.CONNECTION, 1);
        buffer.record(A, Signal.RECIPIENT_REJECTED, 1);
        buffer.record(B, Signal.CONNECTION, 1);
        assertThat(buffer.record(C, Signal.SPAM, 1)).isTrue();
        assertThat(buffer.record(D, Signal.SPAM, 1)).isFalse();
        buffer.flush(WriteBehindBufferTest::ignore);
        assertThat(stored(A, Signal.RECIPIENT_REJECTED)).isEqualTo(1);
        assertThat(stored(C, Signal.SPAM)).isEqualTo(1);
        assertThat(repository.load(B, clock.instant()).isKnown()).isFalse();
    }

    @Test
    void aKeyMongoRefusesIsSetAsideWithABackoffWhileTheOthersAreWritten() {
        // A document whose counters are not a document: MongoDB refuses every $inc on it, and only on it.
        collection.insertOne(new Document("_id", A.id()).append("totals", "broken"));
        WriteBehindBuffer buffer = new WriteBehindBuffer(repository, settings.halfLife(), 10, clock);
        buffer.record(A, Signal.SPAM, 1);
        buffer.record(B, Signal.SPAM, 1);

        assertThat(buffer.flush(WriteBehindBufferTest::ignore).failed).isTrue();
        assertThat(stored(B, Signal.SPAM)).isEqualTo(1);
        String batchId = buffer.held(A).inFlight.batchId;

        buffer.record(A, Signal.SPAM, 1);
        buffer.record(C, Signal.SPAM, 1);
        collection.deleteOne(new Document("_id", A.id()));
        // Set aside for a second: this flush writes C, not A, though A would now be accepted.
        assertThat(buffer.flush(WriteBehindBufferTest::ignore).failed).isFalse();
        assertThat(stored(C, Signal.SPAM)).isEqualTo(1);
        assertThat(repository.load(A, clock.instant()).isKnown()).isFalse();

        clock.advance(WriteBehindBuffer.FIRST_SET_ASIDE);
        List<String> written = new ArrayList<>();
        buffer.flush((key, delta, id) -> written.add(key + " " + id));
        assertThat(written).containsExactly(A + " " + batchId);
        buffer.flush(WriteBehindBufferTest::ignore);
        assertThat(stored(A, Signal.SPAM)).isEqualTo(2);
        assertThat(buffer.depth()).isZero();
    }

    @Test
    void aRefusedKeyWaitsLongerAtEachRefusalUpToTheMaximum() {
        WriteBehindBuffer.InFlight first = new WriteBehindBuffer.InFlight("b", Tally.empty());
        WriteBehindBuffer.InFlight refused = first;
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            refused = refused.refused(0);
            waits.add(refused.retryAtMillis);
        }
        assertThat(waits).startsWith(1000L, 2000L, 4000L, 8000L);
        assertThat(waits.get(11)).isEqualTo(WriteBehindBuffer.MAX_SET_ASIDE.toMillis());
        assertThat(refused.batchId).isEqualTo("b");
    }
}
