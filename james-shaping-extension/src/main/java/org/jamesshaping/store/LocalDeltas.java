package org.jamesshaping.store;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Read-your-writes: what this server counted that MongoDB's copy of a record may lack. That is what is not written
 * yet (the write-behind buffer) and what was written after the copy was read, unless the document lists the batch
 * that carried it. A snapshot is the copy plus those deltas, so a sender's own server sees what it recorded at once.
 *
 * <p>Order is a write sequence number rather than a timestamp, so that it does not depend on clock resolution (or on
 * an injected clock that tests stop).</p>
 */
final class LocalDeltas {
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

    private final WriteBehindBuffer buffer;
    private final HalfLife halfLife;
    /** Past it a copy that is read has been read again and holds the delta: a few refresh intervals. */
    private final long keepNanos;
    private final AtomicLong writeSequence = new AtomicLong();
    private final ConcurrentHashMap<ReputationKey, Deque<Written>> recentlyWritten = new ConcurrentHashMap<>();

    LocalDeltas(WriteBehindBuffer buffer, HalfLife halfLife, Duration refreshInterval) {
        this.buffer = buffer;
        this.halfLife = halfLife;
        this.keepNanos = refreshInterval.multipliedBy(3).plusSeconds(1).toNanos();
    }

    /** The write sequence now: taken when a read starts, so that deltas written after it are known to be missing. */
    long sequence() {
        return writeSequence.get();
    }

    /** Told by the buffer of each delta MongoDB has applied. */
    void written(ReputationKey key, Tally delta, String batchId) {
        Written written = new Written(writeSequence.incrementAndGet(), System.nanoTime(), delta, batchId);
        Deque<Written> deque = recentlyWritten.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (deque) {
            deque.addLast(written);
        }
    }

    /** The record ({@code null}: not read yet) read at {@code readSequence}, with what it may lack, at {@code now}. */
    ReputationSnapshot snapshot(ReputationKey key, ReputationRecord record, long readSequence, Instant now) {
        // The buffer first, then what was written: a delta the flush writes meanwhile is told written before it
        // leaves the buffer, so it is seen in one place or both, and the same delta in both is counted once.
        WriteBehindBuffer.Held held = buffer.held(key);
        Tally inFlight = held == null || held.inFlight == null ? null : held.inFlight.delta;
        List<Tally> parts = new ArrayList<>(3);
        if (record != null) {
            parts.add(record.tally());
        }
        Deque<Written> written = recentlyWritten.get(key);
        if (written != null) {
            synchronized (written) {
                for (Written entry : written) {
                    if (entry.delta != inFlight && entry.sequence > readSequence
                            && (record == null || !record.hasApplied(entry.batchId))) {
                        parts.add(entry.delta);
                    }
                }
            }
        }
        Tally unwritten = held == null ? null : held.unwritten();
        if (unwritten != null) {
            parts.add(unwritten);
        }
        return new ReputationSnapshot(key, parts, halfLife, now, record != null);
    }

    /** Forgets the written deltas old enough that every copy read since holds them. */
    void prune() {
        long horizon = System.nanoTime() - keepNanos;
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

    /** Drops what is known locally about a key, written or not, so that a forgotten sender is not written back. */
    void forget(ReputationKey key) {
        recentlyWritten.remove(key);
        buffer.discard(key);
    }
}
