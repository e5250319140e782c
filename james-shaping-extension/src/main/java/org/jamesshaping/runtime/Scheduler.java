package org.jamesshaping.runtime;

import java.io.Closeable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extension's one background thread ({@code shaping-store}): the reputation store's flushes and reloads, and the
 * 100-ms tick on which the store and the shaper run short in-memory work that the SMTP path should find done.
 * Never an SMTP thread, so it may wait on MongoDB; a run may then come late, never twice at once. A task that throws
 * is logged and keeps its place (a scheduled task that throws would otherwise never run again).
 */
public final class Scheduler implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(Scheduler.class);
    /** How often the tick tasks run. */
    public static final Duration TICK = Duration.ofMillis(100);

    private static final class Task {
        final String what;
        final Runnable work;

        Task(String what, Runnable work) {
            this.what = what;
            this.work = work;
        }

        void runQuietly() {
            try {
                work.run();
            } catch (RuntimeException e) {
                LOGGER.warn("Could not {}", what, e);
            }
        }
    }

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("shaping-store"));
    private final List<Task> tickTasks = new CopyOnWriteArrayList<>();

    public Scheduler() {
        thread.scheduleWithFixedDelay(() -> tickTasks.forEach(Task::runQuietly), TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs {@code task} ({@code what} it does, for the log) at each {@link #TICK} until {@link #close}. */
    public void onEachTick(String what, Runnable task) {
        tickTasks.add(new Task(what, task));
    }

    /** Runs {@code task} every {@code interval}, the first time after {@code initialDelay}, until {@link #close}. */
    public void every(Duration interval, Duration initialDelay, String what, Runnable task) {
        Task scheduled = new Task(what, task);
        thread.scheduleWithFixedDelay(scheduled::runQuietly, initialDelay.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops the thread after the run in progress, if any (waiting at most {@code timeout} for it). */
    public void close(Duration timeout) throws InterruptedException {
        thread.shutdown();
        thread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        try {
            close(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
