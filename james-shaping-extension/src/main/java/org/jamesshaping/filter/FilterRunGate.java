package org.jamesshaping.filter;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bounds how many messages the content filters of this server judge at once, all filter mailets together.
 * James's spooler runs 20 threads; under a flood, 20 CPU-bound filter runs outnumber the few SMTP IO threads and
 * Linux shares the cores per runnable thread, so every SMTP reply waits for a core. A spooler thread waiting its
 * turn here is parked, not runnable. The wait is capped: past it the filter runs anyway, counted, so a mail is
 * never held back nor left unfiltered.
 */
public final class FilterRunGate {
    /** At most this long waiting for a turn; then the filter runs without one. */
    public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(30);

    /** One core is left to SMTP and James's delivery; a 1-core server still filters one message at a time. */
    public static int defaultLimit() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    }

    private final ResizableSemaphore turns = new ResizableSemaphore();
    private final LongAdder waitsCapped = new LongAdder();
    /** 0 until a filter mailet has given its bound. */
    private int limit;

    /**
     * Sets the bound to {@code requested}, or lowers it if another filter mailet gave a higher one: they share one
     * gate, so the lowest {@code maxConcurrentRuns} of any of them is the server's.
     */
    public synchronized void limitAtMost(int requested) {
        if (requested < 1) {
            throw new IllegalArgumentException("at least one concurrent filter run, got " + requested);
        }
        if (limit == 0) {
            turns.release(requested);
            limit = requested;
        } else if (requested < limit) {
            turns.reduce(limit - requested);
            limit = requested;
        }
    }

    /** The bound in force; 0 before any filter mailet started. */
    public synchronized int limit() {
        return limit;
    }

    /** Waits for a turn, at most {@code maxWait}; the returned turn is closed when the filter is done. */
    public Turn enter(Duration maxWait) {
        boolean granted;
        try {
            granted = turns.tryAcquire(maxWait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            // James is stopping the spooler: run without a turn rather than drop the mail's filtering.
            Thread.currentThread().interrupt();
            granted = false;
        }
        if (!granted) {
            waitsCapped.increment();
            return () -> { };
        }
        return turns::release;
    }

    /** Filter runs that started without a turn, their wait capped. */
    public long waitsCapped() {
        return waitsCapped.sum();
    }

    /** A turn to judge one message; closing it lets the next waiting filter run. */
    public interface Turn extends AutoCloseable {
        @Override
        void close();
    }

    /** Fair, so that spooler threads get their turns in order and none waits out the cap behind newcomers. */
    private static final class ResizableSemaphore extends Semaphore {
        ResizableSemaphore() {
            super(0, true);
        }

        void reduce(int by) {
            reducePermits(by);
        }
    }
}
