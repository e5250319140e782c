package org.jamesshaping.smtp;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.jamesshaping.shaping.ClassSettings;
import org.jamesshaping.shaping.ConnectionRegistry;
import org.jamesshaping.shaping.TokenBucket;
import org.jamesshaping.store.ReputationKey;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;

/**
 * First in a shaped connection's pipeline: counts the bytes read from the socket against three budgets (the
 * connection's, its address's and its subnet's, the last two shared by all their connections through the
 * {@link ConnectionRegistry}) and pauses reading while any is in debt, each pause capped. With reading paused the
 * kernel's receive buffer fills, the TCP window closes, and the rest of the sender's data waits on its side.
 *
 * <p>Netty's {@code ChannelTrafficShapingHandler} does the per-channel part, but it cannot share a budget among
 * connections, and it toggles auto-read on its own, which would fight the reply queue's pause of the same flag:
 * here both go through one {@link ReadGate}. Used on the connection's event loop only.</p>
 */
final class ReadThrottle extends ChannelInboundHandlerAdapter {
    static final String NAME = "shaping-read-throttle";
    /** The subnet's budget is this many times a connection's: neighbours share it without starving each other. */
    private static final int SUBNET_SHARE = 4;

    private final Channel channel;
    private final ReadGate gate;
    private final ConnectionRegistry registry;
    private final ReputationKey addressKey;
    private final ReputationKey subnetKey;
    private final long maxPauseNanos;
    private final LongSupplier nanoClock;
    private TokenBucket connectionBucket;
    private TokenBucket addressBucket;
    private TokenBucket subnetBucket;
    private long rate;
    private boolean resumeScheduled;

    private ReadThrottle(Channel channel, ReadGate gate, ConnectionRegistry registry, ReputationKey addressKey,
                         ReputationKey subnetKey, long maxPauseNanos, LongSupplier nanoClock) {
        this.channel = channel;
        this.gate = gate;
        this.registry = registry;
        this.addressKey = addressKey;
        this.subnetKey = subnetKey;
        this.maxPauseNanos = maxPauseNanos;
        this.nanoClock = nanoClock;
    }

    /**
     * Puts a throttle first in the pipeline for a class with {@code settings}. Reads are then at most one burst of the
     * slower rate at a time (otherwise Netty takes whatever the socket holds, tens of KB, and a slow class runs in
     * big stop-and-go steps); Netty keeps the allocator from the channel's first read on, so this takes effect only
     * when installed before it (a decision at connect). A small receive buffer makes the window close sooner.
     */
    static ReadThrottle install(Channel channel, ReadGate gate, ConnectionRegistry registry, ReputationKey addressKey,
                                ReputationKey subnetKey, ClassSettings settings, int receiveBufferBytes, long maxPauseNanos,
                                LongSupplier nanoClock) {
        ReadThrottle throttle = new ReadThrottle(channel, gate, registry, addressKey, subnetKey, maxPauseNanos, nanoClock);
        channel.pipeline().addFirst(NAME, throttle);
        long slowest = Math.min(positiveOrMax(settings.commandReadRate()), positiveOrMax(settings.dataReadRate()));
        channel.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator((int) Math.min(65_536, TokenBucket.defaultBurst(slowest))));
        if (receiveBufferBytes > 0 && channel.isOpen()) {
            try {
                channel.config().setOption(ChannelOption.SO_RCVBUF, receiveBufferBytes);
            } catch (ChannelException closedMeanwhile) {
                // A decision on a line that arrived after the connection was refused and closed (an early talker
                // over a limit): nothing left to throttle, and nothing worth an error with a stack trace.
            }
        }
        return throttle;
    }

    private static long positiveOrMax(long rate) {
        return rate > 0 ? rate : Long.MAX_VALUE;
    }

    /** Reads at {@code bytesPerSecond} from now on; 0: unthrottled, the shared budgets given back. */
    void retune(long bytesPerSecond) {
        if (bytesPerSecond == rate) {
            return;
        }
        long now = nanoClock.getAsLong();
        if (bytesPerSecond <= 0) {
            release();
            gate.resume(ReadGate.THROTTLE);
        } else if (connectionBucket == null) {
            connectionBucket = new TokenBucket(bytesPerSecond, TokenBucket.defaultBurst(bytesPerSecond), now);
            addressBucket = registry.acquireBucket(addressKey, bytesPerSecond, now);
            subnetBucket = registry.acquireBucket(subnetKey, bytesPerSecond * SUBNET_SHARE, now);
        } else {
            connectionBucket.setRate(bytesPerSecond, TokenBucket.defaultBurst(bytesPerSecond));
            addressBucket.setRate(bytesPerSecond, TokenBucket.defaultBurst(bytesPerSecond));
            subnetBucket.setRate(bytesPerSecond * SUBNET_SHARE, TokenBucket.defaultBurst(bytesPerSecond * SUBNET_SHARE));
        }
        rate = bytesPerSecond;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf) {
            bytesRead(((ByteBuf) msg).readableBytes());
        }
        ctx.fireChannelRead(msg);
    }

    private void bytesRead(int bytes) {
        if (connectionBucket == null) {
            return;
        }
        long now = nanoClock.getAsLong();
        long wait = connectionBucket.take(bytes, now);
        wait = Math.max(wait, addressBucket.take(bytes, now));
        wait = Math.max(wait, subnetBucket.take(bytes, now));
        if (wait > 0 && !resumeScheduled) {
            gate.pause(ReadGate.THROTTLE);
            resumeScheduled = true;
            channel.eventLoop().schedule(() -> {
                resumeScheduled = false;
                gate.resume(ReadGate.THROTTLE);
            }, Math.min(wait, maxPauseNanos), TimeUnit.NANOSECONDS);
        }
    }

    /** Gives the shared budgets back; called when the throttle stops and at disconnect. */
    void release() {
        if (addressBucket != null) {
            registry.releaseBucket(addressKey);
            registry.releaseBucket(subnetKey);
            addressBucket = null;
            subnetBucket = null;
        }
        connectionBucket = null;
        rate = 0;
    }
}
