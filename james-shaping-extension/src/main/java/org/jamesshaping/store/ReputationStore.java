package org.jamesshaping.store;

import java.io.Closeable;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.bson.Document;
import org.jamesshaping.runtime.DaemonThreads;
import org.jamesshaping.runtime.Scheduler;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.scoring.SignalCounts;
import org.jamesshaping.scoring.Standing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;

/**
 * The reputation store as the rest of the extension sees it, over its parts: the {@link RecordCache}, this server's
 * {@link LocalDeltas}, the {@link SenderSums}, the {@link WriteBehindBuffer}, the {@link ReputationRepository} and the
 * {@link ManualStatusTable}.
 *
 * <p>Two kinds of callers, two rules. The SMTP path ({@link #sender}, {@link #manualStatus}, {@link #record}) never
 * waits: it reads memory and writes to memory. Operator calls ({@link #lookup}, {@link #top}, {@link #setStatus},
 * {@link #forget}) may block on MongoDB: they run on WebAdmin and JMX threads. A sender's own server sees what speaks
 * against it at once and what speaks for it within a few flush intervals; every other server sees what speaks
 * against it within a flush plus a refresh interval.</p>
 */
public class ReputationStore implements SenderReputation, Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(ReputationStore.class);
    private static final int TOP_SCAN_LIMIT = 10_000;
    /** Addresses whose three keys are kept built; past it the map is emptied (keys are cheap to build once). */
    private static final int MAX_CACHED_KEYS = 100_000;

    private final StoreSettings settings;
    private final Clock clock;
    private final MongoClient client;
    private final ReputationRepository repository;
    private final WriteBehindBuffer buffer;
    private final LocalDeltas deltas;
    private final RecordCache cache;
    private final SenderSums senderSums;
    private final OperatorStatuses statuses;
    /** An address's three keys, built once: parsing and rendering them costs more than everything else per event. */
    private final ConcurrentHashMap<InetAddress, ReputationKey[]> keys = new ConcurrentHashMap<>();
    private final AtomicLong changes = new AtomicLong();
    private final FlushCycle flushes;
    private final Metric mongoErrors;
    private final Metric droppedUpdates;
    private final ScheduledExecutorService migration;

    public ReputationStore(StoreSettings settings, Scheduler scheduler, MetricFactory metricFactory, GaugeRegistry gauges, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.mongoErrors = metricFactory.generate("shaping_mongo_errors");
        this.droppedUpdates = metricFactory.generate("shaping_dropped_updates");
        this.client = MongoConnection.of(settings).open();
        MongoCollection<Document> collection = client.getDatabase(settings.database()).getCollection(ReputationRepository.COLLECTION);
        this.repository = new ReputationRepository(collection, settings);
        this.buffer = new WriteBehindBuffer(repository, settings.halfLife(), settings.bufferMaxKeys(), clock, droppedUpdates::increment);
        this.deltas = new LocalDeltas(buffer, settings.halfLife(), settings.refreshInterval());
        this.cache = new RecordCache(repository, deltas, settings, clock, changes::incrementAndGet,
            metricFactory.generate("shaping_cache_hits"), metricFactory.generate("shaping_cache_misses"),
            metricFactory.generate("shaping_cache_loads_refused"), mongoErrors);
        this.senderSums = new SenderSums(this::recordInBuffer);
        this.statuses = new OperatorStatuses(repository, clock, changes::incrementAndGet, settings.statusCopy().map(StatusCopy::new));
        this.flushes = new FlushCycle(repository, buffer, deltas, senderSums, metricFactory, mongoErrors);
        gauges.register("shaping_writebehind_depth", buffer::depth);
        gauges.register("shaping_writebehind_evicted", buffer::evicted);
        gauges.register("shaping_dropped_updates_against_senders", buffer::droppedAgainstSenders);
        gauges.register("shaping_status_entries", statuses::size);
        gauges.register("shaping_cache_load_queue", cache::loadQueueDepth);
        gauges.register("shaping_sender_sums_addresses", senderSums::pendingAddresses);
        gauges.register("shaping_sender_sums_threads", senderSums::threads);

        // Before any background work: if MongoDB is down, the flushes retry until it is back.
        flushes.ensureIndexes();
        this.migration = startHalfLifeMigration(new HalfLifeMigration(collection,
            client.getDatabase(settings.database()).getCollection(HalfLifeMigration.META_COLLECTION), settings.halfLife(), clock));
        Duration flush = settings.flushInterval();
        Duration refresh = settings.refreshInterval();
        scheduler.onEachTick("take the threads' sums of reputation signals", () -> senderSums.settle(false, true));
        scheduler.every(flush, flush, "write reputation updates", flushes::scheduled);
        scheduler.every(refresh, Duration.ZERO, "reload manual statuses", this::refreshStatusesQuietly);
        scheduler.every(refresh, refresh, "re-read the reputation keys in use", cache::refreshHotKeys);
        LOGGER.info("Reputation store on {} database '{}': cache {} keys refreshed every {}, flush every {}, half-life {}",
            MongoConnection.redact(settings.mongoUri()), settings.database(), settings.cacheSize(), refresh, flush,
            settings.halfLife().duration());
    }

    /**
     * Carries decayed history over a change of decay.half.life, on a thread of its own (it reads every document
     * once): retried every minute while MongoDB is away, then the thread ends.
     */
    private static ScheduledExecutorService startHalfLifeMigration(HalfLifeMigration halfLifeMigration) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("shaping-half-life"));
        executor.scheduleWithFixedDelay(() -> {
            try {
                halfLifeMigration.runIfNeeded();
                executor.shutdown();
            } catch (MongoException e) {
                LOGGER.warn("Cannot check the stored decay half-life yet ({}); retrying in a minute", e.getMessage());
            } catch (RuntimeException e) {
                LOGGER.error("Decay half-life migration failed; decayed counters of another half-life are still read "
                    + "at their own half-life", e);
                executor.shutdown();
            }
        }, 0, 60, TimeUnit.SECONDS);
        return executor;
    }

    // ---------------------------------------------------------------- SMTP path: never blocks

    @Override
    public SenderView sender(InetAddress address) {
        Instant now = clock.instant();
        ReputationKey[] senderKeys = keysOf(address);
        return new SenderView(cache.snapshot(senderKeys[0], now), cache.snapshot(senderKeys[1], now), cache.snapshot(senderKeys[2], now),
            manualStatus(address));
    }

    /**
     * The address's own key, its subnet's and its wide network's, built once per address. Signals go to the first
     * two; the wide network counts only subnets' standings ({@link #standingChanged}).
     */
    public ReputationKey[] keysOf(InetAddress address) {
        ReputationKey[] known = keys.get(address);
        if (known != null) {
            return known;
        }
        if (keys.size() >= MAX_CACHED_KEYS) {
            keys.clear();
        }
        ReputationKey[] built = {ReputationKey.ofAddress(address), ReputationKey.subnetOf(address), ReputationKey.wideOf(address)};
        keys.put(address, built);
        return built;
    }

    /** The most specific operator status covering the address, if any. */
    public Optional<StatusMatch> manualStatus(InetAddress address) {
        return statuses.covering(address);
    }

    @Override
    public long changes() {
        return changes.get();
    }

    public void record(InetAddress address, Signal signal) {
        record(address, new SignalCounts().add(signal));
    }

    public void record(InetAddress address, Signal signal, long count) {
        record(address, new SignalCounts().add(signal, count));
    }

    /**
     * Counts signals for the address and for its subnet. What speaks against a sender reaches the buffer (and this
     * server's decisions) at once; what speaks only for it is summed per thread. The caller may reuse {@code counts}.
     */
    public void record(InetAddress address, SignalCounts counts) {
        if (counts.isEmpty()) {
            return;
        }
        if (counts.onlyForSender()) {
            senderSums.add(address, counts);
            return;
        }
        recordInBuffer(address, counts);
        changes.incrementAndGet();
    }

    @Override
    public void standingChanged(ReputationKey address, Standing before, Standing now) {
        ReputationKey network = address.countedIn();
        if (network == null) {
            return;
        }
        SignalCounts delta = now.networkDeltaFrom(before);
        buffer.record(network, delta);
        if (!delta.onlyForSender()) {
            changes.incrementAndGet();
        }
    }

    @Override
    public Duration halfLife() {
        return settings.halfLife().duration();
    }

    private void recordInBuffer(InetAddress address, SignalCounts counts) {
        ReputationKey[] senderKeys = keysOf(address);
        // The address and its subnet: the wide network keeps standings only.
        for (int i = 0; i < 2; i++) {
            buffer.record(senderKeys[i], counts);
        }
    }

    // ---------------------------------------------------------------- background work

    /** Writes everything held now, signals for senders included; as at stop. */
    public WriteBehindBuffer.FlushResult flush() {
        return flushes.flush(true);
    }

    /** Reloads every operator status from MongoDB now; the store thread does it every refresh interval. */
    public void refreshStatuses() {
        mongo(() -> {
            statuses.reload();
            return null;
        });
    }

    /** The store thread's reload: keeps what is held when MongoDB cannot be read. */
    void refreshStatusesQuietly() {
        try {
            refreshStatuses();
        } catch (MongoException e) {
            LOGGER.debug("Could not reload manual statuses; keeping the {} held", statuses.size(), e);
        }
    }

    // ---------------------------------------------------------------- operator calls: may block

    /** An address's (or network's) record read from MongoDB, with this server's deltas it lacks. */
    public ReputationSnapshot lookup(ReputationKey key) {
        senderSums.settle(true, true);
        return cache.readNow(key, clock.instant());
    }

    /** Every operator status in force, as MongoDB holds them for the fleet (not only this server's copy). */
    public List<StatusMatch> activeStatuses() {
        Instant now = clock.instant();
        return mongo(() -> repository.withStatus(now)).stream()
            .flatMap(record -> record.status().filter(status -> status.isActiveAt(now))
                .map(status -> new StatusMatch(record.key(), status)).stream())
            .collect(Collectors.toList());
    }

    /** The status set on exactly this key. */
    public Optional<StatusMatch> statusOf(ReputationKey key) {
        return statuses.exact(key);
    }

    /** The status that applies to a key: for an address, the most specific entry containing it. */
    public Optional<StatusMatch> effectiveStatus(ReputationKey key) {
        return key.isSingleAddress() ? manualStatus(ReputationKey.parseAddress(key.id())) : statusOf(key);
    }

    /** The live records in {@code order}, from the {@value #TOP_SCAN_LIMIT} most recently seen. */
    public List<ReputationSnapshot> top(int limit, Comparator<ReputationSnapshot> order) {
        senderSums.settle(true, true);
        Instant now = clock.instant();
        long sequence = deltas.sequence();
        return mongo(() -> repository.recentlySeen(TOP_SCAN_LIMIT, now)).stream()
            .map(record -> deltas.snapshot(record.key(), record, sequence, now))
            .sorted(order)
            .limit(limit)
            .collect(Collectors.toList());
    }

    public ManualStatus setStatus(ReputationKey key, ManualStatus.Value value, String reason, Optional<Duration> ttl, String setBy) {
        return setStatus(key, value, -1, reason, ttl, setBy);
    }

    /** Sets an operator status; {@code pinnedClass} is only for {@link ManualStatus.Value#PIN}. */
    public ManualStatus setStatus(ReputationKey key, ManualStatus.Value value, int pinnedClass, String reason,
                                  Optional<Duration> ttl, String setBy) {
        return mongo(() -> statuses.set(key, value, pinnedClass, reason, ttl, setBy));
    }

    /** Sets many operator statuses at once (an import): one bulk write, one rebuild of the status table. */
    public void setStatuses(Map<ReputationKey, ManualStatus> entries, String setBy) {
        mongo(() -> {
            statuses.setAll(entries, setBy);
            return null;
        });
    }

    /** Deletes everything known about a key, updates not yet written included. */
    public boolean forget(ReputationKey key) {
        boolean existed = flushes.forget(key);
        boolean hadStatus = statuses.remove(key);
        cache.invalidate(key);
        LOGGER.info("Reputation of {} forgotten", key);
        return existed || hadStatus;
    }

    private <T> T mongo(Supplier<T> call) {
        try {
            return call.get();
        } catch (MongoException e) {
            mongoErrors.increment();
            throw e;
        }
    }

    public StoreSettings settings() {
        return settings;
    }

    public int bufferDepth() {
        return buffer.depth();
    }

    public long droppedUpdates() {
        return buffer.dropped();
    }

    /** Since when updates are held in memory because MongoDB refused them; empty when none are. */
    public Optional<Instant> writesHeldSince() {
        return buffer.heldSince();
    }

    /** Asks MongoDB for a {@code ping}, as the health check does; throws the driver's exception when unreachable. */
    public void ping() {
        mongo(() -> client.getDatabase(settings.database()).runCommand(new Document("ping", 1)));
    }

    /** Writes what is still held and closes the client; stop the {@link Scheduler} first. */
    @Override
    public void close() {
        try {
            WriteBehindBuffer.FlushResult last = flush();
            if (last.keysWaiting > 0) {
                LOGGER.warn("Stopping with {} reputation updates not written to MongoDB", last.keysWaiting);
            }
        } catch (RuntimeException e) {
            LOGGER.warn("Final reputation flush failed", e);
        } finally {
            migration.shutdownNow();
            cache.close();
            client.close();
        }
    }
}
