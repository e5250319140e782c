package org.jamesshaping.smtp;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.apache.james.protocols.api.Response;

import io.netty.channel.Channel;

/**
 * The replies a tarpitted connection is owed and when: each is written one delay after the later of now and the
 * previous one, so pipelined commands are answered in order, one delay apart, as if sent one by one. A delayed
 * reply is a task on the connection's own event loop: no thread ever sleeps, and ten thousand held connections are
 * ten thousand small timer entries. Used on that event loop only.
 */
final class ReplyQueue {
    /** A reply owed, or (with {@code action}) something held as a reply is: a line James has not read yet. */
    private static final class Pending {
        final Response response;
        final Runnable action;
        final long dueNanos;
        final boolean greeting;

        Pending(Response response, Runnable action, long dueNanos, boolean greeting) {
            this.response = response;
            this.action = action;
            this.dueNanos = dueNanos;
            this.greeting = greeting;
        }

        Pending dueNow() {
            return new Pending(response, action, 0, greeting);
        }
    }

    private final Channel channel;
    private final Consumer<Response> writer;
    private final ReadGate gate;
    private final LongSupplier nanoClock;
    /** Created with the first delayed reply: most connections are never delayed. */
    private Deque<Pending> pending;
    private long lastDueNanos;
    private boolean drainScheduled;
    private boolean greetingSent;
    /** Told when nothing is owed any more: the line gate hands James the next held line. */
    private Runnable idle = () -> { };

    /** @param writer writes a reply on the connection (James's transport) */
    ReplyQueue(Channel channel, Consumer<Response> writer, ReadGate gate, LongSupplier nanoClock) {
        this.channel = channel;
        this.writer = writer;
        this.gate = gate;
        this.nanoClock = nanoClock;
    }

    void whenIdle(Runnable task) {
        this.idle = task;
    }

    boolean hasPending() {
        return pending != null && !pending.isEmpty();
    }

    /** Whether the greeting has gone out: a command read before it is early talk. */
    boolean greetingSent() {
        return greetingSent;
    }

    /** The greeting went out without delay (or another handler writes it). */
    void greetingWritten() {
        greetingSent = true;
    }

    /**
     * Queues a reply. Reads pause until the queue is empty, so that further pipelined commands wait in the client's
     * socket; lines already read are answered in turn (pausing reads does not stop those).
     */
    void enqueue(Response response, long delayNanos) {
        add(response, null, delayNanos, false);
        gate.pause(ReadGate.REPLIES);
    }

    /** Runs {@code action} in the replies' order, one delay after the previous one, as if it were a reply. */
    void enqueueAction(Runnable action, long delayNanos) {
        add(null, action, delayNanos, false);
        gate.pause(ReadGate.REPLIES);
    }

    /** Writes {@code reply}, which ends the session, at once: what was still owed is dropped. */
    void writeNow(Response reply) {
        clear();
        writer.accept(reply);
    }

    /**
     * Queues the greeting. Reading goes on while only the greeting is owed: that is how an early talker is caught,
     * and how a client that gives up is noticed (with reads paused, its FIN would wait unseen in the socket).
     */
    void enqueueGreeting(Response greeting, long delayNanos) {
        add(greeting, null, delayNanos, true);
    }

    private void add(Response response, Runnable action, long delayNanos, boolean greeting) {
        long due = Math.max(nanoClock.getAsLong(), lastDueNanos) + delayNanos;
        lastDueNanos = due;
        if (pending == null) {
            pending = new ArrayDeque<>(4);
        }
        pending.addLast(new Pending(response, action, due, greeting));
        scheduleDrain();
    }

    private void scheduleDrain() {
        if (drainScheduled || !hasPending()) {
            return;
        }
        drainScheduled = true;
        long wait = Math.max(0, pending.peekFirst().dueNanos - nanoClock.getAsLong());
        channel.eventLoop().schedule(this::drain, wait, TimeUnit.NANOSECONDS);
    }

    private void drain() {
        drainScheduled = false;
        if (!channel.isActive()) {
            pending.clear();
            return;
        }
        long now = nanoClock.getAsLong();
        while (!pending.isEmpty() && pending.peekFirst().dueNanos <= now) {
            Pending next = pending.pollFirst();
            if (next.action != null) {
                next.action.run();
                continue;
            }
            writer.accept(next.response);
            greetingSent |= next.greeting;
            if (next.response.isEndSession()) {
                pending.clear();
                return;
            }
        }
        if (pending.isEmpty()) {
            gate.resume(ReadGate.REPLIES);
            idle.run();
        } else {
            scheduleDrain();
        }
    }

    /** Writes everything owed now, in order: for a connection that has just become exempt (AUTH). */
    void flushNow() {
        lastDueNanos = 0;
        if (pending == null) {
            return;
        }
        Deque<Pending> due = new ArrayDeque<>();
        pending.forEach(entry -> due.addLast(entry.dueNow()));
        pending.clear();
        pending.addAll(due);
        drain();
    }

    void clear() {
        if (pending != null) {
            pending.clear();
        }
    }
}
