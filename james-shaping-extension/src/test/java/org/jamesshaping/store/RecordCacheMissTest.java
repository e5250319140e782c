package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.james.metrics.api.Metric;
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

/** Keys not cached yet: read in batches from a bounded queue, by a bounded number of queries. */
class RecordCacheMissTest {
    final MutableClock clock = new MutableClock(Instant.now());
    EmbeddedMongo mongo;
    MongoClient client;
    MongoCollection<Document> collection;
    StoreSettings settings;
    RecordCache cache;

    @BeforeEach
    void start() {
        mongo = EmbeddedMongo.inMemory().start(0);
        settings = StoreSettings.defaults(mongo.uri()).withDatabase("miss_" + UUID.randomUUID().toString().replace("-", ""))
            .withCacheLoadQueue(3);
        client = MongoConnection.of(settings).open();
        collection = client.getDatabase(settings.database()).getCollection(ReputationRepository.COLLECTION);
    }

    @AfterEach
    void stop() {
        if (cache != null) {
            cache.close();
        }
        client.close();
        mongo.stop();
    }

    static ReputationKey key(int i) {
        return ReputationKey.parse("192.0.2." + i);
    }

    @Test
    void missesQueueUpToTheBoundAreReadTogetherByAtMostTwoQueriesAndPastItAreJudgedUnknown() throws Exception {
        Semaphore entered = new Semaphore(0);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> querySizes = new CopyOnWriteArrayList<>();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostRunning = new AtomicInteger();
        ReputationRepository slowReads = new ReputationRepository(collection, settings) {
            @Override
            public Map<ReputationKey, ReputationRecord> load(Collection<ReputationKey> keys, Instant now) {
                mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                querySizes.add(keys.size());
                entered.release();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                running.decrementAndGet();
                return super.load(keys, now);
            }
        };
        new ReputationRepository(collection, settings).apply("b", Map.of(key(6), Tally.empty().add(Signal.SPAM, 2, clock.instant(),
            settings.halfLife())));
        WriteBehindBuffer buffer = new WriteBehindBuffer(slowReads, settings.halfLife(), 100, clock);
        RecordingMetricFactory metrics = new RecordingMetricFactory();
        Metric refused = metrics.generate("refused");
        cache = new RecordCache(slowReads, new LocalDeltas(buffer, settings.halfLife(), Duration.ofSeconds(5)), settings, clock,
            () -> { }, metrics.generate("hits"), metrics.generate("misses"), refused, metrics.generate("errors"));

        cache.snapshot(key(1), clock.instant());
        assertThat(entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
        cache.snapshot(key(2), clock.instant());
        assertThat(entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
        // Both queries wait on MongoDB: the next misses queue, up to three.
        for (int i = 3; i <= 5; i++) {
            assertThat(cache.snapshot(key(i), clock.instant()).isKnown()).isFalse();
        }
        assertThat(cache.loadQueueDepth()).isEqualTo(3);
        ReputationSnapshot refusedRead = cache.snapshot(key(6), clock.instant());
        assertThat(refusedRead.isKnown()).isFalse();
        assertThat(refused.getCount()).isEqualTo(1);

        release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (querySizes.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(querySizes).containsExactly(1, 1, 3);
        assertThat(mostRunning.get()).isEqualTo(2);
        // Refused, not forgotten: the next read of the key asks again, and the record comes.
        cache.snapshot(key(6), clock.instant());
        while (!cache.snapshot(key(6), clock.instant()).isKnown() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(cache.snapshot(key(6), clock.instant()).total(Signal.SPAM)).isEqualTo(2);
    }
}
