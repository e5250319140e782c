package org.jamesshaping.store;

import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;

import org.jamesshaping.scoring.SignalCounts;

/**
 * Signals that speak only for a sender (connections, accepted recipients and messages: what every clean mail
 * produces) on their way into the write-behind buffer, summed per address by each thread that records them, in sums
 * of its own: adding touches no memory another SMTP thread writes, and a clean session allocates nothing once its
 * address is in. They cannot make anyone look worse, so nothing needs to see them at once: the store thread takes
 * the sums at each tick and moves them into the buffer every few flushes.
 */
final class SenderSums {
    /** Addresses pending in one thread past which that thread hands its sums over itself. */
    static final int FOLD_ON_SMTP_PATH_AT = 8192;
    /** Addresses taken and not yet moved past which they move into the buffer at once: memory stays bounded. */
    private static final int MAX_SUMMED_ADDRESSES = 50_000;

    /**
     * One thread's sums. Only its thread adds; the store thread swaps the map for an empty one. The lock guards a map
     * lookup and an add on one side, a pointer swap on the other: uncontended almost always, never held long.
     */
    private static final class ThreadSums {
        private final ReentrantLock lock = new ReentrantLock();
        private final WeakReference<Thread> owner = new WeakReference<>(Thread.currentThread());
        private Map<InetAddress, SignalCounts> sums = new HashMap<>();

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

    private final List<ThreadSums> threads = new CopyOnWriteArrayList<>();
    private final ThreadLocal<ThreadSums> own = ThreadLocal.withInitial(() -> {
        ThreadSums sums = new ThreadSums();
        threads.add(sums);
        return sums;
    });
    /** What was taken from the threads, summed per address, not yet in the buffer. Guarded by {@link #lock}. */
    private final Map<InetAddress, SignalCounts> taken = new HashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final BiConsumer<InetAddress, SignalCounts> buffer;

    /** @param buffer where the sums go when they move: the write-behind buffer, for the address and its subnet */
    SenderSums(BiConsumer<InetAddress, SignalCounts> buffer) {
        this.buffer = buffer;
    }

    /** Adds to this thread's sum for the address; the caller may reuse {@code counts}. */
    void add(InetAddress address, SignalCounts counts) {
        // A backstop for a store thread held up (a flush waiting on MongoDB): the sums stay bounded.
        if (own.get().add(address, counts) >= FOLD_ON_SMTP_PATH_AT) {
            settle(false, false);
        }
    }

    /**
     * Takes the threads' sums and adds them up per address and, with {@code intoBuffer} (or once they cover
     * {@value #MAX_SUMMED_ADDRESSES} addresses), moves them into the buffer. Without {@code wait} (the SMTP path) it
     * returns at once when another thread is at it, which then takes what is there.
     */
    void settle(boolean intoBuffer, boolean wait) {
        if (wait) {
            lock.lock();
        } else if (!lock.tryLock()) {
            return;
        }
        try {
            for (ThreadSums sums : threads) {
                // Checked before taking: a thread that has ended adds nothing more, so nothing is left behind.
                boolean abandoned = sums.abandoned();
                sums.take().forEach((address, counts) -> {
                    SignalCounts sum = taken.putIfAbsent(address, counts);
                    if (sum != null) {
                        sum.addAll(counts);
                    }
                });
                if (abandoned) {
                    threads.remove(sums);
                }
            }
            if (intoBuffer || taken.size() >= MAX_SUMMED_ADDRESSES) {
                taken.forEach(buffer);
                taken.clear();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Addresses with sums the store thread has not taken yet (the {@code shaping_sender_sums_addresses} gauge). */
    int pendingAddresses() {
        return threads.stream().mapToInt(ThreadSums::addresses).sum();
    }

    /** Threads holding sums (the {@code shaping_sender_sums_threads} gauge): ended threads leave at the next tick. */
    int threads() {
        return threads.size();
    }
}
