package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.bson.Document;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.jamesshaping.testsupport.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;

/** An operator's forget and the store thread's flush, racing on one key. */
class ForgetDuringFlushTest {
    static final ReputationKey KEY = ReputationKey.parse("198.51.100.7");

    final MutableClock clock = new MutableClock(Instant.now());
    EmbeddedMongo mongo;
    MongoClient client;
    MongoCollection<Document> collection;
    StoreSettings settings;

    @BeforeEach
    void start() {
        mongo = EmbeddedMongo.inMemory().start(0);
        settings = StoreSettings.defaults(mongo.uri()).withDatabase("forget_" + UUID.randomUUID().toString().replace("-", ""));
        client = MongoConnection.of(settings).open();
        collection = client.getDatabase(settings.database()).getCollection(ReputationRepository.COLLECTION);
    }

    @AfterEach
    void stop() {
        client.close();
        mongo.stop();
    }

    @Test
    void aForgetWhileAFlushIsWritingTheKeyIsNotUndoneByThatFlush() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ReputationRepository slowWrites = new ReputationRepository(collection, settings) {
            @Override
            public Map<ReputationKey, String> apply(Map<ReputationKey, String> batchIds, Map<ReputationKey, Tally> deltas) {
                writing.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.apply(batchIds, deltas);
            }
        };
        WriteBehindBuffer buffer = new WriteBehindBuffer(slowWrites, settings.halfLife(), 100, clock);
        LocalDeltas deltas = new LocalDeltas(buffer, settings.halfLife(), Duration.ofSeconds(5));
        SenderSums sums = new SenderSums((address, counts) -> { });
        RecordingMetricFactory metrics = new RecordingMetricFactory();
        FlushCycle cycle = new FlushCycle(slowWrites, buffer, deltas, sums, metrics, metrics.generate("errors"));
        collection.insertOne(new Document("_id", KEY.id()));
        buffer.record(KEY, Signal.SPAM, 1);

        Thread flush = new Thread(() -> cycle.flush(true));
        flush.start();
        assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue();
        boolean[] existed = new boolean[1];
        Thread forget = new Thread(() -> existed[0] = cycle.forget(KEY));
        forget.start();
        // The write lands only once the forget has either finished (had it not waited) or is waiting for the flush.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (forget.getState() != Thread.State.BLOCKED && forget.getState() != Thread.State.TERMINATED
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        release.countDown();
        flush.join(10_000);
        forget.join(10_000);

        assertThat(existed[0]).isTrue();
        assertThat(collection.find(new Document("_id", KEY.id())).first()).isNull();
        assertThat(buffer.depth()).isZero();
        cycle.flush(true);
        assertThat(collection.find(new Document("_id", KEY.id())).first()).isNull();
    }
}
