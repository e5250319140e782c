package org.jamesshaping.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.netty.channel.embedded.EmbeddedChannel;

/** The tarpit's reply queue on a Netty channel whose time only the test moves. */
class ReplyQueueTest {
    private static final long TWO_SECONDS = Duration.ofSeconds(2).toNanos();

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final TestClock clock = new TestClock(channel);
    private final List<String> written = new ArrayList<>();
    private final ReplyQueue replies = new ReplyQueue(channel, reply -> written.add(String.join("|", reply.getLines())),
        new ReadGate(channel), clock);

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private static Response reply(String code, String text) {
        return new SMTPResponse(code, text);
    }

    @Test
    void pipelinedRepliesAreWrittenInOrderEachOneDelayAfterThePrevious() {
        replies.enqueue(reply("250", "first"), TWO_SECONDS);
        replies.enqueue(reply("250", "second"), TWO_SECONDS);
        replies.enqueue(reply("250", "third"), TWO_SECONDS);

        clock.advance(Duration.ofMillis(1999));
        assertThat(written).isEmpty();
        clock.advance(Duration.ofMillis(1));
        assertThat(written).containsExactly("250 first");
        clock.advance(Duration.ofMillis(1999));
        assertThat(written).containsExactly("250 first");
        clock.advance(Duration.ofMillis(1));
        assertThat(written).containsExactly("250 first", "250 second");
        clock.advance(Duration.ofSeconds(2));
        assertThat(written).containsExactly("250 first", "250 second", "250 third");
    }

    @Test
    void readingPausesWhileRepliesAreOwedAndResumesWhenTheLastIsWritten() {
        replies.enqueue(reply("250", "owed"), TWO_SECONDS);
        assertThat(channel.config().isAutoRead()).isFalse();
        assertThat(replies.hasPending()).isTrue();

        clock.advance(Duration.ofSeconds(2));
        assertThat(written).containsExactly("250 owed");
        assertThat(replies.hasPending()).isFalse();
        assertThat(channel.config().isAutoRead()).isTrue();
    }

    @Test
    void aDelayedGreetingLeavesReadingOnSoThatEarlyTalkIsSeen() {
        replies.enqueueGreeting(reply("220", "greeting"), TWO_SECONDS);
        assertThat(channel.config().isAutoRead()).isTrue();
        assertThat(replies.greetingSent()).isFalse();

        clock.advance(Duration.ofSeconds(2));
        assertThat(written).containsExactly("220 greeting");
        assertThat(replies.greetingSent()).isTrue();
    }

    @Test
    void aReplyThatEndsTheSessionDropsWhatWasQueuedAfterIt() {
        SMTPResponse ending = new SMTPResponse("421", "4.7.0 bye");
        ending.setEndSession(true);
        replies.enqueue(reply("250", "ok"), TWO_SECONDS);
        replies.enqueue(ending, TWO_SECONDS);
        replies.enqueue(reply("250", "never"), TWO_SECONDS);

        clock.advance(Duration.ofSeconds(10));
        assertThat(written).containsExactly("250 ok", "421 4.7.0 bye");
        assertThat(replies.hasPending()).isFalse();
    }

    @Test
    void flushNowWritesEverythingOwedAtOnceInOrder() {
        replies.enqueue(reply("250", "a"), TWO_SECONDS);
        replies.enqueue(reply("250", "b"), TWO_SECONDS);

        replies.flushNow();
        assertThat(written).containsExactly("250 a", "250 b");
        assertThat(channel.config().isAutoRead()).isTrue();
    }

    @Test
    void nothingIsWrittenToAConnectionThatHasClosed() {
        replies.enqueue(reply("250", "late"), TWO_SECONDS);
        channel.close();

        clock.advance(Duration.ofSeconds(5));
        assertThat(written).isEmpty();
    }
}
