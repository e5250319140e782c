package org.jamesshaping.store;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.jamesshaping.scoring.Signal;
import org.jamesshaping.scoring.SignalCounts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.MongoException;

/**
 * Signal counts on their way to MongoDB. SMTP threads only ever add to an in-memory map (a few hundred
 * nanoseconds, no lock shared across keys); one background thread drains it every flush interval into a bulk
 * write.
 *
 * <p>A tally in the pending map is never changed once published: an update replaces it with a new one. So
 * readers on the SMTP path (every reputation snapshot) take it with a plain {@code get}, without the map's
 * per-key lock and without a copy, and never wait for writers to the same hot key (a busy /24 is written by
 * every IO thread at once).</p>
 *
 * <p>When MongoDB is unreachable, batches are kept, unchanged and with their batch id, and retried in order,
 * so a retry never double counts. The number of keys held (pending plus waiting batches) is bounded: past the
 * bound, new keys are dropped and counted, and existing keys keep accumulating, since that costs no memory.</p>
 */
public class WriteBehindBuffer {
    private static final Logger LOGGER = LoggerFactory.getLogger(WriteBehindBuffer.class);
    private static final int MAX_BATCH_KEYS = 1000;

    private final ReputationRepository repository;
    private final HalfLife halfLife;
    private final int maxKeys;
    private final Clock clock;
    private final ConcurrentHashMap<ReputationKey, Tally> pending = new ConcurrentHashMap<>();
    private final Deque<Batch> waiting = new ArrayDeque<>();
    private final AtomicInteger waitingKeys = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong lastDropLog = new AtomicLong();
    private volatile Instant outageSince;

    static final class Batch {
        final String id;
        final Map<ReputationKey, Tally> deltas;

        Batch(String id, Map<ReputationKey, Tally> deltas) {
            this.id = id;
            this.deltas = deltas;
        }
    }

    /** Told of each delta MongoDB has applied, with the id of the batch that carried it. */
    public interface WrittenListener {
        void written(ReputationKey key, Tally delta, String batchId);
    }

    /** What a flush did, for metrics and tests. */
    public static final class FlushResult {
        public final int keysWritten;
        public final int keysWaiting;
        public final boolean failed;

        FlushResult(int keysWritten, int keysWaiting, boolean failed) {
            this.keysWritten = keysWritten;
            this.keysWaiting = keysWaiting;
            this.failed = failed;
        }
    }

    public WriteBehindBuffer(ReputationRepository repository, HalfLife halfLife, int maxKeys, Clock clock) {
        this.repository = repository;
        this.halfLife = halfLife;
        this.maxKeys = maxKeys;
        this.clock = clock;
    }

    /** @return false when the update was dropped because the buffer is full */
    public boolean record(ReputationKey key, Signal signal, long count) {
        return record(key, new SignalCounts().add(signal, count));
    }

    /** Several signals at once, in one update of the key; false when dropped because the buffer is full. */
    public boolean record(ReputationKey key, SignalCounts counts) {
        if (counts.isEmpty()) {
            return true;
        }
        Instant now = clock.instant();
        if (!pending.containsKey(key) && depth() >= maxKeys) {
            noteDropped(now);
            return false;
        }
        pending.compute(key, (k, tally) -> {
            Tally updated = tally == null ? Tally.empty() : tally.copy();
            updated.add(counts, now, halfLife);
            return updated;
        });
        return true;
    }

    private void noteDropped(Instant now) {
        long total = dropped.incrementAndGet();
        long nowMillis = now.toEpochMilli();
        long last = lastDropLog.get();
        if (nowMillis - last > 10_000 && lastDropLog.compareAndSet(last, nowMillis)) {
            LOGGER.warn("Reputation write-behind buffer full ({} keys held); dropping updates for new senders, {} dropped so far",
                maxKeys, total);
        }
    }

    /**
     * What is not yet written for {@code key}, or null; never to be modified by the caller (it may be the published
     * tally itself). When batches wait, holds the lock that draining takes, so a delta is seen exactly once while
     * it moves from pending to a batch.
     */
    public Tally unwritten(ReputationKey key) {
        // Fast path, taken whenever no batch is waiting (MongoDB up, no flush moving keys): no shared lock on the
        // SMTP path. Draining counts a key as waiting before removing it from pending, so if the count is still
        // zero after the copy, no key moved during it.
        if (waitingKeys.get() == 0) {
            Tally published = pending.get(key);
            if (waitingKeys.get() == 0) {
                return published;
            }
        }
        synchronized (waiting) {
            Tally published = pending.get(key);
            Tally result = null;
            for (Batch batch : waiting) {
                Tally held = batch.deltas.get(key);
                if (held != null) {
                    result = (result == null ? (published == null ? Tally.empty() : published.copy()) : result).merge(held);
                }
            }
            return result == null ? published : result;
        }
    }

    /**
     * Writes what is waiting, oldest first, then what is pending. Called by one thread only.
     *
     * @param onWritten told of each key and delta once MongoDB has it
     */
    public FlushResult flush(WrittenListener onWritten) {
        drainPendingIntoBatches();
        int written = 0;
        boolean failed = false;
        while (true) {
            Batch batch;
            synchronized (waiting) {
                batch = waiting.peekFirst();
            }
            if (batch == null) {
                break;
            }
            Set<ReputationKey> notApplied;
            try {
                notApplied = repository.apply(batch.id, batch.deltas);
            } catch (MongoException e) {
                failed = true;
                if (outageSince == null) {
                    outageSince = clock.instant();
                    LOGGER.warn("MongoDB unreachable for reputation updates ({}); keeping {} keys in memory and retrying",
                        e.getMessage(), depth());
                }
                break;
            }
            synchronized (waiting) {
                waiting.pollFirst();
                int done = 0;
                for (Map.Entry<ReputationKey, Tally> entry : batch.deltas.entrySet()) {
                    if (!notApplied.contains(entry.getKey())) {
                        onWritten.written(entry.getKey(), entry.getValue(), batch.id);
                        done++;
                    }
                }
                written += done;
                if (!notApplied.isEmpty()) {
                    Map<ReputationKey, Tally> retry = new HashMap<>();
                    notApplied.forEach(key -> retry.put(key, batch.deltas.get(key)));
                    waiting.addFirst(new Batch(batch.id, retry));
                    waitingKeys.addAndGet(-done);
                    failed = true;
                    LOGGER.warn("{} reputation updates were refused by MongoDB; retrying them", notApplied.size());
                    break;
                }
                waitingKeys.addAndGet(-batch.deltas.size());
            }
        }
        if (!failed && outageSince != null) {
            LOGGER.info("MongoDB reachable again for reputation updates after {}; held updates written",
                java.time.Duration.between(outageSince, clock.instant()));
            outageSince = null;
        }
        return new FlushResult(written, depth(), failed);
    }

    private void drainPendingIntoBatches() {
        if (pending.isEmpty()) {
            return;
        }
        synchronized (waiting) {
            Map<ReputationKey, Tally> current = new HashMap<>();
            for (ReputationKey key : new ArrayList<>(pending.keySet())) {
                waitingKeys.incrementAndGet();
                Tally tally = pending.remove(key);
                if (tally == null) {
                    waitingKeys.decrementAndGet();
                    continue;
                }
                current.put(key, tally);
                if (current.size() == MAX_BATCH_KEYS) {
                    // Batch ids are assigned before the first attempt and never change: retries are idempotent.
                    waiting.addLast(new Batch(UUID.randomUUID().toString(), current));
                    current = new HashMap<>();
                }
            }
            if (!current.isEmpty()) {
                waiting.addLast(new Batch(UUID.randomUUID().toString(), current));
            }
        }
    }

    /** Drops what is held for a key, so that a forgotten sender is not written back. */
    public void discard(ReputationKey key) {
        synchronized (waiting) {
            pending.remove(key);
            for (Batch batch : waiting) {
                if (batch.deltas.remove(key) != null) {
                    waitingKeys.decrementAndGet();
                }
            }
        }
    }

    /** Keys held in memory: pending plus waiting for a retry. */
    public int depth() {
        return pending.size() + waitingKeys.get();
    }

    public long dropped() {
        return dropped.get();
    }

    /** Since when MongoDB has refused the held updates; empty once a flush wrote them all. */
    public Optional<Instant> heldSince() {
        return Optional.ofNullable(outageSince);
    }

}
