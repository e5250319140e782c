package org.jamesshaping.shaping;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.jamesshaping.store.ReputationKey;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * What the connections of this James hold together (across all its SMTP servers): concurrent connections per address and per subnet,
 * recent connection times per address, connections in held classes, and the read budgets shared by all
 * connections of an address or subnet. Connections run on several event loops, hence the concurrent maps.
 */
@Singleton
public class ConnectionRegistry {
    private static final long MINUTE_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** A counter's value once swept: never joined again. */
    private static final int RETIRED = -1;
    private static final int MIN_SWEEP_SIZE = 4096;

    private final ConcurrentHashMap<ReputationKey, AtomicInteger> concurrent = new ConcurrentHashMap<>();
    private final Cache<ReputationKey, Deque<Long>> recentConnections = Caffeine.newBuilder()
        .expireAfterAccess(2, TimeUnit.MINUTES)
        .maximumSize(200_000)
        .build();
    private final ConcurrentHashMap<ReputationKey, SharedBucket> sharedBuckets = new ConcurrentHashMap<>();
    private final AtomicInteger held = new AtomicInteger();
    private volatile int sweepAbove = MIN_SWEEP_SIZE;

    @Inject
    public ConnectionRegistry() {
    }

    static final class SharedBucket {
        final TokenBucket bucket;
        int users;

        SharedBucket(TokenBucket bucket) {
            this.bucket = bucket;
        }
    }

    public int connections(ReputationKey key) {
        AtomicInteger count = concurrent.get(key);
        return count == null ? 0 : Math.max(0, count.get());
    }

    /**
     * Counts a connection of {@code key}. Lock-free, since every connection of a busy network updates the same
     * counter from several event loops. A counter stays in the map at zero (an address that connects again, as
     * mail servers do all day, reuses it); only {@link #sweepIdleCounters} retires idle ones, by moving them from 0
     * to {@link #RETIRED}, which no connection ever joins: a connection joins a live counter or installs a new one.
     */
    public void connected(ReputationKey key) {
        while (true) {
            AtomicInteger count = concurrent.get(key);
            if (count == null) {
                if (concurrent.putIfAbsent(key, new AtomicInteger(1)) == null) {
                    if (concurrent.size() > sweepAbove) {
                        sweepIdleCounters();
                    }
                    return;
                }
                continue;
            }
            int current = count.get();
            if (current == RETIRED) {
                concurrent.remove(key, count);
            } else if (count.compareAndSet(current, current + 1)) {
                return;
            }
        }
    }

    /**
     * Called once per {@link #connected} call. The counter it joined is still the one in the map: a counter is
     * retired only at zero, and this connection has kept it above zero.
     */
    public void disconnected(ReputationKey key) {
        AtomicInteger count = concurrent.get(key);
        if (count != null) {
            count.decrementAndGet();
        }
    }

    /**
     * Removes the counters at zero once the map has doubled since the last sweep: memory stays within twice the
     * addresses connected at once (plus a floor), and the work is spread over the new addresses that grew it.
     */
    private synchronized void sweepIdleCounters() {
        if (concurrent.size() <= sweepAbove) {
            return;
        }
        concurrent.forEach((key, count) -> {
            if (count.compareAndSet(0, RETIRED)) {
                concurrent.remove(key, count);
            }
        });
        sweepAbove = Math.max(MIN_SWEEP_SIZE, 2 * concurrent.size());
    }

    /** Addresses and subnets with a concurrent-connection counter kept, live or idle (the {@code shaping_connection_counters} gauge). */
    public int trackedCounters() {
        return concurrent.size();
    }

    /**
     * Records a connection at {@code nowNanos} unless {@code perMinute} were already seen in the last minute.
     * Connections are counted while the address's class has a limit ({@code perMinute > 0}): a sender that turns
     * bad starts from its first connection in a limited class, and unshaped senders cost nothing here.
     *
     * @return false when over the rate (the connection is not recorded)
     */
    public boolean admitRate(ReputationKey key, int perMinute, long nowNanos) {
        if (perMinute <= 0) {
            return true;
        }
        Deque<Long> times = recentConnections.get(key, k -> new ArrayDeque<>());
        synchronized (times) {
            while (!times.isEmpty() && nowNanos - times.peekFirst() > MINUTE_NANOS) {
                times.pollFirst();
            }
            if (times.size() >= perMinute) {
                return false;
            }
            times.addLast(nowNanos);
            // Bound memory: only as many times as the strictest class can need.
            while (times.size() > 1000) {
                times.pollFirst();
            }
            return true;
        }
    }

    public int held() {
        return held.get();
    }

    public boolean tryHold(int max) {
        while (true) {
            int current = held.get();
            if (max > 0 && current >= max) {
                return false;
            }
            if (held.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    public void release() {
        held.decrementAndGet();
    }

    /** The read budget shared by every connection of {@code key}, created at {@code rate} or retuned to it. */
    public TokenBucket acquireBucket(ReputationKey key, long rate, long nowNanos) {
        SharedBucket shared = sharedBuckets.compute(key, (k, existing) -> {
            SharedBucket result = existing == null
                ? new SharedBucket(new TokenBucket(rate, TokenBucket.defaultBurst(rate), nowNanos)) : existing;
            result.users++;
            return result;
        });
        shared.bucket.setRate(rate, TokenBucket.defaultBurst(rate));
        return shared.bucket;
    }

    public void releaseBucket(ReputationKey key) {
        sharedBuckets.computeIfPresent(key, (k, shared) -> --shared.users <= 0 ? null : shared);
    }
}
