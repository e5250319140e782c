package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.bson.Document;
import org.jamesshaping.runtime.Scheduler;
import org.jamesshaping.scoring.ReputationClassifier;
import org.jamesshaping.scoring.ScoringConfig;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.scoring.SignalCounts;
import org.jamesshaping.testsupport.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;

/**
 * The reputation store's behaviour against a MongoDB. Run against the embedded wire-protocol server always, and
 * against a real mongo:7 container where Docker exists.
 */
abstract class ReputationStoreContract {
    static final InetAddress SENDER = ReputationKey.parseAddress("203.0.113.7");
    static final InetAddress NEIGHBOUR = ReputationKey.parseAddress("203.0.113.8");

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Map<ReputationStore, GaugesSeen> gaugesOf = new HashMap<>();
    final String database = "test_" + UUID.randomUUID().toString().replace("-", "");
    final MutableClock clock = new MutableClock(Instant.now());

    abstract String mongoUri();

    StoreSettings settings() {
        return StoreSettings.defaults(mongoUri())
            .withDatabase(database)
            .withIntervals(Duration.ofMillis(300), Duration.ofMillis(100));
    }

    ReputationStore service(StoreSettings settings) {
        Scheduler scheduler = new Scheduler();
        GaugesSeen gauges = new GaugesSeen();
        ReputationStore service = new ReputationStore(settings, scheduler, new RecordingMetricFactory(), gauges, clock);
        gaugesOf.put(service, gauges);
        closeables.add(() -> {
            scheduler.close();
            service.close();
        });
        return service;
    }

    /** A gauge the store registered, read now. */
    int gauge(ReputationStore service, String name) {
        return ((Number) gaugesOf.get(service).get(name).get()).intValue();
    }

    MongoCollection<Document> collection() {
        MongoClient client = MongoClients.create(mongoUri());
        closeables.add(client);
        return client.getDatabase(database).getCollection(ReputationRepository.COLLECTION);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
    }

    @Test
    void signalsReachMongoAsExactTotalsForAddressAndSubnet() {
        ReputationStore writer = service(settings());
        for (int i = 0; i < 25; i++) {
            writer.record(SENDER, Signal.CONNECTION);
        }
        writer.record(NEIGHBOUR, Signal.CONNECTION, 5);
        writer.flush();

        ReputationStore reader = service(settings());
        assertThat(reader.lookup(ReputationKey.parse("203.0.113.7")).total(Signal.CONNECTION)).isEqualTo(25);
        assertThat(reader.lookup(ReputationKey.parse("203.0.113.8")).total(Signal.CONNECTION)).isEqualTo(5);
        assertThat(reader.lookup(ReputationKey.parse("203.0.113.0/24")).total(Signal.CONNECTION)).isEqualTo(30);
    }

    @Test
    void aRetriedBatchIsCountedOnce() {
        ReputationRepository repository = new ReputationRepository(collection(), settings());
        ReputationKey key = ReputationKey.parse("198.51.100.1");
        Tally delta = Tally.empty().add(Signal.SPAM, 3, clock.instant(), settings().halfLife());

        assertThat(repository.apply("batch-1", Map.of(key, delta))).isEmpty();
        // As after a timeout whose first attempt did land:
        assertThat(repository.apply("batch-1", Map.of(key, delta))).isEmpty();
        assertThat(repository.apply("batch-2", Map.of(key, delta))).isEmpty();

        assertThat(repository.load(key, clock.instant()).tally().total(Signal.SPAM)).isEqualTo(6);
    }

    @Test
    void aReplayIsIgnoredWhileItsBatchIsAmongTheDocumentsLast64AndCountedAgainOnceOlder() {
        ReputationRepository repository = new ReputationRepository(collection(), settings());
        ReputationKey key = ReputationKey.parse("198.51.100.2");
        Tally delta = Tally.empty().add(Signal.SPAM, 1, clock.instant(), settings().halfLife());
        repository.apply("replayed", Map.of(key, delta));
        for (int i = 1; i < ReputationRepository.REMEMBERED_BATCHES; i++) {
            repository.apply("other-" + i, Map.of(key, delta));
        }
        // The replayed batch is the oldest of the 64 the document remembers: still recognised.
        assertThat(repository.apply("replayed", Map.of(key, delta))).isEmpty();
        assertThat(repository.load(key, clock.instant()).tally().total(Signal.SPAM)).isEqualTo(64);

        repository.apply("other-64", Map.of(key, delta));
        // 64 other batches since: the document no longer remembers it, and a replay is counted again.
        repository.apply("replayed", Map.of(key, delta));
        assertThat(repository.load(key, clock.instant()).tally().total(Signal.SPAM)).isEqualTo(66);
    }

    @Test
    void concurrentServersNeverLoseIncrements() throws Exception {
        ReputationStore first = service(settings());
        ReputationStore second = service(settings());
        Thread a = new Thread(() -> {
            for (int i = 0; i < 500; i++) {
                first.record(SENDER, Signal.RECIPIENT_REJECTED);
            }
        });
        Thread b = new Thread(() -> {
            for (int i = 0; i < 500; i++) {
                second.record(SENDER, Signal.RECIPIENT_REJECTED);
            }
        });
        a.start();
        b.start();
        a.join();
        b.join();
        first.flush();
        second.flush();
        assertThat(service(settings()).lookup(ReputationKey.ofAddress(SENDER)).total(Signal.RECIPIENT_REJECTED)).isEqualTo(1000);
    }

    @Test
    void decayIsComputedFromTimestampsWhenRead() {
        StoreSettings settings = settings().withHalfLife(new HalfLife(Duration.ofHours(1)));
        ReputationStore service = service(settings);
        service.record(SENDER, Signal.SPAM, 8);
        service.flush();

        clock.advance(Duration.ofHours(2));
        ReputationSnapshot snapshot = service(settings).lookup(ReputationKey.ofAddress(SENDER));
        assertThat(snapshot.decayed(Signal.SPAM)).isCloseTo(2.0, within(1e-6));
        assertThat(snapshot.total(Signal.SPAM)).isEqualTo(8);
    }

    @Test
    void aChangedHalfLifeCarriesDecayedHistoryOverAndItDecaysAtTheNewRateFromThen() throws Exception {
        ReputationStore daily = service(settings().withHalfLife(new HalfLife(Duration.ofDays(1))));
        awaitRecordedHalfLife(86_400);
        daily.record(SENDER, Signal.SPAM, 8);
        daily.flush();
        clock.advance(Duration.ofDays(1));
        assertThat(daily.lookup(ReputationKey.ofAddress(SENDER)).decayed(Signal.SPAM)).isCloseTo(4.0, within(1e-6));

        StoreSettings hourly = settings().withHalfLife(new HalfLife(Duration.ofHours(1)));
        ReputationStore restarted = service(hourly);
        awaitRecordedHalfLife(3_600);
        Document stored = collection().find(new Document("_id", "203.0.113.7")).first();
        assertThat(stored.get("decay", Document.class).keySet()).as("only fields of the new half-life are left")
            .allMatch(field -> field.startsWith("h3600e"));
        assertThat(restarted.lookup(ReputationKey.ofAddress(SENDER)).decayed(Signal.SPAM)).isCloseTo(4.0, within(1e-6));
        assertThat(restarted.lookup(ReputationKey.ofAddress(SENDER)).total(Signal.SPAM)).isEqualTo(8);
        assertThat(restarted.lookup(ReputationKey.parse("203.0.113.0/24")).decayed(Signal.SPAM)).isCloseTo(4.0, within(1e-6));

        // One new half-life later it has halved (at the old rate it would still be 4 * 2^(-1/24) = 3.89).
        clock.advance(Duration.ofHours(1));
        assertThat(service(hourly).lookup(ReputationKey.ofAddress(SENDER)).decayed(Signal.SPAM)).isCloseTo(2.0, within(1e-6));
    }

    /** Waits for a store's background check of the half-life to have recorded {@code seconds}. */
    private void awaitRecordedHalfLife(long seconds) throws InterruptedException {
        MongoClient client = MongoClients.create(mongoUri());
        closeables.add(client);
        MongoCollection<Document> meta = client.getDatabase(database).getCollection(HalfLifeMigration.META_COLLECTION);
        HalfLifeMigration reader = new HalfLifeMigration(collection(), meta, new HalfLife(Duration.ofSeconds(seconds)), clock);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!reader.storedHalfLifeSeconds().equals(Optional.of(seconds)) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(reader.storedHalfLifeSeconds()).contains(seconds);
    }

    @Test
    void aReformedSenderComesBackToClassThreeAfterTheConfiguredTime() {
        StoreSettings settings = settings().withHalfLife(new HalfLife(Duration.ofHours(6)));
        ReputationStore service = service(settings);
        ReputationClassifier classifier = new ReputationClassifier(new ScoringConfig());
        service.record(SENDER, Signal.UNKNOWN_RECIPIENT, 40);
        service.record(SENDER, Signal.SPAMTRAP_HIT, 3);
        service.flush();
        ReputationKey address = ReputationKey.ofAddress(SENDER);
        ReputationKey subnet = ReputationKey.subnetOf(SENDER);
        assertThat(classifier.judge(service.lookup(address), service.lookup(subnet)).level()).isEqualTo(8);

        clock.advance(Duration.ofHours(12));
        assertThat(classifier.judge(service.lookup(address), service.lookup(subnet)).level()).isGreaterThanOrEqualTo(7);

        // Ten half-lives on, what it did weighs a thousandth: it is judged like a newcomer again.
        clock.advance(Duration.ofHours(48));
        ReputationSnapshot reformed = service.lookup(address);
        assertThat(classifier.judge(reformed, service.lookup(subnet)).level()).isLessThanOrEqualTo(3);
        assertThat(reformed.total(Signal.UNKNOWN_RECIPIENT)).isEqualTo(40);
    }

    @Test
    void theSendersOwnServerSeesUnwrittenSignalsAtOnce() {
        ReputationStore service = service(settings().withIntervals(Duration.ofSeconds(30), Duration.ofSeconds(1)));
        service.record(SENDER, Signal.EARLY_TALK);
        service.record(SENDER, Signal.EARLY_TALK);
        assertThat(service.sender(SENDER).address().total(Signal.EARLY_TALK)).isEqualTo(2);
        assertThat(service.sender(SENDER).subnet().total(Signal.EARLY_TALK)).isEqualTo(2);
    }

    @Test
    void signalsForASenderReachItsRecordWhenFlushedSummedPerAddress() {
        // A flush interval too long to run during the test: only the explicit flush moves them.
        ReputationStore service = service(settings().withIntervals(Duration.ofSeconds(30), Duration.ofSeconds(1)));
        awaitLoaded(service, SENDER);
        SignalCounts clean = new SignalCounts().add(Signal.CONNECTION).add(Signal.RECIPIENT_ACCEPTED).add(Signal.MESSAGE_ACCEPTED);
        for (int i = 0; i < 5; i++) {
            service.record(SENDER, clean);
        }
        service.record(NEIGHBOUR, clean);
        assertThat(service.sender(SENDER).address().total(Signal.MESSAGE_ACCEPTED)).isZero();

        service.flush();

        assertThat(service.sender(SENDER).address().total(Signal.MESSAGE_ACCEPTED)).isEqualTo(5);
        assertThat(service.sender(SENDER).subnet().total(Signal.CONNECTION)).isEqualTo(6);
        assertThat(service(settings()).lookup(ReputationKey.ofAddress(SENDER)).total(Signal.RECIPIENT_ACCEPTED)).isEqualTo(5);
    }

    private static void awaitLoaded(ReputationStore service, InetAddress address) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!service.sender(address).address().isLoaded()) {
            assertThat(System.nanoTime()).as("record of %s read from MongoDB", address).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    @Test
    void operatorReadsIncludeSignalsForASenderNotFlushedYet() {
        ReputationStore service = service(settings().withIntervals(Duration.ofSeconds(30), Duration.ofSeconds(30)));
        service.record(SENDER, Signal.MESSAGE_ACCEPTED, 3);
        assertThat(service.lookup(ReputationKey.ofAddress(SENDER)).total(Signal.MESSAGE_ACCEPTED)).isEqualTo(3);
    }

    @Test
    void signalsForSendersOfOneAddressAreSummedInPlace() {
        ReputationStore service = service(settings().withIntervals(Duration.ofSeconds(30), Duration.ofSeconds(30)));
        for (int i = 0; i < 1000; i++) {
            service.record(SENDER, new SignalCounts().add(Signal.CONNECTION).add(Signal.MESSAGE_ACCEPTED));
        }
        // One sum for the one address (none once the store thread's tick has taken it).
        assertThat(gauge(service, "shaping_sender_sums_addresses")).isBetween(0, 1);
        ReputationSnapshot seen = service.lookup(ReputationKey.ofAddress(SENDER));
        assertThat(seen.total(Signal.CONNECTION)).isEqualTo(1000);
        assertThat(seen.total(Signal.MESSAGE_ACCEPTED)).isEqualTo(1000);
    }

    @Test
    void signalsForSendersPendingPastTheBoundAreHandedOverByTheSmtpThread() throws Exception {
        ReputationStore service = service(settings().withIntervals(Duration.ofSeconds(30), Duration.ofSeconds(30)));
        int addresses = 3 * SenderSums.FOLD_ON_SMTP_PATH_AT;
        for (int i = 0; i < addresses; i++) {
            service.record(InetAddress.getByName("10.7." + (i >> 8) + "." + (i & 0xff)), Signal.CONNECTION);
            // At most the bound: the store thread may be taking them at that instant.
            assertThat(gauge(service, "shaping_sender_sums_addresses")).isLessThanOrEqualTo(SenderSums.FOLD_ON_SMTP_PATH_AT);
        }
        for (int i = 0; i < addresses; i += 997) {
            InetAddress address = InetAddress.getByName("10.7." + (i >> 8) + "." + (i & 0xff));
            assertThat(service.lookup(ReputationKey.ofAddress(address)).total(Signal.CONNECTION)).as(address.toString()).isEqualTo(1);
        }
    }

    /** Mailet thread pools come and go: what an ended thread summed is counted, and its sums go. */
    @Test
    void signalsSummedByAThreadThatEndedAreCountedAndItsSumsDropped() throws Exception {
        ReputationStore service = service(settings().withIntervals(Duration.ofSeconds(30), Duration.ofSeconds(30)));
        Thread ended = new Thread(() -> service.record(SENDER, Signal.CONNECTION, 2));
        ended.start();
        ended.join();
        service.record(SENDER, Signal.CONNECTION);

        assertThat(service.lookup(ReputationKey.ofAddress(SENDER)).total(Signal.CONNECTION)).isEqualTo(3);
        assertThat(gauge(service, "shaping_sender_sums_threads")).as("only this thread's sums are left").isEqualTo(1);
    }

    @Test
    void scheduledFlushesWriteSignalsAgainstASenderAndLaterTheSignalsForIt() {
        ReputationStore service = service(settings().withIntervals(Duration.ofSeconds(30), Duration.ofMillis(100)));
        service.record(SENDER, Signal.SPAM);
        service.record(SENDER, Signal.MESSAGE_ACCEPTED);
        ReputationStore otherServer = service(settings());
        // Against: the next flush (100 ms); for: within FlushCycle.FLUSHES_PER_SIGNALS_FOR_SENDERS flushes.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        ReputationSnapshot seen;
        do {
            seen = otherServer.lookup(ReputationKey.ofAddress(SENDER));
        } while ((seen.total(Signal.SPAM) == 0 || seen.total(Signal.MESSAGE_ACCEPTED) == 0) && System.nanoTime() < deadline);
        assertThat(seen.total(Signal.SPAM)).isEqualTo(1);
        assertThat(seen.total(Signal.MESSAGE_ACCEPTED)).isEqualTo(1);
    }

    @Test
    void writtenSignalsAreNotCountedTwiceOnceTheCacheIsRefreshed() throws Exception {
        ReputationStore service = service(settings());
        service.sender(SENDER);
        service.record(SENDER, Signal.HAM, 3);
        service.flush();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(service.sender(SENDER).address().total(Signal.HAM)).isEqualTo(3);
            Thread.sleep(50);
        }
    }

    @Test
    void anotherServerSeesUpdatesWithinTwoRefreshIntervals() throws Exception {
        StoreSettings settings = settings();
        ReputationStore serverA = service(settings);
        ReputationStore serverB = service(settings);
        assertThat(serverB.sender(SENDER).address().total(Signal.SPAMTRAP_HIT)).isZero();

        serverA.record(SENDER, Signal.SPAMTRAP_HIT);
        long start = System.nanoTime();
        Duration budget = settings.flushInterval().plus(settings.refreshInterval().multipliedBy(2));
        while (serverB.sender(SENDER).address().total(Signal.SPAMTRAP_HIT) == 0) {
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(budget.plusMillis(500));
            Thread.sleep(20);
        }
    }

    @Test
    void aSenderBackAfterAnIdleSpellIsReReadAtOnce() throws Exception {
        // A refresh interval no test outlasts: no periodic re-read of hot keys can be what brings the news.
        StoreSettings settings = settings().withIntervals(Duration.ofMinutes(10), Duration.ofMillis(100));
        ReputationStore serverA = service(settings);
        ReputationStore serverB = service(settings);
        serverA.record(SENDER, Signal.HAM);
        serverA.flush();
        awaitTrue(() -> serverB.sender(SENDER).address().total(Signal.HAM) == 1, Duration.ofSeconds(5));
        serverA.record(SENDER, Signal.SPAMTRAP_HIT);
        serverA.flush();

        Thread.sleep(200);
        assertThat(serverB.sender(SENDER).address().total(Signal.SPAMTRAP_HIT))
            .as("a copy younger than two refresh intervals is served as it is").isZero();

        clock.advance(Duration.ofMinutes(21));
        awaitTrue(() -> serverB.sender(SENDER).address().total(Signal.SPAMTRAP_HIT) == 1, Duration.ofSeconds(2));
    }

    @Test
    void sendersBackTogetherAreReReadInOneQuery() throws Exception {
        StoreSettings settings = settings().withIntervals(Duration.ofMinutes(10), Duration.ofMillis(100));
        ReputationStore serverA = service(settings);
        ReputationStore serverB = service(settings);
        List<InetAddress> senders = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            senders.add(ReputationKey.parseAddress("198.51.100." + i));
            serverA.record(senders.get(i - 1), Signal.HAM);
        }
        serverA.flush();
        awaitTrue(() -> senders.stream().allMatch(sender -> serverB.sender(sender).address().total(Signal.HAM) == 1),
            Duration.ofSeconds(5));
        for (InetAddress sender : senders) {
            serverA.record(sender, Signal.SPAMTRAP_HIT);
        }
        serverA.flush();

        clock.advance(Duration.ofMinutes(21));
        long changesBefore = serverB.changes();
        senders.forEach(serverB::sender);
        awaitTrue(() -> senders.stream().allMatch(sender -> serverB.sender(sender).address().total(Signal.SPAMTRAP_HIT) == 1),
            Duration.ofSeconds(2));
        // Each re-read counts one change. Key by key, the 11 keys (10 addresses and their /24) would be 11; the
        // reads take microseconds against the 20 ms the reload gathers keys for, so they make one.
        assertThat(serverB.changes() - changesBefore).isEqualTo(1);
    }

    @Test
    void reReadsMoveTheChangesOnlyWhenTheyBringSomethingAgainstASender() throws Exception {
        StoreSettings settings = settings().withIntervals(Duration.ofMillis(100), Duration.ofMillis(100));
        ReputationStore serverA = service(settings);
        ReputationStore serverB = service(settings);
        awaitLoaded(serverB, SENDER);
        long before = serverB.changes();

        // Good news from the other server, re-read with the hot keys (B reads the sender all along).
        serverA.record(SENDER, Signal.HAM, 3);
        serverA.record(SENDER, Signal.MESSAGE_ACCEPTED);
        serverA.flush();
        awaitTrue(() -> serverB.sender(SENDER).address().total(Signal.HAM) == 3, Duration.ofSeconds(5));
        long until = System.nanoTime() + Duration.ofMillis(500).toNanos();
        while (System.nanoTime() < until) {
            serverB.sender(SENDER);
            Thread.sleep(10);
        }
        assertThat(serverB.changes()).as("re-reads that only bring signals for a sender, and statuses unchanged").isEqualTo(before);

        serverA.record(SENDER, Signal.UNKNOWN_RECIPIENT);
        serverA.flush();
        awaitTrue(() -> serverB.sender(SENDER).address().total(Signal.UNKNOWN_RECIPIENT) == 1, Duration.ofSeconds(5));
        // The count moves just after the copy is cached (never before: a decision would be reused on the old copy).
        awaitTrue(() -> serverB.changes() > before, Duration.ofSeconds(1));
    }

    @Test
    void aFirstReadMovesTheChangesOnlyWhenItBringsSomethingAgainstTheSender() throws Exception {
        ReputationStore writer = service(settings());
        InetAddress clean = ReputationKey.parseAddress("198.51.100.7");
        writer.record(clean, Signal.HAM, 3);
        writer.record(SENDER, Signal.UNKNOWN_RECIPIENT);
        writer.flush();
        ReputationStore reader = service(settings());
        long before = reader.changes();

        awaitLoaded(reader, clean);
        awaitTrue(() -> reader.sender(clean).subnet().isLoaded(), Duration.ofSeconds(5));
        assertThat(reader.sender(clean).address().total(Signal.HAM)).isEqualTo(3);
        assertThat(reader.changes()).as("a first read with only signals for the sender").isEqualTo(before);

        awaitLoaded(reader, SENDER);
        awaitTrue(() -> reader.changes() > before, Duration.ofSeconds(1));
    }

    @Test
    void aStatusReloadMovesTheChangesOnlyWhenAStatusChanged() throws Exception {
        ReputationStore serverA = service(settings());
        ReputationStore serverB = service(settings());
        serverA.setStatus(ReputationKey.parse("203.0.113.0/24"), ManualStatus.Value.BLOCK, "botnet", Optional.empty(), "test");
        serverB.refreshStatuses();
        assertThat(serverB.manualStatus(SENDER)).isPresent();
        long before = serverB.changes();

        serverB.refreshStatuses();
        serverB.refreshStatuses();
        assertThat(serverB.changes()).isEqualTo(before);

        serverA.setStatus(ReputationKey.parse("203.0.113.0/24"), ManualStatus.Value.BLOCK, "botnet, again", Optional.empty(), "test");
        awaitTrue(() -> serverB.manualStatus(SENDER).map(match -> match.status().reason()).orElse("").equals("botnet, again"),
            Duration.ofSeconds(5));
        awaitTrue(() -> serverB.changes() > before, Duration.ofSeconds(1));
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within %s", limit).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    @Test
    void theMostSpecificManualStatusApplies() {
        ReputationStore service = service(settings());
        service.setStatus(ReputationKey.parse("203.0.113.0/24"), ManualStatus.Value.BLOCK, "botnet", Optional.empty(), "test");
        service.setStatus(ReputationKey.parse("203.0.113.8"), ManualStatus.Value.ALLOW, "our partner", Optional.empty(), "test");

        assertThat(service.manualStatus(SENDER)).map(match -> match.status().value()).contains(ManualStatus.Value.BLOCK);
        assertThat(service.manualStatus(NEIGHBOUR)).map(match -> match.status().value()).contains(ManualStatus.Value.ALLOW);
        assertThat(service.manualStatus(ReputationKey.parseAddress("192.0.2.1"))).isEmpty();
    }

    @Test
    void manualStatusesAreSharedAndExpire() {
        ReputationStore serverA = service(settings());
        serverA.setStatus(ReputationKey.parse("2001:db8::/48"), ManualStatus.Value.BLOCK, "spam", Optional.of(Duration.ofMinutes(30)), "test");

        ReputationStore serverB = service(settings());
        serverB.refreshStatuses();
        InetAddress inside = ReputationKey.parseAddress("2001:db8:0:1::25");
        assertThat(serverB.manualStatus(inside)).map(match -> match.status().reason()).contains("spam");

        clock.advance(Duration.ofMinutes(31));
        assertThat(serverB.manualStatus(inside)).isEmpty();
        serverB.refreshStatuses();
        assertThat(serverB.manualStatus(inside)).isEmpty();
    }

    @Test
    void idleDocumentsPastRetentionReadAsAbsent() {
        ReputationStore service = service(settings());
        service.record(SENDER, Signal.CONNECTION);
        service.flush();
        clock.advance(settings().retention().plusMinutes(1));
        assertThat(service(settings()).lookup(ReputationKey.ofAddress(SENDER)).isKnown()).isFalse();
    }

    @Test
    void forgetDeletesTheRecordTheStatusAndUnwrittenUpdates() {
        ReputationStore service = service(settings().withIntervals(Duration.ofSeconds(30), Duration.ofSeconds(1)));
        ReputationKey key = ReputationKey.ofAddress(SENDER);
        service.record(SENDER, Signal.SPAM);
        service.flush();
        service.setStatus(key, ManualStatus.Value.BLOCK, null, Optional.empty(), "test");
        service.record(SENDER, Signal.SPAM);
        service.record(SENDER, Signal.MESSAGE_ACCEPTED);

        assertThat(service.forget(key)).isTrue();
        service.flush();

        assertThat(service.manualStatus(SENDER)).isEmpty();
        assertThat(service(settings()).lookup(key).isKnown()).isFalse();
        assertThat(service.forget(key)).isFalse();
    }

    @Test
    void indexesAreCreatedIdempotently() {
        ReputationRepository repository = new ReputationRepository(collection(), settings());
        repository.createIndexes();
        repository.createIndexes();
        List<Document> indexes = collection().listIndexes().into(new ArrayList<>());
        assertThat(indexes).anySatisfy(index -> {
            assertThat(index.getString("name")).isEqualTo("idle_ttl");
            assertThat(((Number) index.get("expireAfterSeconds")).longValue()).isZero();
        });
    }

    @Test
    void theBufferIsBoundedAndCountsWhatItDrops() {
        ReputationRepository repository = new ReputationRepository(collection(), settings());
        WriteBehindBuffer buffer = new WriteBehindBuffer(repository, settings().halfLife(), 3, clock);
        assertThat(buffer.record(ReputationKey.parse("192.0.2.1"), Signal.CONNECTION, 1)).isTrue();
        assertThat(buffer.record(ReputationKey.parse("192.0.2.2"), Signal.CONNECTION, 1)).isTrue();
        assertThat(buffer.record(ReputationKey.parse("192.0.2.3"), Signal.CONNECTION, 1)).isTrue();
        assertThat(buffer.record(ReputationKey.parse("192.0.2.4"), Signal.CONNECTION, 1)).isFalse();
        // A key already held keeps counting: that costs no memory.
        assertThat(buffer.record(ReputationKey.parse("192.0.2.1"), Signal.CONNECTION, 1)).isTrue();
        assertThat(buffer.dropped()).isEqualTo(1);
        buffer.flush((key, delta, batchId) -> { });
        assertThat(repository.load(ReputationKey.parse("192.0.2.1"), clock.instant()).tally().total(Signal.CONNECTION)).isEqualTo(2);
        assertThat(buffer.depth()).isZero();
    }
}
