package org.jamesshaping.smtp;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import io.netty.channel.embedded.EmbeddedChannel;

/**
 * One clock for a handler under test and the event loops of its {@link EmbeddedChannel}s: both move only when the
 * test advances them, so delays and pauses are tested exactly, without waiting.
 */
final class TestClock implements LongSupplier {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final EmbeddedChannel[] channels;

    TestClock(EmbeddedChannel... channels) {
        this.channels = channels;
        for (EmbeddedChannel channel : channels) {
            channel.freezeTime();
        }
    }

    @Override
    public long getAsLong() {
        return nanos.get();
    }

    /** Moves time on and runs what the channels' event loops have due by then. */
    void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
        for (EmbeddedChannel channel : channels) {
            channel.advanceTimeBy(duration.toNanos(), TimeUnit.NANOSECONDS);
            channel.runPendingTasks();
            channel.runScheduledPendingTasks();
        }
    }
}
