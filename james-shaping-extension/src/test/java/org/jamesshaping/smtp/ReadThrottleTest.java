package org.jamesshaping.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.SocketChannel;
import java.time.Duration;

import org.jamesshaping.shaping.ClassSettings;
import org.jamesshaping.shaping.ConnectionRegistry;
import org.jamesshaping.store.ReputationKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/** The read throttle on Netty channels whose time only the test moves. */
class ReadThrottleTest {
    private static final ReputationKey ADDRESS = ReputationKey.parse("203.0.113.7");
    private static final ReputationKey SUBNET = ReputationKey.parse("203.0.113.0/24");
    /** 1,000 B/s: a burst of 1,460 bytes (one TCP segment). */
    private static final ClassSettings SLOW = new ClassSettings(Duration.ZERO, Duration.ZERO, 1000, 1000, 0, 0, 0, 0, 0, false);

    private final EmbeddedChannel first = new EmbeddedChannel();
    private final EmbeddedChannel second = new EmbeddedChannel();
    private final TestClock clock = new TestClock(first, second);
    private final ConnectionRegistry registry = new ConnectionRegistry();

    @AfterEach
    void close() {
        first.finishAndReleaseAll();
        second.finishAndReleaseAll();
    }

    private ReadThrottle throttle(EmbeddedChannel channel, Duration maxPause) {
        ReadThrottle throttle = ReadThrottle.install(channel, new ReadGate(channel), registry, ADDRESS, SUBNET, SLOW, 0,
            maxPause.toNanos(), clock);
        throttle.retune(1000);
        return throttle;
    }

    private static void read(EmbeddedChannel channel, int bytes) {
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[bytes]));
    }

    @Test
    void aDecisionForAConnectionAlreadyClosedInstallsWithoutFailing() throws Exception {
        // An early talker's line can be decided on after the connection was refused over a limit and closed.
        SocketChannel socket = SocketChannel.open();
        NioSocketChannel closed = new NioSocketChannel(socket);
        socket.close();
        assertThat(closed.isOpen()).isFalse();

        ReadThrottle throttle = ReadThrottle.install(closed, new ReadGate(closed), registry, ADDRESS, SUBNET, SLOW, 16384,
            Duration.ofSeconds(30).toNanos(), clock);

        assertThat(closed.pipeline().get(ReadThrottle.class)).isSameAs(throttle);
    }

    @Test
    void readingPausesWhileTheBudgetIsInDebtAndResumesWhenItIsRepaid() {
        throttle(first, Duration.ofSeconds(30));
        read(first, 1460);
        assertThat(first.config().isAutoRead()).as("within the burst").isTrue();

        read(first, 500);
        assertThat(first.config().isAutoRead()).as("500 bytes of debt at 1,000 B/s").isFalse();
        clock.advance(Duration.ofMillis(499));
        assertThat(first.config().isAutoRead()).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(first.config().isAutoRead()).isTrue();
        assertThat((Object) first.readInbound()).as("bytes read are passed on").isNotNull();
    }

    @Test
    void everyPauseIsCappedAtTheMaximumDelay() {
        throttle(first, Duration.ofSeconds(1));
        read(first, 1460 + 60_000);
        assertThat(first.config().isAutoRead()).as("a minute of debt").isFalse();

        clock.advance(Duration.ofSeconds(1));
        assertThat(first.config().isAutoRead()).as("resumed after the cap, not after a minute").isTrue();
    }

    @Test
    void theConnectionsOfAnAddressShareItsBudget() {
        throttle(first, Duration.ofSeconds(30));
        throttle(second, Duration.ofSeconds(30));
        read(first, 1460);

        read(second, 100);
        assertThat(second.config().isAutoRead()).as("its own budget is full, the address's is spent").isFalse();
    }

    @Test
    void anUnthrottledConnectionGivesItsShareBackAndReadsFreely() {
        ReadThrottle throttle = throttle(first, Duration.ofSeconds(30));
        read(first, 1460);
        throttle.retune(0);

        read(first, 100_000);
        assertThat(first.config().isAutoRead()).isTrue();
        ReadThrottle again = throttle(second, Duration.ofSeconds(30));
        read(second, 1460);
        assertThat(second.config().isAutoRead()).as("a fresh shared budget once nobody held the old one").isTrue();
        again.release();
    }
}
