package org.jamesshaping.store;

import java.io.Closeable;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.apache.james.metrics.api.Metric;
import org.jamesshaping.runtime.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.mongodb.MongoException;

/**
 * The records the SMTP path reads, cached in a bounded Caffeine cache and read from MongoDB in the background, so
 * that the SMTP path never waits: a key not cached yet is judged as unknown until its read completes. Keys not cached
 * yet are read in batches from a bounded queue ({@code cache.load.queue}): past it, a sender is judged unknown.
 *
 * <p>No per-key refresh: Caffeine would reload key by key, one query each. Keys the SMTP path used during an
 * interval are re-read together every interval ({@link #refreshHotKeys}); keys read again after an idle spell, whose
 * copy is stale, are gathered for a few milliseconds and re-read together too (senders come back in bursts).</p>
 */
final class RecordCache implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(RecordCache.class);
    /** Keys re-read per query. */
    private static final int REFRESH_BATCH_KEYS = 1000;
    /** How long returning keys gather before one query reads them: short against the staleness it ends. */
    private static final long RETURNING_KEYS_GATHER_MILLIS = 20;
    /** Queries reading misses at once, each on a loader thread; one more thread re-reads cached keys. */
    private static final int MAX_MISS_QUERIES = 2;

    /** A record and the write sequence when its read started ({@link LocalDeltas}); when the read started. */
    private static final class Loaded {
        final ReputationRecord record;
        final long sequence;
        final long readAtMillis;

        Loaded(ReputationRecord record, long sequence, long readAtMillis) {
            this.record = record;
            this.sequence = sequence;
            this.readAtMillis = readAtMillis;
        }
    }

    private final ReputationRepository repository;
    private final LocalDeltas deltas;
    private final Clock clock;
    private final Runnable mayLookWorse;
    private final Metric hits;
    private final Metric misses;
    private final Metric mongoErrors;
    private final ScheduledExecutorService loaders =
        Executors.newScheduledThreadPool(MAX_MISS_QUERIES + 1, DaemonThreads.named("shaping-cache"));
    private final BlockingQueue<Miss> missQueue;
    private final AtomicInteger missQueries = new AtomicInteger();
    private final Metric loadsRefused;
    private final AsyncLoadingCache<ReputationKey, Loaded> cache;
    /** Age past which a copy is re-read when read; hot keys are re-read every interval and never reach it. */
    private final long staleAfterMillis;
    private final Set<ReputationKey> hotKeys = ConcurrentHashMap.newKeySet();
    private final Set<ReputationKey> returningKeys = ConcurrentHashMap.newKeySet();
    /** Whether a re-read of {@link #returningKeys} is scheduled or running: at most one is. */
    private final AtomicBoolean returningKeysReload = new AtomicBoolean();

    /** @param mayLookWorse told when a read brings a record that may make its sender look worse than the copy it replaces */
    RecordCache(ReputationRepository repository, LocalDeltas deltas, StoreSettings settings, Clock clock, Runnable mayLookWorse,
                Metric hits, Metric misses, Metric loadsRefused, Metric mongoErrors) {
        this.loadsRefused = loadsRefused;
        this.missQueue = new ArrayBlockingQueue<>(settings.cacheLoadQueue());
        this.repository = repository;
        this.deltas = deltas;
        this.clock = clock;
        this.mayLookWorse = mayLookWorse;
        this.hits = hits;
        this.misses = misses;
        this.mongoErrors = mongoErrors;
        this.staleAfterMillis = settings.refreshInterval().multipliedBy(2).plusSeconds(1).toMillis();
        this.cache = Caffeine.newBuilder().maximumSize(settings.cacheSize()).executor(loaders).buildAsync(new Loader());
    }

    /** A key not cached yet, waiting to be read, and the future the cache holds for it meanwhile. */
    private static final class Miss {
        final ReputationKey key;
        final CompletableFuture<Loaded> future;

        Miss(ReputationKey key, CompletableFuture<Loaded> future) {
            this.key = key;
            this.future = future;
        }
    }

    /**
     * Misses go to a bounded queue, read by at most {@value #MAX_MISS_QUERIES} queries at a time of up to
     * {@value #REFRESH_BATCH_KEYS} keys each: under a burst of new senders, keys gather while a query runs and the next
     * reads them together. A key refused by a full queue is judged unknown, and asked for again when next read.
     */
    private final class Loader implements AsyncCacheLoader<ReputationKey, Loaded> {
        @Override
        public CompletableFuture<Loaded> asyncLoad(ReputationKey key, Executor executor) {
            CompletableFuture<Loaded> future = new CompletableFuture<>();
            if (!missQueue.offer(new Miss(key, future))) {
                loadsRefused.increment();
                // Cancelled: Caffeine drops the entry without logging, so the next read of the key asks again.
                future.cancel(false);
                return future;
            }
            startMissQuery();
            return future;
        }
    }

    private void startMissQuery() {
        while (true) {
            int running = missQueries.get();
            if (running >= MAX_MISS_QUERIES) {
                return;
            }
            if (missQueries.compareAndSet(running, running + 1)) {
                loaders.execute(this::readMisses);
                return;
            }
        }
    }

    /** Reads queued misses, a batch per query, until none is left. */
    private void readMisses() {
        try {
            List<Miss> batch = new ArrayList<>();
            while (missQueue.drainTo(batch, REFRESH_BATCH_KEYS) > 0) {
                readMissBatch(batch);
                batch.clear();
            }
        } finally {
            missQueries.decrementAndGet();
            // A miss queued while this query was ending found the queries all running and started none.
            if (!missQueue.isEmpty()) {
                startMissQuery();
            }
        }
    }

    private void readMissBatch(List<Miss> batch) {
        Map<ReputationKey, Loaded> loaded;
        try {
            loaded = read(batch.stream().map(miss -> miss.key).collect(Collectors.toSet()));
        } catch (RuntimeException e) {
            LOGGER.debug("Could not read {} reputation keys not cached yet", batch.size(), e);
            batch.forEach(miss -> miss.future.cancel(false));
            return;
        }
        batch.forEach(miss -> miss.future.complete(loaded.get(miss.key)));
        firstRead(loaded.values());
    }

    /** Records read for the first time were judged as unknown until now: only one holding anything against its sender matters. */
    private void firstRead(Collection<? extends Loaded> copies) {
        if (copies.stream().anyMatch(copy -> copy.record.mayLookWorseThan(null))) {
            mayLookWorse.run();
        }
    }

    private Map<ReputationKey, Loaded> read(Set<ReputationKey> keys) {
        long sequence = deltas.sequence();
        long readAt = clock.millis();
        return load(keys).entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, entry -> new Loaded(entry.getValue(), sequence, readAt)));
    }

    /** Reads the keys from MongoDB now; may block. */
    Map<ReputationKey, ReputationRecord> load(Set<ReputationKey> keys) {
        try {
            return repository.load(keys, clock.instant());
        } catch (MongoException e) {
            mongoErrors.increment();
            throw e;
        }
    }

    /** What is known about a key now, without waiting; starts a background read when the key is not cached. */
    ReputationSnapshot snapshot(ReputationKey key, Instant now) {
        hotKeys.add(key);
        CompletableFuture<Loaded> future = cache.getIfPresent(key);
        if (future == null) {
            misses.increment();
            future = cache.get(key);
        } else {
            hits.increment();
        }
        Loaded loaded = completed(future);
        if (loaded == null) {
            return deltas.snapshot(key, null, -1, now);
        }
        if (now.toEpochMilli() - loaded.readAtMillis > staleAfterMillis && returningKeys.add(key)) {
            // Served stale this once, as Caffeine's refresh-on-access would; fresh within milliseconds.
            scheduleReturningKeysReload();
        }
        return deltas.snapshot(key, loaded.record, loaded.sequence, now);
    }

    /** A key read from MongoDB now, with this server's deltas: for operators; may block. */
    ReputationSnapshot readNow(ReputationKey key, Instant now) {
        long sequence = deltas.sequence();
        return deltas.snapshot(key, load(Set.of(key)).get(key), sequence, now);
    }

    /** Keys waiting to be read for the first time (the {@code shaping_cache_load_queue} gauge). */
    int loadQueueDepth() {
        return missQueue.size();
    }

    void invalidate(ReputationKey key) {
        cache.synchronous().invalidate(key);
    }

    private void scheduleReturningKeysReload() {
        if (returningKeysReload.compareAndSet(false, true)) {
            loaders.schedule(this::reloadReturningKeys, RETURNING_KEYS_GATHER_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Re-reads every key the SMTP path used since the last call, so that what another server wrote reaches this one
     * within a flush plus a refresh interval. Runs on the store thread every refresh interval.
     */
    void refreshHotKeys() {
        if (hotKeys.isEmpty()) {
            return;
        }
        List<ReputationKey> keys = new ArrayList<>(hotKeys);
        hotKeys.removeAll(keys);
        reload(keys, "hot");
    }

    private void reloadReturningKeys() {
        List<ReputationKey> keys = new ArrayList<>(returningKeys);
        try {
            reload(keys, "returning");
        } finally {
            // Keys stay in the set until their fresh copy is cached, so that reads meanwhile do not queue them again.
            returningKeys.removeAll(keys);
            returningKeysReload.set(false);
            if (!returningKeys.isEmpty()) {
                // Keys queued while this ran found a reload in flight and did not schedule one.
                scheduleReturningKeysReload();
            }
        }
    }

    private void reload(List<ReputationKey> keys, String which) {
        boolean worse = false;
        for (int from = 0; from < keys.size(); from += REFRESH_BATCH_KEYS) {
            Set<ReputationKey> batch = Set.copyOf(keys.subList(from, Math.min(keys.size(), from + REFRESH_BATCH_KEYS)));
            Map<ReputationKey, Loaded> fresh;
            try {
                fresh = read(batch);
            } catch (MongoException e) {
                LOGGER.debug("Could not re-read {} {} cached reputation keys", keys.size() - from, which, e);
                break;
            } catch (RuntimeException e) {
                LOGGER.warn("Could not re-read {} {} cached reputation keys", keys.size() - from, which, e);
                break;
            }
            for (ReputationKey key : batch) {
                Loaded copy = fresh.get(key);
                Loaded before = completed(cache.getIfPresent(key));
                worse |= copy.record.mayLookWorseThan(before == null ? null : before.record);
                cache.put(key, CompletableFuture.completedFuture(copy));
            }
        }
        // Most re-reads only bring more signals for their senders: re-deciding every sender for them would cost the
        // SMTP path for nothing.
        if (worse) {
            mayLookWorse.run();
        }
    }

    private static Loaded completed(CompletableFuture<Loaded> future) {
        return future != null && future.isDone() && !future.isCompletedExceptionally() ? future.getNow(null) : null;
    }

    @Override
    public void close() {
        loaders.shutdownNow();
    }
}
