package org.jamesshaping.smtp;

import java.util.ArrayDeque;
import java.util.Deque;

import org.apache.james.protocols.api.Response;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Between James's line decoder and its command dispatcher: keeps a tarpitted connection's commands in step with its
 * replies. While a reply is held, the lines already read wait here, not executed, and are handed to James one at a
 * time as each held reply is written: a sender that pipelines blindly gets nothing done faster than one reply delay
 * per command, and a refusal takes effect at once (nothing read after it is executed). The end of DATA is held one
 * reply delay like any other reply. Used on the connection's event loop only; unshaped connections pass through.
 */
final class LineGate extends ChannelInboundHandlerAdapter {
    static final String NAME = "shaping-line-gate";
    /** Lines held at most: an honest client's pipelined group is a few short commands. */
    static final int MAX_HELD_LINES = 1000;
    static final int MAX_HELD_BYTES = 65_536;

    /** What the gate asks of the shaper, and tells it. */
    interface Shaper {
        /** The refusal that ends the session before this line is executed (a blocked sender), or null. */
        Response refusalBefore();

        /** A line came before the greeting went out; the refusal that ends the session, or null. */
        Response earlyTalk();

        /** A line came while a reply was owed, on a session that was not offered PIPELINING. */
        void pipelinedUnasked();

        /** More was held than any honest client sends ahead: the session ends with this reply. */
        Response overHeld();

        /** The delay of the replies James writes past the reply queue (the end of DATA, the steps of AUTH), in nanoseconds. */
        long endOfDataDelayNanos();
    }

    private final ReplyQueue replies;
    private final ConnectionState state;
    private final Shaper shaper;
    private final Deque<ByteBuf> held = new ArrayDeque<>();
    private ChannelHandlerContext context;
    private int heldBytes;
    private boolean earlyTalkSeen;
    private boolean pipeliningSeen;
    private boolean closed;

    LineGate(ReplyQueue replies, ConnectionState state, Shaper shaper) {
        this.replies = replies;
        this.state = state;
        this.shaper = shaper;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            // A PROXY-protocol header and anything else but lines: James's own business.
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf line = (ByteBuf) msg;
        if (closed) {
            line.release();
            return;
        }
        if (!replies.greetingSent() && !earlyTalkSeen) {
            earlyTalkSeen = true;
            Response refusal = shaper.earlyTalk();
            if (refusal != null) {
                line.release();
                end(refusal);
                return;
            }
        } else if (replies.hasPending() && !state.pipeliningOffered() && !state.inData() && !pipeliningSeen) {
            pipeliningSeen = true;
            shaper.pipelinedUnasked();
        }
        if (held.isEmpty() && mayDeliver()) {
            deliver(line);
            return;
        }
        held.addLast(line);
        heldBytes += line.readableBytes();
        if (held.size() > MAX_HELD_LINES || heldBytes > MAX_HELD_BYTES) {
            end(shaper.overHeld());
        }
    }

    /** Nothing owed ahead of the next line: it may run now. */
    private boolean mayDeliver() {
        return !closed && replies.greetingSent() && !replies.hasPending() && !state.ending();
    }

    /** Hands held lines to James while nothing is owed; called whenever a held reply has been written. */
    void release() {
        while (!held.isEmpty() && mayDeliver()) {
            ByteBuf line = held.pollFirst();
            heldBytes -= line.readableBytes();
            deliver(line);
        }
        if (state.ending()) {
            drop();
        }
    }

    private void deliver(ByteBuf line) {
        Response refusal = shaper.refusalBefore();
        if (refusal != null) {
            line.release();
            end(refusal);
            return;
        }
        // The end of DATA and the steps of AUTH are answered by line handlers of James's own, past the reply queue:
        // they are held as replies are, so that the message is taken, or a password tried, one reply delay later.
        boolean answeredPastTheQueue = state.inData() ? isEndOfData(line) : state.inAuth();
        long delay = answeredPastTheQueue ? shaper.endOfDataDelayNanos() : 0;
        if (delay > 0) {
            replies.enqueueAction(() -> fire(line), delay);
            return;
        }
        fire(line);
    }

    private void fire(ByteBuf line) {
        if (closed || !context.channel().isActive()) {
            line.release();
            return;
        }
        context.fireChannelRead(line);
        if (state.ending()) {
            drop();
        }
    }

    /** "." alone on its line, what ends DATA (".." is an escaped line of the message). */
    static boolean isEndOfData(ByteBuf line) {
        int start = line.readerIndex();
        int length = line.readableBytes();
        if (length == 0 || line.getByte(start) != '.') {
            return false;
        }
        for (int i = 1; i < length; i++) {
            byte b = line.getByte(start + i);
            if (b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    /** Writes {@code reply} (which ends the session) at once and executes nothing more. */
    private void end(Response reply) {
        drop();
        closed = true;
        state.sessionEnding();
        replies.writeNow(reply);
    }

    private void drop() {
        while (!held.isEmpty()) {
            ReferenceCountUtil.release(held.pollFirst());
        }
        heldBytes = 0;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        drop();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        drop();
        ctx.fireChannelInactive();
    }
}
