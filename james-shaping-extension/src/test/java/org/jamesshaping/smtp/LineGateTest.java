package org.jamesshaping.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * The line gate between a stand-in for James's dispatcher and the wire, on a channel whose time only the test moves.
 * The stand-in executes a line and queues its reply one delay later, as the shaper does for a tarpitted connection.
 */
class LineGateTest {
    private static final Duration DELAY = Duration.ofSeconds(2);

    private final List<String> executed = new ArrayList<>();
    private final List<String> written = new ArrayList<>();
    private final List<String> told = new ArrayList<>();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final TestClock clock = new TestClock(channel);
    private final ConnectionState state = new ConnectionState(channel);
    private final ReplyQueue replies = new ReplyQueue(channel, reply -> written.add(String.join("|", reply.getLines())),
        new ReadGate(channel), clock);
    private Response refusal;

    private final LineGate.Shaper shaper = new LineGate.Shaper() {
        @Override
        public Response refusalBefore() {
            return refusal;
        }

        @Override
        public Response earlyTalk() {
            told.add("early talk");
            return null;
        }

        @Override
        public void pipelinedUnasked() {
            told.add("pipelined unasked");
        }

        @Override
        public Response overHeld() {
            told.add("over held");
            return ending("421", "4.7.0 too much ahead");
        }

        @Override
        public long endOfDataDelayNanos() {
            return DELAY.toNanos();
        }
    };

    private final LineGate gate = new LineGate(replies, state, shaper);

    /** James's dispatcher, as far as the gate can tell: DATA opens the message, QUIT ends the session. */
    private final class Dispatcher extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf line = (ByteBuf) msg;
            String text = line.toString(StandardCharsets.US_ASCII).trim();
            line.release();
            executed.add(text);
            if (state.inData()) {
                if (text.equals(".")) {
                    state.enterData(false);
                    written.add("250 message " + executed.size());
                }
                return;
            }
            if (text.equals("DATA")) {
                state.enterData(true);
                replies.enqueue(new SMTPResponse("354", "go ahead"), DELAY.toNanos());
            } else if (text.equals("QUIT")) {
                state.sessionEnding();
                replies.enqueue(ending("221", "bye"), DELAY.toNanos());
            } else {
                replies.enqueue(new SMTPResponse("250", text.toLowerCase()), DELAY.toNanos());
            }
        }
    }

    LineGateTest() {
        channel.pipeline().addLast(LineGate.NAME, gate);
        channel.pipeline().addLast("coreHandler", new Dispatcher());
        replies.whenIdle(gate::release);
        replies.greetingWritten();
        state.pipeliningOffered(true);
    }

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private static Response ending(String code, String text) {
        SMTPResponse reply = new SMTPResponse(code, text);
        reply.setEndSession(true);
        return reply;
    }

    private void send(String... lines) {
        for (String line : lines) {
            channel.writeInbound(Unpooled.copiedBuffer(line + "\r\n", StandardCharsets.US_ASCII));
        }
    }

    @Test
    void pipelinedCommandsAreExecutedOneAtATimeEachAfterThePreviousReplyIsWritten() {
        send("EHLO bot", "MAIL FROM:<a@b.example>", "RCPT TO:<c@d.example>");
        assertThat(executed).containsExactly("EHLO bot");

        clock.advance(DELAY);
        assertThat(written).containsExactly("250 ehlo bot");
        assertThat(executed).containsExactly("EHLO bot", "MAIL FROM:<a@b.example>");
        clock.advance(DELAY);
        assertThat(executed).hasSize(3);
        clock.advance(DELAY);
        assertThat(written).hasSize(3);
    }

    @Test
    void theEndOfDataIsHeldOneReplyDelayAndWhatFollowsItWaits() {
        send("DATA", "Subject: x", "", "body", ".", "QUIT");
        clock.advance(DELAY);
        assertThat(written).containsExactly("354 go ahead");
        assertThat(executed).containsExactly("DATA", "Subject: x", "", "body");

        clock.advance(DELAY.minusMillis(1));
        assertThat(executed).doesNotContain(".");
        clock.advance(Duration.ofMillis(1));
        assertThat(executed).endsWith(".", "QUIT");
        assertThat(written).containsExactly("354 go ahead", "250 message 5");
    }

    @Test
    void nothingReadAfterAReplyThatEndsTheSessionIsExecuted() {
        send("QUIT", "MAIL FROM:<a@b.example>", "RCPT TO:<c@d.example>");
        clock.advance(DELAY.multipliedBy(5));

        assertThat(executed).containsExactly("QUIT");
        assertThat(written).containsExactly("221 bye");
    }

    @Test
    void linesSentBeforeTheGreetingAreReportedAndWaitForIt() {
        EmbeddedChannel early = new EmbeddedChannel();
        TestClock earlyClock = new TestClock(early);
        List<String> earlyWritten = new ArrayList<>();
        ReplyQueue greetingPending = new ReplyQueue(early, reply -> earlyWritten.add(String.join("|", reply.getLines())),
            new ReadGate(early), earlyClock);
        ConnectionState earlyState = new ConnectionState(early);
        LineGate earlyGate = new LineGate(greetingPending, earlyState, shaper);
        List<String> earlyExecuted = new ArrayList<>();
        early.pipeline().addLast(LineGate.NAME, earlyGate);
        early.pipeline().addLast("coreHandler", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                earlyExecuted.add(((ByteBuf) msg).toString(StandardCharsets.US_ASCII).trim());
                ((ByteBuf) msg).release();
            }
        });
        greetingPending.whenIdle(earlyGate::release);
        greetingPending.enqueueGreeting(new SMTPResponse("220", "hello"), DELAY.toNanos());

        early.writeInbound(Unpooled.copiedBuffer("EHLO eager\r\n", StandardCharsets.US_ASCII));
        assertThat(told).containsExactly("early talk");
        assertThat(earlyExecuted).isEmpty();
        earlyClock.advance(DELAY);
        assertThat(earlyWritten).containsExactly("220 hello");
        assertThat(earlyExecuted).containsExactly("EHLO eager");
        early.finishAndReleaseAll();
    }

    @Test
    void aSenderThatPipelinesMoreThanTheBoundGets421AndNothingMoreIsExecuted() {
        String[] lines = new String[LineGate.MAX_HELD_LINES + 2];
        for (int i = 0; i < lines.length; i++) {
            lines[i] = "NOOP " + i;
        }
        send(lines);

        assertThat(told).containsExactly("over held");
        assertThat(written).containsExactly("421 4.7.0 too much ahead");
        clock.advance(DELAY.multipliedBy(10));
        assertThat(executed).containsExactly("NOOP 0");
    }

    @Test
    void aBlockedSendersFirstLineIsRefusedWithoutBeingExecuted() {
        refusal = ending("554", "5.7.1 blocked");
        send("VRFY postmaster", "AUTH PLAIN AHVzZXIAcGFzcw==");

        assertThat(executed).isEmpty();
        assertThat(written).containsExactly("554 5.7.1 blocked");
    }

    @Test
    void pipeliningOnASessionNotOfferedItIsReportedOnce() {
        state.pipeliningOffered(false);
        send("HELO old", "MAIL FROM:<a@b.example>", "RCPT TO:<c@d.example>");

        assertThat(told).containsExactly("pipelined unasked");
    }

    @Test
    void anUnheldConnectionPassesEveryLineAtOnce() {
        send("NOOP");
        clock.advance(DELAY);
        send("NOOP again");
        assertThat(executed).containsExactly("NOOP", "NOOP again");
    }
}
