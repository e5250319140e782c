package org.jamesshaping.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * First in a shaped connection's pipeline: counts the bytes read from the socket against the connection's
 * budgets and pauses reading while they are in debt. With reading paused the kernel's receive buffer fills, the
 * TCP window closes, and the rest of the sender's data waits in the sender's own socket.
 *
 * <p>Netty's {@code ChannelTrafficShapingHandler} does the per-channel part of this, but it cannot share one
 * budget among all connections of an address and of a subnet, and it toggles auto-read on its own, which would
 * fight the reply queue's pause of the same flag. Here both go through one {@link ReadGate}.</p>
 */
final class ReadThrottle extends ChannelInboundHandlerAdapter {
    static final String NAME = "shaping-read-throttle";

    private final ConnectionShaping connection;

    ReadThrottle(ConnectionShaping connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf) {
            connection.bytesRead(((ByteBuf) msg).readableBytes());
        }
        ctx.fireChannelRead(msg);
    }
}
