package org.jamesshaping.filter.fingerprint;

import java.io.Closeable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.jamesshaping.runtime.DaemonThreads;
import org.jamesshaping.store.MongoConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;

/**
 * Known-spam lookups for the mail path, backed by MongoDB but never waiting on it.
 *
 * <p>Lookups read an in-memory {@link FingerprintIndex} that a background thread refreshes: a full load at start
 * and every {@code fullReloadEvery} refreshes (to see deletions), and in between only signatures changed since the
 * last refresh (minus a margin for clock skew between servers). Until the first load succeeds the service answers
 * {@link Lookup.Status#UNAVAILABLE}: no verdict rather than a wrong "not spam". Hits are counted in memory and
 * written in batches; when MongoDB is down they are kept up to a bound, then dropped.</p>
 */
public class FingerprintService implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(FingerprintService.class);
    private static final Duration CLOCK_SKEW_MARGIN = Duration.ofMinutes(2);
    private static final int FULL_RELOAD_EVERY = 60;
    private static final int MAX_PENDING_HIT_IDS = 100_000;
    /** How long a removed signature's tombstone is kept: longer than any refresh interval, so every server sees it. */
    private static final Duration TOMBSTONE_KEPT = Duration.ofDays(1);

    /** The answer to a lookup. */
    public static final class Lookup {
        public enum Status { MATCH, NO_MATCH, UNAVAILABLE }

        private final Status status;
        private final FingerprintMatch match;

        private Lookup(Status status, FingerprintMatch match) {
            this.status = status;
            this.match = match;
        }

        public Status status() {
            return status;
        }

        public Optional<FingerprintMatch> match() {
            return Optional.ofNullable(match);
        }
    }

    private final FingerprintStore store;
    private final MongoClient ownedClient;
    private final Clock clock;
    private final double threshold;
    private final Duration unseenExpiry;
    private final ScheduledExecutorService scheduler;
    private final ConcurrentHashMap<String, LongAdder> pendingHits = new ConcurrentHashMap<>();
    private volatile FingerprintIndex index = new FingerprintIndex();
    private volatile boolean loaded;
    private volatile Instant lastRefreshStart;
    private int refreshesSinceFullLoad;

    /** Opens its own MongoDB client; closed with this service. */
    public FingerprintService(MongoConnection connection, double threshold, Duration refreshInterval, Clock clock) {
        this(connection, threshold, refreshInterval, Duration.ZERO, clock);
    }

    /** @param unseenExpiry signatures neither matched nor reported for this long are removed; zero: never */
    public FingerprintService(MongoConnection connection, double threshold, Duration refreshInterval, Duration unseenExpiry,
                              Clock clock) {
        this(connection.open(), connection.database(), threshold, refreshInterval, unseenExpiry, clock);
    }

    private FingerprintService(MongoClient client, String database, double threshold, Duration refreshInterval,
                               Duration unseenExpiry, Clock clock) {
        this(new FingerprintStore(client.getDatabase(database).getCollection(FingerprintStore.COLLECTION)), client,
            threshold, refreshInterval, unseenExpiry, clock);
    }

    private FingerprintService(FingerprintStore store, MongoClient ownedClient, double threshold, Duration refreshInterval,
                               Duration unseenExpiry, Clock clock) {
        if (threshold <= 0 || threshold > 1) {
            throw new IllegalArgumentException("similarity threshold must be in (0, 1], got " + threshold);
        }
        this.store = store;
        this.ownedClient = ownedClient;
        this.clock = clock;
        this.threshold = threshold;
        this.unseenExpiry = unseenExpiry;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("shaping-fingerprints"));
        long refreshMillis = refreshInterval.toMillis();
        scheduler.scheduleWithFixedDelay(this::refreshQuietly, 0, refreshMillis, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(this::flushHitsQuietly, 1, 1, TimeUnit.SECONDS);
    }

    /** In-memory only: never touches MongoDB. */
    public Lookup lookup(Fingerprint fingerprint) {
        if (!loaded) {
            return new Lookup(Lookup.Status.UNAVAILABLE, null);
        }
        Optional<FingerprintMatch> match = index.bestMatch(fingerprint, threshold);
        if (match.isEmpty()) {
            return new Lookup(Lookup.Status.NO_MATCH, null);
        }
        countHit(match.get().signature().id());
        return new Lookup(Lookup.Status.MATCH, match.get());
    }

    /** Stores a signature in MongoDB (blocking, bounded by the client timeout) and adds it to this server's index. */
    public SpamSignature report(Fingerprint fingerprint, SpamSignature.Source source) {
        SpamSignature signature = store.report(fingerprint, source, clock.instant());
        index.add(List.of(signature));
        return signature;
    }

    /**
     * Removes a signature from MongoDB (blocking, bounded by the client timeout) and from this server's index at once;
     * the other servers drop it at their next refresh. False when there is none by that id.
     */
    public boolean delete(String id) {
        boolean removed = store.delete(id, clock.instant());
        index.remove(id);
        return removed;
    }

    private void countHit(String id) {
        LongAdder counter = pendingHits.get(id);
        if (counter == null) {
            if (pendingHits.size() >= MAX_PENDING_HIT_IDS) {
                return;
            }
            counter = pendingHits.computeIfAbsent(id, key -> new LongAdder());
        }
        counter.increment();
    }

    /** Reloads the index now; also what the background thread runs. */
    public void refresh() {
        Instant start = clock.instant();
        boolean full = !loaded || refreshesSinceFullLoad >= FULL_RELOAD_EVERY;
        if (full) {
            expire(start);
        }
        Instant since = full ? null : lastRefreshStart.minus(CLOCK_SKEW_MARGIN);
        List<SpamSignature> changed = store.changedSince(since);
        Set<String> removed = full ? Set.of() : store.removedSince(since);
        if (full) {
            // A new index, to drop signatures deleted (or aged out) elsewhere; in between, only the changes.
            index = FingerprintIndex.of(changed);
        } else {
            index.add(changed);
            removed.forEach(index::remove);
        }
        refreshesSinceFullLoad = full ? 0 : refreshesSinceFullLoad + 1;
        lastRefreshStart = start;
        if (!loaded) {
            LOGGER.info("Loaded {} known-spam signatures", changed.size());
        }
        loaded = true;
    }

    /** Before each full load: the indexes (once), signatures unseen for too long, old tombstones. */
    private void expire(Instant now) {
        if (!loaded) {
            store.createIndexes();
        }
        long expired = store.expire(unseenExpiry.isZero() ? Instant.EPOCH : now.minus(unseenExpiry), now.minus(TOMBSTONE_KEPT), now);
        if (expired > 0) {
            LOGGER.info("Removed {} known-spam signatures neither matched nor reported for {}", expired, unseenExpiry);
        }
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (MongoException | IllegalStateException e) {
            LOGGER.warn("Cannot refresh known-spam signatures ({}); {}", e.getMessage(),
                loaded ? "keeping the last " + index.size() + " loaded" : "no fingerprint verdicts until MongoDB answers");
        } catch (RuntimeException e) {
            LOGGER.error("Unexpected error refreshing known-spam signatures", e);
        }
    }

    void flushHits() {
        Map<String, Long> batch = new HashMap<>();
        for (String id : pendingHits.keySet()) {
            LongAdder counter = pendingHits.remove(id);
            if (counter != null) {
                batch.put(id, counter.sum());
            }
        }
        try {
            store.addHits(batch, clock.instant());
        } catch (RuntimeException e) {
            // Put them back for the next attempt; the bound in countHit keeps an outage from growing memory.
            batch.forEach((id, hits) -> pendingHits.computeIfAbsent(id, key -> new LongAdder()).add(hits));
            throw e;
        }
    }

    private void flushHitsQuietly() {
        try {
            flushHits();
        } catch (MongoException | IllegalStateException e) {
            LOGGER.debug("Cannot write fingerprint hit counts: {}", e.getMessage());
        } catch (RuntimeException e) {
            LOGGER.error("Unexpected error writing fingerprint hit counts", e);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            flushHits();
        } catch (RuntimeException e) {
            LOGGER.debug("Dropping unwritten fingerprint hit counts: {}", e.getMessage());
        }
        ownedClient.close();
    }
}
