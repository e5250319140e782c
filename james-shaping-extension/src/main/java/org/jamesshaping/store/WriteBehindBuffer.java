package org.jamesshaping.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import org.jamesshaping.scoring.Signal;
import org.jamesshaping.scoring.SignalCounts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.MongoException;

/**
 * Signal counts on their way to MongoDB, merged per key. SMTP threads only ever add to an in-memory map (a few
 * hundred nanoseconds, no lock shared across keys); one background thread drains it every flush interval into a
 * bulk write.
 *
 * <p>A key holds at most two deltas: one in flight (sent with a batch id, never changed after, so that a retry
 * after a timeout is applied once) and one pending (what came since, merged). A failed flush keeps both, so the
 * bound {@code buffer.max.keys} counts distinct keys, however long MongoDB is away: an update for a key already
 * held costs no memory and is always merged.</p>
 *
 * <p>Past the bound, what speaks against a sender is the last to go: a new key carrying signals against its sender
 * takes the place of a key holding only signals for one (its update is dropped and counted), and a new key holding
 * only signals for its sender is dropped. A key with signals against its sender is never evicted.</p>
 *
 * <p>What is held for a key is never changed once published: an update replaces it. So readers on the SMTP path
 * (every reputation snapshot) take it with a plain {@code get}, without a lock.</p>
 */
public class WriteBehindBuffer {
    private static final Logger LOGGER = LoggerFactory.getLogger(WriteBehindBuffer.class);
    private static final int MAX_BATCH_KEYS = 1000;
    private static final long DROP_LOG_INTERVAL_MILLIS = 10_000;
    /** How long a key MongoDB refused is set aside, doubling with each refusal up to the second: others keep flowing. */
    static final Duration FIRST_SET_ASIDE = Duration.ofSeconds(1);
    static final Duration MAX_SET_ASIDE = Duration.ofMinutes(5);

    /** What is held for one key; immutable. */
    static final class Held {
        /** Sent at least once (or about to be) under its batch id; null when none. */
        final InFlight inFlight;
        /** Counted since, merged; null when none. */
        final Tally pending;

        Held(InFlight inFlight, Tally pending) {
            this.inFlight = inFlight;
            this.pending = pending;
        }

        /** Everything not known written: a new tally when both parts exist, else the part itself (not to be modified). */
        /** Whether everything held speaks for the sender: what goes first to make room for signals against one. */
        boolean onlyForSender() {
            return (inFlight == null || inFlight.delta.onlyForSender()) && (pending == null || pending.onlyForSender());
        }

        Tally unwritten() {
            if (inFlight == null) {
                return pending;
            }
            return pending == null ? inFlight.delta : inFlight.delta.copy().merge(pending);
        }
    }

    /** A delta sent under a batch id; immutable, so a retry writes exactly what the first attempt did. */
    static final class InFlight {
        final String batchId;
        final Tally delta;
        /** Times MongoDB refused this key's write; past the first, the key is set aside until {@link #retryAtMillis}. */
        final int refusals;
        final long retryAtMillis;

        InFlight(String batchId, Tally delta) {
            this(batchId, delta, 0, Long.MIN_VALUE);
        }

        private InFlight(String batchId, Tally delta, int refusals, long retryAtMillis) {
            this.batchId = batchId;
            this.delta = delta;
            this.refusals = refusals;
            this.retryAtMillis = retryAtMillis;
        }

        InFlight refused(long nowMillis) {
            long backoff = Math.min(MAX_SET_ASIDE.toMillis(), FIRST_SET_ASIDE.toMillis() << Math.min(refusals, 20));
            return new InFlight(batchId, delta, refusals + 1, nowMillis + backoff);
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

    private final ReputationRepository repository;
    private final HalfLife halfLife;
    private final int maxKeys;
    private final Clock clock;
    private final Runnable onDrop;
    private final ConcurrentHashMap<ReputationKey, Held> held = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong droppedAgainstSenders = new AtomicLong();
    private final AtomicLong evicted = new AtomicLong();
    /**
     * Keys that held only signals for their sender when they came in: where to look for one to evict, checked again
     * when taken. Rebuilt from the held keys at each flush, so it stays about as large as the buffer.
     */
    private volatile ConcurrentLinkedQueue<ReputationKey> evictable = new ConcurrentLinkedQueue<>();
    private final AtomicLong lastDropLog = new AtomicLong(Long.MIN_VALUE / 2);
    private volatile Instant outageSince;

    public WriteBehindBuffer(ReputationRepository repository, HalfLife halfLife, int maxKeys, Clock clock) {
        this(repository, halfLife, maxKeys, clock, () -> { });
    }

    /** @param onDrop told of each update dropped (for the {@code shaping_dropped_updates} counter) */
    public WriteBehindBuffer(ReputationRepository repository, HalfLife halfLife, int maxKeys, Clock clock, Runnable onDrop) {
        this.repository = repository;
        this.halfLife = halfLife;
        this.maxKeys = maxKeys;
        this.clock = clock;
        this.onDrop = onDrop;
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
        boolean forSender = counts.onlyForSender();
        if (!held.containsKey(key) && held.size() >= maxKeys && (forSender || !evictOneOnlyForSender(now))) {
            noteDropped(now, !forSender);
            return false;
        }
        boolean[] added = {false};
        held.compute(key, (k, before) -> {
            added[0] = before == null;
            Tally updated = before == null || before.pending == null ? Tally.empty() : before.pending.copy();
            updated.add(counts, now, halfLife);
            return new Held(before == null ? null : before.inFlight, updated);
        });
        if (added[0] && forSender) {
            evictable.add(key);
        }
        return true;
    }

    /** Removes one key holding only signals for its sender, if there is one; its updates count as dropped. */
    private boolean evictOneOnlyForSender(Instant now) {
        ConcurrentLinkedQueue<ReputationKey> candidates = evictable;
        ReputationKey candidate;
        while ((candidate = candidates.poll()) != null) {
            boolean[] removed = {false};
            held.computeIfPresent(candidate, (k, current) -> {
                removed[0] = current.onlyForSender();
                return removed[0] ? null : current;
            });
            if (removed[0]) {
                evicted.incrementAndGet();
                noteDropped(now, false);
                return true;
            }
        }
        return false;
    }

    private void noteDropped(Instant now, boolean againstSender) {
        long total = dropped.incrementAndGet();
        long against = againstSender ? droppedAgainstSenders.incrementAndGet() : droppedAgainstSenders.get();
        onDrop.run();
        long nowMillis = now.toEpochMilli();
        long last = lastDropLog.get();
        if (nowMillis - last > DROP_LOG_INTERVAL_MILLIS && lastDropLog.compareAndSet(last, nowMillis)) {
            LOGGER.warn("Reputation write-behind buffer full ({} keys held): {} updates dropped so far, {} of them against "
                + "a sender ({} keys holding only signals for their sender evicted to keep signals against one)",
                maxKeys, total, against, evicted.get());
        }
    }

    /** What is held for {@code key} now, or null: one read, so that its parts are seen together. */
    Held held(ReputationKey key) {
        return held.get(key);
    }

    /** What is not yet written for {@code key}, or null; never to be modified by the caller. */
    public Tally unwritten(ReputationKey key) {
        Held now = held.get(key);
        return now == null ? null : now.unwritten();
    }

    /**
     * Writes every key's delta in flight (sent before and not known written) and moves what is pending of the other
     * keys into flight first. A key MongoDB refuses (an error for that document alone) is set aside and retried with
     * a backoff; the others are written. Called by one thread only.
     *
     * @param onWritten told of each key and delta once MongoDB has it, before the key's delta leaves the buffer
     */
    public FlushResult flush(WrittenListener onWritten) {
        Map<ReputationKey, InFlight> toWrite = takeInFlight();
        int written = 0;
        boolean failed = false;
        List<Map.Entry<ReputationKey, InFlight>> entries = new ArrayList<>(toWrite.entrySet());
        for (int from = 0; from < entries.size(); from += MAX_BATCH_KEYS) {
            List<Map.Entry<ReputationKey, InFlight>> chunk = entries.subList(from, Math.min(entries.size(), from + MAX_BATCH_KEYS));
            Map<ReputationKey, String> batchIds = new LinkedHashMap<>();
            Map<ReputationKey, Tally> deltas = new LinkedHashMap<>();
            chunk.forEach(entry -> {
                batchIds.put(entry.getKey(), entry.getValue().batchId);
                deltas.put(entry.getKey(), entry.getValue().delta);
            });
            Map<ReputationKey, String> refused;
            try {
                refused = repository.apply(batchIds, deltas);
            } catch (MongoException e) {
                failed = true;
                if (outageSince == null) {
                    outageSince = clock.instant();
                    LOGGER.warn("MongoDB unreachable for reputation updates ({}); keeping {} keys in memory and retrying",
                        e.getMessage(), depth());
                }
                break;
            }
            for (Map.Entry<ReputationKey, InFlight> entry : chunk) {
                InFlight sent = entry.getValue();
                String why = refused.get(entry.getKey());
                if (why != null) {
                    failed = true;
                    setAside(entry.getKey(), sent, why);
                    continue;
                }
                onWritten.written(entry.getKey(), sent.delta, sent.batchId);
                held.computeIfPresent(entry.getKey(), (key, now) -> now.inFlight != sent ? now
                    : now.pending == null ? null : new Held(null, now.pending));
                written++;
            }
        }
        if (!failed && outageSince != null) {
            LOGGER.info("MongoDB reachable again for reputation updates after {}; held updates written",
                Duration.between(outageSince, clock.instant()));
            outageSince = null;
        }
        return new FlushResult(written, depth(), failed);
    }

    /** A key whose write MongoDB refused waits, with its batch id, while the other keys keep being written. */
    private void setAside(ReputationKey key, InFlight sent, String why) {
        long nowMillis = clock.millis();
        InFlight later = sent.refused(nowMillis);
        Held after = held.computeIfPresent(key, (k, now) -> now.inFlight != sent ? now : new Held(later, now.pending));
        if (after != null && after.inFlight == later) {
            LOGGER.warn("MongoDB refused the reputation update of {} ({} time(s)): {}; set aside, retried in {} while other "
                + "keys are written", key, later.refusals, why, Duration.ofMillis(later.retryAtMillis - nowMillis));
        }
    }

    /** Every key's delta in flight and due, pending ones moved into flight under one new batch id. */
    private Map<ReputationKey, InFlight> takeInFlight() {
        String batchId = UUID.randomUUID().toString();
        long nowMillis = clock.millis();
        Map<ReputationKey, InFlight> toWrite = new LinkedHashMap<>();
        ConcurrentLinkedQueue<ReputationKey> candidates = new ConcurrentLinkedQueue<>();
        for (ReputationKey key : held.keySet()) {
            Held now = held.computeIfPresent(key, (k, before) -> before.inFlight != null || before.pending == null ? before
                : new Held(new InFlight(batchId, before.pending), null));
            if (now != null && now.inFlight != null && now.inFlight.retryAtMillis <= nowMillis) {
                toWrite.put(key, now.inFlight);
            }
            if (now != null && now.onlyForSender()) {
                candidates.add(key);
            }
        }
        evictable = candidates;
        return toWrite;
    }

    /** Drops what is held for a key, so that a forgotten sender is not written back. */
    public void discard(ReputationKey key) {
        held.remove(key);
    }

    /** Distinct keys held in memory, pending or in flight. */
    public int depth() {
        return held.size();
    }

    /** Updates dropped since start: new keys refused, and keys evicted to make room for signals against a sender. */
    public long dropped() {
        return dropped.get();
    }

    /** Updates carrying signals against a sender that were dropped: only when every held key carries such signals. */
    public long droppedAgainstSenders() {
        return droppedAgainstSenders.get();
    }

    /** Keys holding only signals for their sender evicted to make room for signals against one. */
    public long evicted() {
        return evicted.get();
    }

    /** Since when MongoDB has refused the held updates; empty once a flush wrote them all. */
    public Optional<Instant> heldSince() {
        return Optional.ofNullable(outageSince);
    }

}
