package org.jamesshaping.store;

import java.io.Closeable;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.api.TimeMetric;
import org.bson.Document;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.scoring.SignalCounts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;

/**
 * The reputation store as the rest of the extension sees it.
 *
 * <p>Two kinds of callers, two rules. The SMTP path ({@link #sender}, {@link #manualStatus}, {@link #record})
 * never waits: it reads a bounded Caffeine cache refreshed in the background and the in-memory status table,
 * and writes to the {@link WriteBehindBuffer}. Operator calls ({@link #lookup}, {@link #top}, {@link #setStatus},
 * {@link #forget}) may block on MongoDB: they run on WebAdmin and JMX threads.</p>
 *
 * <p>A snapshot adds to MongoDB's record this server's deltas that the record cannot contain yet: those not
 * written, and those written after the record was read. So a sender's own server sees what speaks against it at
 * once and what speaks for it within a few flush intervals; every other server sees what speaks against it within
 * a flush plus a refresh interval.</p>
 */
public class ReputationStore implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(ReputationStore.class);
    private static final int TOP_SCAN_LIMIT = 10_000;
    private static final int MAX_CACHED_KEYS = 100_000;
    /** Addresses with signals for senders pending in one thread past which that thread hands them over itself. */
    static final int FOLD_ON_SMTP_PATH_AT = 8192;
    /** Scheduled flushes per move of the signals for senders into the buffer (see {@link #threadSums}). */
    static final int FLUSHES_PER_SIGNALS_FOR_SENDERS = 5;
    /** Addresses summed past which the sums move into the buffer at once (memory stays bounded under a flood). */
    private static final int MAX_SUMMED_ADDRESSES = 50_000;
    /** Keys re-read per query by the hot-key and returning-key reloads. */
    private static final int REFRESH_BATCH_KEYS = 1000;
    /**
     * How long keys read again after an idle spell gather before they are re-read together: senders come back in
     * bursts (after a network outage, at the start of a campaign), and one query for the burst costs the loader
     * threads far less than one per key. Short against the staleness it ends.
     */
    private static final long RETURNING_KEYS_GATHER_MILLIS = 20;
    /**
     * How often the store thread takes the sums SMTP threads keep: often enough that a taken map and its counts
     * are usually garbage before the next young collection, instead of being copied by several of them while
     * they wait for a flush.
     */
    private static final long TAKE_THREAD_SUMS_MILLIS = 100;
    /** The store thread's tick: when it takes the threads' sums and runs the tasks given to {@link #onEachTick}. */
    public static final Duration TICK = Duration.ofMillis(TAKE_THREAD_SUMS_MILLIS);

    /** An address's own record, its subnet's, and the operator status that applies to it, if any. */
    public static final class SenderView {
        private final ReputationSnapshot address;
        private final ReputationSnapshot subnet;
        private final Optional<StatusMatch> status;

        public SenderView(ReputationSnapshot address, ReputationSnapshot subnet, Optional<StatusMatch> status) {
            this.address = address;
            this.subnet = subnet;
            this.status = status;
        }

        public ReputationSnapshot address() {
            return address;
        }

        public ReputationSnapshot subnet() {
            return subnet;
        }

        public Optional<StatusMatch> status() {
            return status;
        }
    }

    /** A manual status and the key (address or CIDR) it was set on. */
    public static final class StatusMatch {
        private final ReputationKey key;
        private final ManualStatus status;

        public StatusMatch(ReputationKey key, ManualStatus status) {
            this.key = key;
            this.status = status;
        }

        public ReputationKey key() {
            return key;
        }

        public ManualStatus status() {
            return status;
        }
    }

    /**
     * The signals for senders one thread recorded and the store thread has not taken yet, summed per address as
     * they come: once its address is in, a clean session's signals are added to a sum and allocate nothing (one
     * queued entry per record used to wait up to 100 ms, and young collections copied them). Only its thread adds;
     * the store thread swaps the map for an empty one. The lock guards a map lookup and an add on one side, a
     * pointer swap on the other: uncontended almost always, and never held across anything slow.
     */
    private static final class ThreadSums {
        private final ReentrantLock lock = new ReentrantLock();
        private Map<InetAddress, SignalCounts> sums = new HashMap<>();
        final WeakReference<Thread> owner = new WeakReference<>(Thread.currentThread());

        /** Adds to the address's sum; how many addresses this thread has pending. */
        int add(InetAddress address, SignalCounts counts) {
            lock.lock();
            try {
                SignalCounts sum = sums.get(address);
                if (sum == null) {
                    sums.put(address, counts.copy());
                } else {
                    sum.addAll(counts);
                }
                return sums.size();
            } finally {
                lock.unlock();
            }
        }

        /** The sums so far, which the owner no longer touches; empty when there are none. */
        Map<InetAddress, SignalCounts> take() {
            lock.lock();
            try {
                if (sums.isEmpty()) {
                    return Map.of();
                }
                Map<InetAddress, SignalCounts> taken = sums;
                sums = new HashMap<>();
                return taken;
            } finally {
                lock.unlock();
            }
        }

        int addresses() {
            lock.lock();
            try {
                return sums.size();
            } finally {
                lock.unlock();
            }
        }

        /** Its thread has ended: nothing will be added any more (mailet thread pools come and go). */
        boolean abandoned() {
            Thread thread = owner.get();
            return thread == null || !thread.isAlive();
        }
    }

    /** A task of {@link #onEachTick}. */
    private static final class TickTask {
        final String what;
        final Runnable task;

        TickTask(String what, Runnable task) {
            this.what = what;
            this.task = task;
        }
    }

    /** A delta MongoDB has, stamped with the write sequence number at which it landed. */
    private static final class Written {
        final long sequence;
        final long atNanos;
        final Tally delta;
        final String batchId;

        Written(long sequence, long atNanos, Tally delta, String batchId) {
            this.sequence = sequence;
            this.atNanos = atNanos;
            this.delta = delta;
            this.batchId = batchId;
        }
    }

    /**
     * A record and the write sequence number when its read started: deltas written after that number may be
     * missing from it, unless the document lists their batch. A counter rather than a timestamp, so that ordering
     * does not depend on clock resolution (or on the injectable clock, which tests stop).
     */
    private static final class Loaded {
        final ReputationRecord record;
        final long sequence;
        /** The store clock's time when the read started, in epoch milliseconds: when this copy goes stale. */
        final long readAtMillis;

        Loaded(ReputationRecord record, long sequence, long readAtMillis) {
            this.record = record;
            this.sequence = sequence;
            this.readAtMillis = readAtMillis;
        }
    }

    private final StoreSettings settings;
    private final Clock clock;
    private final MongoClient client;
    private final ReputationRepository repository;
    private final WriteBehindBuffer buffer;
    private final ManualStatusTable statusTable = new ManualStatusTable();
    private final AsyncLoadingCache<ReputationKey, Loaded> cache;
    /**
     * An address's two keys, built once: parsing and rendering them costs more than everything else per event. A
     * plain map, emptied when it outgrows {@link #MAX_CACHED_KEYS}: keys are cheap to rebuild once, and reading a
     * plain map costs a fraction of a bounded cache's bookkeeping on every connection.
     */
    private final ConcurrentHashMap<InetAddress, ReputationKey[]> keys = new ConcurrentHashMap<>();
    /**
     * Signals that speak only for a sender (connections, accepted recipients and messages: what every clean mail
     * produces), on their way into the write-behind buffer, summed per address by each thread that records them
     * (the SMTP threads, the mailet threads) in sums of its own: adding touches no memory another SMTP thread
     * writes. The store thread takes the sums every {@value #TAKE_THREAD_SUMS_MILLIS} ms and moves them into the
     * buffer every {@value #FLUSHES_PER_SIGNALS_FOR_SENDERS} flushes ({@link #settleSignalsForSenders}). They
     * cannot make anyone look worse, so nothing needs to see them sooner, and a clean sender's record is written to
     * MongoDB once every few seconds instead of every second: what speaks against a sender still reaches the fleet
     * at the next flush.
     */
    private final List<ThreadSums> threadSums = new CopyOnWriteArrayList<>();
    private final ThreadLocal<ThreadSums> ownSums = ThreadLocal.withInitial(() -> {
        ThreadSums sums = new ThreadSums();
        threadSums.add(sums);
        return sums;
    });
    /** Sums per address of what was taken from the threads' sums, not yet in the buffer. Guarded by {@link #signalsLock}. */
    private final Map<InetAddress, SignalCounts> signalsForSendersSummed = new HashMap<>();
    private final ReentrantLock signalsLock = new ReentrantLock();
    /** Scheduled flushes since the sums last moved into the buffer; only read and written by flushes. */
    private int flushesSinceSignalsForSenders;
    private final AtomicLong writeSequence = new AtomicLong();
    private final ConcurrentHashMap<ReputationKey, Deque<Written>> recentlyWritten = new ConcurrentHashMap<>();
    /** Keys the SMTP path read since the last refresh round: re-read together, in one query, every interval. */
    private final Set<ReputationKey> hotKeys = ConcurrentHashMap.newKeySet();
    /** Cached keys read again after an idle spell, their copy stale: re-read together, at once (see {@link #cached}). */
    private final Set<ReputationKey> returningKeys = ConcurrentHashMap.newKeySet();
    /** Whether a re-read of {@link #returningKeys} is scheduled or running: at most one is. */
    private final AtomicBoolean returningKeysReload = new AtomicBoolean();
    /** Age past which a cached copy is re-read when read; hot keys are re-read every interval and never reach it. */
    private final long staleAfterMillis;
    /** See {@link #changes()}. */
    private final AtomicLong changes = new AtomicLong();
    private final List<TickTask> tickTasks = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService scheduler;
    /** Reads from MongoDB for the cache: keys not cached yet (through Caffeine) and returning keys. */
    private final ScheduledExecutorService loaders;
    private final Metric cacheHits;
    private final Metric cacheMisses;
    private final Metric mongoErrors;
    private final Metric droppedUpdates;
    private final MetricFactory metricFactory;
    private volatile boolean indexesCreated;

    public ReputationStore(StoreSettings settings, MetricFactory metricFactory, GaugeRegistry gaugeRegistry, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.client = MongoConnection.of(settings).open();
        MongoCollection<Document> collection = client.getDatabase(settings.database()).getCollection(ReputationRepository.COLLECTION);
        this.repository = new ReputationRepository(collection, settings);
        this.buffer = new WriteBehindBuffer(repository, settings.halfLife(), settings.bufferMaxKeys(), clock);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("shaping-store"));
        this.loaders = Executors.newScheduledThreadPool(2, daemon("shaping-cache"));
        // No refreshAfterWrite: Caffeine would reload key by key, one query each, on the loader threads. Hot keys
        // are re-read in bulk every interval (refreshHotKeys); keys read again after an idle spell, in bulk by
        // reloadReturningKeys.
        this.cache = Caffeine.newBuilder()
            .maximumSize(settings.cacheSize())
            .executor(loaders)
            .buildAsync(new RecordLoader());
        this.staleAfterMillis = settings.refreshInterval().multipliedBy(2).plusSeconds(1).toMillis();
        this.cacheHits = metricFactory.generate("shaping_cache_hits");
        this.cacheMisses = metricFactory.generate("shaping_cache_misses");
        this.mongoErrors = metricFactory.generate("shaping_mongo_errors");
        this.droppedUpdates = metricFactory.generate("shaping_dropped_updates");
        this.metricFactory = metricFactory;
        gaugeRegistry.register("shaping_writebehind_depth", buffer::depth);
        gaugeRegistry.register("shaping_status_entries", statusTable::size);

        // At start, before any background work: if MongoDB is down, the flusher retries until it succeeds.
        ensureIndexes();
        long flushMillis = settings.flushInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::flushQuietly, flushMillis, flushMillis, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(this::tick, TAKE_THREAD_SUMS_MILLIS, TAKE_THREAD_SUMS_MILLIS,
            TimeUnit.MILLISECONDS);
        long refreshMillis = settings.refreshInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::refreshStatusesQuietly, 0, refreshMillis, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(this::refreshHotKeys, refreshMillis, refreshMillis, TimeUnit.MILLISECONDS);
        LOGGER.info("Reputation store on {} database '{}': cache {} keys refreshed every {}, flush every {}, half-life {}",
            MongoConnection.redact(settings.mongoUri()), settings.database(), settings.cacheSize(), settings.refreshInterval(),
            settings.flushInterval(), settings.halfLife().duration());
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private final class RecordLoader implements AsyncCacheLoader<ReputationKey, Loaded> {
        @Override
        public CompletableFuture<Loaded> asyncLoad(ReputationKey key, Executor executor) {
            return CompletableFuture.supplyAsync(() -> {
                long sequence = writeSequence.get();
                long readAt = clock.millis();
                return new Loaded(loadFromMongo(Set.of(key)).get(key), sequence, readAt);
            }, executor).whenComplete((loaded, error) -> firstRead(loaded == null ? List.of() : List.of(loaded)));
        }

        @Override
        public CompletableFuture<? extends Map<? extends ReputationKey, ? extends Loaded>> asyncLoadAll(
                Set<? extends ReputationKey> keys, Executor executor) {
            return CompletableFuture.supplyAsync(() -> {
                long sequence = writeSequence.get();
                long readAt = clock.millis();
                return loadFromMongo(Set.copyOf(keys)).entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, entry -> new Loaded(entry.getValue(), sequence, readAt)));
            }, executor).whenComplete((loaded, error) -> firstRead(loaded == null ? List.of() : loaded.values()));
        }

        /**
         * Records read for the first time were judged as unknown until now: {@link #changes()} moves only if one
         * holds anything against its sender (a failed read brings nothing).
         */
        private void firstRead(Collection<? extends Loaded> copies) {
            if (copies.stream().anyMatch(copy -> copy.record.mayLookWorseThan(null))) {
                changes.incrementAndGet();
            }
        }
    }

    private Map<ReputationKey, ReputationRecord> loadFromMongo(Set<ReputationKey> keys) {
        try {
            return repository.load(keys, clock.instant());
        } catch (MongoException e) {
            mongoErrors.increment();
            throw e;
        }
    }

    // ---------------------------------------------------------------- SMTP path: never blocks

    /** What is known about a sender now. Starts a background read when its records are not cached yet. */
    public SenderView sender(InetAddress address) {
        Instant now = clock.instant();
        ReputationKey[] senderKeys = keysOf(address);
        return new SenderView(cached(senderKeys[0], now), cached(senderKeys[1], now), manualStatus(address));
    }

    /** The address's own key and its subnet's, built once per address (cached). */
    public ReputationKey[] keysOf(InetAddress address) {
        ReputationKey[] known = keys.get(address);
        if (known != null) {
            return known;
        }
        if (keys.size() >= MAX_CACHED_KEYS) {
            keys.clear();
        }
        ReputationKey[] built = {ReputationKey.ofAddress(address), ReputationKey.subnetOf(address)};
        keys.put(address, built);
        return built;
    }

    public Optional<StatusMatch> manualStatus(InetAddress address) {
        return statusTable.lookup(address, clock.instant()).map(entry -> new StatusMatch(entry.key, entry.status));
    }

    /**
     * A number that moves whenever a sender may have started to look worse to this server: a signal against a
     * sender recorded here, records read from MongoDB that hold more against a sender (or less for it) than the
     * copies they replace (what other servers wrote), an operator status set, removed or changed by a reload.
     * Signals for a sender do not move it, here or read from MongoDB. The shaper re-checks a connection's class
     * only when it moved.
     */
    public long changes() {
        return changes.get();
    }

    /** Counts a signal for the address and for its subnet. */
    public void record(InetAddress address, Signal signal) {
        record(address, signal, 1);
    }

    public void record(InetAddress address, Signal signal, long count) {
        record(address, new SignalCounts().add(signal, count));
    }

    /**
     * Counts several signals for the address and for its subnet: one update per key. Signals against a sender
     * reach the buffer (and this server's decisions) at once; signals only for a sender are summed in this
     * thread's sums, which the store thread takes (the caller may reuse {@code counts} afterwards).
     */
    public void record(InetAddress address, SignalCounts counts) {
        if (counts.isEmpty()) {
            return;
        }
        if (counts.onlyForSender()) {
            // A backstop for a store thread held up (a flush waiting on MongoDB): the sums stay bounded.
            if (ownSums.get().add(address, counts) >= FOLD_ON_SMTP_PATH_AT) {
                settleSignalsForSenders(false, false);
            }
            return;
        }
        recordInBuffer(address, counts);
        changes.incrementAndGet();
    }

    /** Threads with sums of signals for senders, for tests. */
    int threadSumsCount() {
        return threadSums.size();
    }

    /** Addresses with signals for senders in the threads' sums, not yet taken, for tests. */
    int addressesInThreadSums() {
        return threadSums.stream().mapToInt(ThreadSums::addresses).sum();
    }

    private void recordInBuffer(InetAddress address, SignalCounts counts) {
        for (ReputationKey key : keysOf(address)) {
            if (!buffer.record(key, counts)) {
                droppedUpdates.increment();
            }
        }
    }

    /**
     * Takes the threads' sums of signals for senders and adds them up per address and, with {@code intoBuffer}
     * (or once the sums cover {@value #MAX_SUMMED_ADDRESSES} addresses), moves them into the write-behind buffer.
     * Without {@code wait} (the SMTP path) it returns at once when another thread is at it, which then takes what
     * is there; the lock is never held across anything but this in-memory work.
     */
    void settleSignalsForSenders(boolean intoBuffer, boolean wait) {
        if (wait) {
            signalsLock.lock();
        } else if (!signalsLock.tryLock()) {
            return;
        }
        try {
            for (ThreadSums sums : threadSums) {
                // Checked before taking: a thread that has ended adds nothing more, so nothing is left behind.
                boolean abandoned = sums.abandoned();
                sums.take().forEach((address, counts) -> {
                    SignalCounts sum = signalsForSendersSummed.putIfAbsent(address, counts);
                    if (sum != null) {
                        sum.addAll(counts);
                    }
                });
                if (abandoned) {
                    threadSums.remove(sums);
                }
            }
            if (intoBuffer || signalsForSendersSummed.size() >= MAX_SUMMED_ADDRESSES) {
                signalsForSendersSummed.forEach(this::recordInBuffer);
                signalsForSendersSummed.clear();
            }
        } finally {
            signalsLock.unlock();
        }
    }

    private ReputationSnapshot cached(ReputationKey key, Instant now) {
        hotKeys.add(key);
        CompletableFuture<Loaded> future = cache.getIfPresent(key);
        if (future == null) {
            cacheMisses.increment();
            future = cache.get(key);
        } else {
            cacheHits.increment();
        }
        Loaded loaded = completed(future);
        if (loaded == null) {
            return snapshot(key, null, -1, now);
        }
        if (now.toEpochMilli() - loaded.readAtMillis > staleAfterMillis) {
            // Served stale this once, as Caffeine's refresh-on-access would; fresh within milliseconds.
            reloadSoon(key);
        }
        return snapshot(key, loaded.record, loaded.sequence, now);
    }

    private void reloadSoon(ReputationKey key) {
        if (returningKeys.add(key)) {
            scheduleReturningKeysReload();
        }
    }

    /** Schedules {@link #reloadReturningKeys} unless it is already scheduled or running. */
    private void scheduleReturningKeysReload() {
        if (returningKeysReload.compareAndSet(false, true)) {
            loaders.schedule(this::reloadReturningKeys, RETURNING_KEYS_GATHER_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private ReputationSnapshot snapshot(ReputationKey key, ReputationRecord record, long loadSequence, Instant now) {
        List<Tally> parts = new ArrayList<>(3);
        if (record != null) {
            parts.add(record.tally());
        }
        Deque<Written> written = recentlyWritten.get(key);
        if (written != null) {
            synchronized (written) {
                // Written after the read began, and not among the batches the document says it applied.
                for (Written entry : written) {
                    if (entry.sequence > loadSequence && (record == null || !record.hasApplied(entry.batchId))) {
                        parts.add(entry.delta);
                    }
                }
            }
        }
        Tally unwritten = buffer.unwritten(key);
        if (unwritten != null) {
            parts.add(unwritten);
        }
        return new ReputationSnapshot(key, parts, settings.halfLife(), now, record != null);
    }

    // ---------------------------------------------------------------- background work

    /** Writes everything held now, signals for senders included. Run at stop; tests call it directly. */
    public WriteBehindBuffer.FlushResult flush() {
        return flush(true);
    }

    /**
     * Writes buffered deltas. Runs on the store thread every flush interval, which moves the signals for senders
     * into the buffer every {@value #FLUSHES_PER_SIGNALS_FOR_SENDERS} times only.
     */
    private synchronized WriteBehindBuffer.FlushResult flush(boolean allSignalsForSenders) {
        TimeMetric timer = metricFactory.timer("shaping_flush");
        try {
            boolean moveSignalsForSenders = allSignalsForSenders || ++flushesSinceSignalsForSenders >= FLUSHES_PER_SIGNALS_FOR_SENDERS;
            if (moveSignalsForSenders) {
                flushesSinceSignalsForSenders = 0;
            }
            settleSignalsForSenders(moveSignalsForSenders, true);
            WriteBehindBuffer.FlushResult result = buffer.flush(this::rememberWritten);
            if (result.failed) {
                mongoErrors.increment();
            }
            return result;
        } finally {
            timer.stopAndPublish();
            pruneRecentlyWritten();
        }
    }

    private void rememberWritten(ReputationKey key, Tally delta, String batchId) {
        Written written = new Written(writeSequence.incrementAndGet(), System.nanoTime(), delta, batchId);
        Deque<Written> deque = recentlyWritten.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (deque) {
            deque.addLast(written);
        }
    }

    private void pruneRecentlyWritten() {
        // Past a few refresh intervals a cached record that is read has been re-read; older deltas are in it.
        long horizon = System.nanoTime() - settings.refreshInterval().multipliedBy(3).plus(Duration.ofSeconds(1)).toNanos();
        recentlyWritten.forEach((key, deque) -> {
            synchronized (deque) {
                while (!deque.isEmpty() && deque.peekFirst().atNanos - horizon < 0) {
                    deque.pollFirst();
                }
            }
        });
        recentlyWritten.entrySet().removeIf(entry -> {
            synchronized (entry.getValue()) {
                return entry.getValue().isEmpty();
            }
        });
    }

    /** The store thread's tick: takes the threads' sums, then runs the tasks of {@link #onEachTick}. */
    private void tick() {
        try {
            settleSignalsForSenders(false, true);
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again.
            LOGGER.warn("Could not take the threads' sums of reputation signals", e);
        }
        for (TickTask task : tickTasks) {
            try {
                task.task.run();
            } catch (RuntimeException e) {
                LOGGER.warn("Could not {}", task.what, e);
            }
        }
    }

    private void flushQuietly() {
        try {
            ensureIndexes();
            flush(false);
        } catch (RuntimeException e) {
            LOGGER.warn("Reputation flush failed", e);
        }
    }

    /** Reloads every manual status. Runs on the store thread every refresh interval; tests call it directly. */
    public void refreshStatuses() {
        long version = statusTable.version();
        List<ReputationRecord> records;
        try {
            records = repository.withStatus(clock.instant());
        } catch (MongoException e) {
            mongoErrors.increment();
            throw e;
        }
        if (statusTable.replaceAll(records, version)) {
            changes.incrementAndGet();
        }
    }

    /**
     * Re-reads, in one bulk query, every cached key the SMTP path used during the last interval, so that what
     * another server wrote reaches this one's decisions within a flush plus a refresh interval. Keys not read for
     * longer are re-read when they come back ({@link #reloadReturningKeys}).
     */
    private void refreshHotKeys() {
        if (hotKeys.isEmpty()) {
            return;
        }
        List<ReputationKey> keysToRefresh = new ArrayList<>(hotKeys);
        hotKeys.removeAll(keysToRefresh);
        reload(keysToRefresh, "hot");
    }

    /**
     * Re-reads, in one bulk query, the cached keys read again after an idle spell (older than two refresh
     * intervals), gathered for {@value #RETURNING_KEYS_GATHER_MILLIS} ms. Runs on a loader thread.
     */
    private void reloadReturningKeys() {
        List<ReputationKey> keysToReload = new ArrayList<>(returningKeys);
        try {
            reload(keysToReload, "returning");
        } finally {
            // Keys stay in the set until their fresh copy is cached, so that reads meanwhile do not queue them again.
            returningKeys.removeAll(keysToReload);
            returningKeysReload.set(false);
            if (!returningKeys.isEmpty()) {
                // Keys queued while this ran found a reload in flight and did not schedule one.
                scheduleReturningKeysReload();
            }
        }
    }

    /** Reads the keys from MongoDB, up to {@value #REFRESH_BATCH_KEYS} per query, into the cache. */
    private void reload(List<ReputationKey> keysToReload, String which) {
        boolean mayLookWorse = false;
        // Read here rather than through the cache's refreshAll, which reloads (and queries) key by key.
        for (int from = 0; from < keysToReload.size(); from += REFRESH_BATCH_KEYS) {
            Set<ReputationKey> batch = Set.copyOf(keysToReload.subList(from, Math.min(keysToReload.size(), from + REFRESH_BATCH_KEYS)));
            long sequence = writeSequence.get();
            long readAt = clock.millis();
            Map<ReputationKey, ReputationRecord> records;
            try {
                records = loadFromMongo(batch);
            } catch (MongoException e) {
                LOGGER.debug("Could not re-read {} {} cached reputation keys", keysToReload.size() - from, which, e);
                break;
            } catch (RuntimeException e) {
                // Not thrown out: on the store thread it would cancel the periodic refresh for good.
                LOGGER.warn("Could not re-read {} {} cached reputation keys", keysToReload.size() - from, which, e);
                break;
            }
            for (ReputationKey key : batch) {
                ReputationRecord fresh = records.get(key);
                mayLookWorse |= fresh.mayLookWorseThan(cachedRecord(key));
                cache.put(key, CompletableFuture.completedFuture(new Loaded(fresh, sequence, readAt)));
            }
        }
        // Hot keys are re-read every interval: most re-reads only bring more signals for their senders, and ending
        // the shaper's reuse of decisions for them would re-decide every sender on the SMTP path for nothing.
        if (mayLookWorse) {
            changes.incrementAndGet();
        }
    }

    /** The record cached for a key, or null when none is (or its read has not completed, or failed). */
    private ReputationRecord cachedRecord(ReputationKey key) {
        Loaded loaded = completed(cache.getIfPresent(key));
        return loaded == null ? null : loaded.record;
    }

    /** A cached read's result, or null while it runs or when it failed. */
    private static Loaded completed(CompletableFuture<Loaded> future) {
        return future != null && future.isDone() && !future.isCompletedExceptionally() ? future.getNow(null) : null;
    }

    private void refreshStatusesQuietly() {
        try {
            refreshStatuses();
        } catch (MongoException e) {
            LOGGER.debug("Could not reload manual statuses; keeping the {} held", statusTable.size(), e);
        } catch (RuntimeException e) {
            LOGGER.warn("Could not reload manual statuses", e);
        }
    }

    private void ensureIndexes() {
        if (!indexesCreated) {
            try {
                repository.createIndexes();
                indexesCreated = true;
            } catch (MongoException e) {
                mongoErrors.increment();
                LOGGER.warn("Could not create reputation indexes yet ({}); will retry", e.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------- operator calls: may block

    /** An address's (or network's) record read from MongoDB, with this server's unwritten deltas. */
    public ReputationSnapshot lookup(ReputationKey key) {
        settleSignalsForSenders(true, true);
        Instant now = clock.instant();
        long sequence = writeSequence.get();
        ReputationRecord record = loadFromMongo(Set.of(key)).get(key);
        return snapshot(key, record, sequence, now);
    }

    public Optional<StatusMatch> statusOf(ReputationKey key) {
        Instant now = clock.instant();
        return statusTable.exact(key, now).map(entry -> new StatusMatch(entry.key, entry.status));
    }

    /** The effective status for a key: for an address, the most specific entry containing it. */
    public Optional<StatusMatch> effectiveStatus(ReputationKey key) {
        if (key.isSingleAddress()) {
            return manualStatus(ReputationKey.parseAddress(key.id()));
        }
        return statusOf(key);
    }

    /** The worst-scored live records, from the {@value #TOP_SCAN_LIMIT} most recently seen. */
    public List<ReputationSnapshot> top(int limit, Comparator<ReputationSnapshot> order) {
        settleSignalsForSenders(true, true);
        Instant now = clock.instant();
        List<ReputationRecord> records;
        long sequence = writeSequence.get();
        try {
            records = repository.recentlySeen(TOP_SCAN_LIMIT, now);
        } catch (MongoException e) {
            mongoErrors.increment();
            throw e;
        }
        return records.stream()
            .map(record -> snapshot(record.key(), record, sequence, now))
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
        Instant now = clock.instant();
        ManualStatus status = new ManualStatus(value, pinnedClass, reason, now, ttl.map(now::plus), setBy);
        try {
            repository.setStatus(key, status);
        } catch (MongoException e) {
            mongoErrors.increment();
            throw e;
        }
        statusTable.put(key, status);
        changes.incrementAndGet();
        LOGGER.info("Reputation status of {} set to {}{} by {} ({}){}", key, value.asString(),
            status.pinnedClass().map(level -> " class " + level).orElse(""), setBy, status.reason(),
            status.expiresAt().map(at -> " until " + at).orElse(""));
        return status;
    }

    /** Deletes everything known about a key, including updates not yet written. */
    public boolean forget(ReputationKey key) {
        boolean existed;
        try {
            existed = repository.forget(key);
        } catch (MongoException e) {
            mongoErrors.increment();
            throw e;
        }
        boolean hadStatus = statusTable.exact(key, clock.instant()).isPresent();
        statusTable.remove(key);
        changes.incrementAndGet();
        cache.synchronous().invalidate(key);
        recentlyWritten.remove(key);
        settleSignalsForSenders(true, true);
        buffer.discard(key);
        LOGGER.info("Reputation of {} forgotten", key);
        return existed || hadStatus;
    }

    public Instant now() {
        return clock.instant();
    }

    /**
     * Runs {@code task} ({@code what} it does, for the log) on the store thread at each {@link #TICK} until
     * {@link #close}: for short in-memory work the SMTP path should find done, on the wake-up the thread has
     * anyway. The thread also talks to MongoDB, so a run may come late, never twice at once. A task that throws
     * is logged and keeps its place.
     */
    public void onEachTick(String what, Runnable task) {
        tickTasks.add(new TickTask(what, task));
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

    @Override
    public void close() {
        scheduler.shutdown();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
            WriteBehindBuffer.FlushResult last = flush();
            if (last.keysWaiting > 0) {
                LOGGER.warn("Stopping with {} reputation updates not written to MongoDB", last.keysWaiting);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOGGER.warn("Final reputation flush failed", e);
        } finally {
            loaders.shutdownNow();
            client.close();
        }
    }
}
