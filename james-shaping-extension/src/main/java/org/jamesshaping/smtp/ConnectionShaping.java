package org.jamesshaping.smtp;

import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.api.Response;
import org.jamesshaping.scoring.ClassDecision;
import org.jamesshaping.shaping.ClassSettings;
import org.jamesshaping.shaping.ConnectionRegistry;
import org.jamesshaping.shaping.SenderClassifier;
import org.jamesshaping.shaping.TokenBucket;
import org.jamesshaping.store.ReputationKey;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.util.AttributeKey;

/**
 * One SMTP connection's shaping: its class, the replies it is owed and when, and its read budgets.
 *
 * <p>Everything here runs on the connection's own Netty event loop: James calls hooks and handlers there, and
 * delayed work is scheduled on that same loop, so no lock is needed and no thread ever sleeps. A delayed reply
 * is a task in the loop's timer queue; ten thousand held connections are ten thousand small objects and timer
 * entries, not threads.</p>
 */
final class ConnectionShaping {
    static final AttributeKey<ConnectionShaping> KEY = AttributeKey.valueOf("jamesshaping.connectionShaping");

    private static final class Pending {
        final Response response;
        final long dueNanos;
        final boolean greeting;

        Pending(Response response, long dueNanos, boolean greeting) {
            this.response = response;
            this.dueNanos = dueNanos;
            this.greeting = greeting;
        }
    }

    private final ProtocolSession session;
    private final Channel channel;
    private final ProtocolTransport transport;
    private final ReadGate gate;
    private final ConnectionRegistry registry;
    /** Replies owed, in order; created with the first delayed reply (most connections are never delayed). */
    private Deque<Pending> pending;
    private long lastDueNanos;
    private boolean drainScheduled;

    InetAddress address;
    ReputationKey addressKey;
    ReputationKey subnetKey;
    ClassDecision decision;
    /** The classifier's reuse window when {@link #decision} was taken; null to decide again at the next check. */
    SenderClassifier.Reusable decisionWindow;
    ClassSettings settings = ClassSettings.UNSHAPED;
    boolean decided;
    boolean countedConcurrent;
    boolean holding;
    boolean greetingSent;
    boolean earlyTalker;
    boolean exempt;
    boolean inData;
    int messages;

    private TokenBucket connectionBucket;
    private TokenBucket addressBucket;
    private TokenBucket subnetBucket;
    private long bucketRate;
    private boolean throttleInstalled;
    private boolean resumeScheduled;

    ConnectionShaping(ProtocolSession session, Channel channel, ProtocolTransport transport, ConnectionRegistry registry) {
        this.session = session;
        this.channel = channel;
        this.transport = transport;
        this.gate = new ReadGate(channel);
        this.registry = registry;
    }

    static long now() {
        return System.nanoTime();
    }

    // ------------------------------------------------------------------ replies

    boolean hasPendingReplies() {
        return pending != null && !pending.isEmpty();
    }

    /**
     * Queues a reply to be written {@code delayNanos} after the later of now and the previous queued reply:
     * pipelined commands are answered in order, each one delay apart, as if sent one by one. Reads pause until
     * the queue is empty, so further pipelined commands wait in the client's socket (lines already read are
     * answered in turn: pausing reads does not stop those).
     */
    void enqueue(Response response, long delayNanos) {
        enqueue(response, delayNanos, false);
    }

    void enqueueGreeting(Response greeting, long delayNanos) {
        enqueue(greeting, delayNanos, true);
    }

    private void enqueue(Response response, long delayNanos, boolean greeting) {
        long due = Math.max(now(), lastDueNanos) + delayNanos;
        lastDueNanos = due;
        if (pending == null) {
            pending = new ArrayDeque<>(4);
        }
        pending.addLast(new Pending(response, due, greeting));
        if (!greeting) {
            // While only the greeting is owed, reading goes on: that is how an early talker is caught, and how a
            // client that gives up is noticed (with reads paused, its FIN would wait unseen in the socket).
            gate.pause(ReadGate.REPLIES);
        }
        scheduleDrain();
    }

    private void scheduleDrain() {
        if (drainScheduled || !hasPendingReplies()) {
            return;
        }
        drainScheduled = true;
        long wait = Math.max(0, pending.peekFirst().dueNanos - now());
        channel.eventLoop().schedule(this::drain, wait, TimeUnit.NANOSECONDS);
    }

    private void drain() {
        drainScheduled = false;
        if (!channel.isActive()) {
            pending.clear();
            return;
        }
        long now = now();
        while (!pending.isEmpty() && pending.peekFirst().dueNanos <= now) {
            Pending next = pending.pollFirst();
            transport.writeResponse(next.response, session);
            greetingSent |= next.greeting;
            if (next.response.isEndSession()) {
                pending.clear();
                return;
            }
        }
        if (pending.isEmpty()) {
            gate.resume(ReadGate.REPLIES);
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
        Deque<Pending> copy = new ArrayDeque<>();
        pending.forEach(entry -> copy.addLast(new Pending(entry.response, 0, entry.greeting)));
        pending.clear();
        pending.addAll(copy);
        drain();
    }

    // ------------------------------------------------------------------ reads

    void applyReadRates(ClassSettings newSettings, int receiveBufferBytes) {
        long rate = inData ? newSettings.dataReadRate() : newSettings.commandReadRate();
        if (newSettings.commandReadRate() <= 0 && newSettings.dataReadRate() <= 0 && !throttleInstalled) {
            return;
        }
        if (!throttleInstalled) {
            channel.pipeline().addFirst(ReadThrottle.NAME, new ReadThrottle(this));
            throttleInstalled = true;
            // Read at most one burst of the slower rate at a time: otherwise Netty takes whatever the socket holds
            // (tens of KB) and a slow class runs in big stop-and-go steps. Netty keeps the allocator's handle from
            // the channel's first read on, so this only takes effect when set before it (a decision at connect).
            long slowest = Math.min(positiveOrMax(newSettings.commandReadRate()), positiveOrMax(newSettings.dataReadRate()));
            channel.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator((int) Math.min(65_536, TokenBucket.defaultBurst(slowest))));
            if (receiveBufferBytes > 0) {
                // A small receive buffer makes the window close sooner: the sender's data waits on its side.
                channel.config().setOption(ChannelOption.SO_RCVBUF, receiveBufferBytes);
            }
        }
        retune(rate);
    }

    private void retune(long rate) {
        if (rate == bucketRate) {
            return;
        }
        long nowNanos = now();
        if (rate <= 0) {
            releaseSharedBuckets();
            connectionBucket = null;
        } else if (connectionBucket == null) {
            connectionBucket = new TokenBucket(rate, TokenBucket.defaultBurst(rate), nowNanos);
            addressBucket = registry.acquireBucket(addressKey, rate, nowNanos);
            subnetBucket = registry.acquireBucket(subnetKey, rate * 4, nowNanos);
        } else {
            connectionBucket.setRate(rate, TokenBucket.defaultBurst(rate));
            addressBucket.setRate(rate, TokenBucket.defaultBurst(rate));
            subnetBucket.setRate(rate * 4, TokenBucket.defaultBurst(rate * 4));
        }
        bucketRate = rate;
        if (rate <= 0) {
            gate.resume(ReadGate.THROTTLE);
        }
    }

    private static long positiveOrMax(long rate) {
        return rate > 0 ? rate : Long.MAX_VALUE;
    }

    /** Switches between the command and the DATA read rate. */
    void enterData(boolean value) {
        if (inData == value) {
            return;
        }
        inData = value;
        if (throttleInstalled && !exempt) {
            retune(value ? settings.dataReadRate() : settings.commandReadRate());
        }
    }

    void bytesRead(int bytes) {
        if (connectionBucket == null) {
            return;
        }
        long nowNanos = now();
        long wait = connectionBucket.take(bytes, nowNanos);
        wait = Math.max(wait, addressBucket.take(bytes, nowNanos));
        wait = Math.max(wait, subnetBucket.take(bytes, nowNanos));
        if (wait > 0 && !resumeScheduled) {
            gate.pause(ReadGate.THROTTLE);
            resumeScheduled = true;
            channel.eventLoop().schedule(() -> {
                resumeScheduled = false;
                gate.resume(ReadGate.THROTTLE);
            }, wait, TimeUnit.NANOSECONDS);
        }
    }

    void unshape() {
        exempt = true;
        // The next check decides again, and records why (authenticated) in the decision.
        decisionWindow = null;
        settings = ClassSettings.UNSHAPED;
        retune(0);
        flushNow();
    }

    private void releaseSharedBuckets() {
        if (addressBucket != null) {
            registry.releaseBucket(addressKey);
            registry.releaseBucket(subnetKey);
            addressBucket = null;
            subnetBucket = null;
        }
    }

    /** Releases what this connection holds in the registry. Called once, at disconnect. */
    void close() {
        releaseSharedBuckets();
        if (pending != null) {
            pending.clear();
        }
        if (countedConcurrent) {
            registry.disconnected(addressKey);
            registry.disconnected(subnetKey);
            countedConcurrent = false;
        }
        if (holding) {
            registry.release();
            holding = false;
        }
    }

}
