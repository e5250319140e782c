package org.jamesshaping.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

import org.apache.james.protocols.netty.NettyProtocolTransport;
import org.apache.james.protocols.smtp.SMTPConfigurationImpl;
import org.apache.james.protocols.smtp.SMTPSessionImpl;
import org.junit.jupiter.api.Test;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.AttributeKey;

/** Breaks the build, loudly, if a James upgrade moves the Netty channel that shaping needs. */
class ChannelAccessTest {
    @Test
    void jamesStillKeepsTheNettyChannelWhereShapingReachesIt() {
        assertThatCode(ChannelAccess::verify).doesNotThrowAnyException();
    }

    @Test
    void findsTheChannelBehindAnSmtpSession() {
        InetSocketAddress client = new InetSocketAddress("192.0.2.1", 40000);
        EmbeddedChannel channel = new EmbeddedChannel() {
            @Override
            public SocketAddress remoteAddress() {
                return client;
            }

            @Override
            public SocketAddress localAddress() {
                return new InetSocketAddress("192.0.2.2", 25);
            }
        };
        NettyProtocolTransport transport = new NettyProtocolTransport(channel, null, false);
        SMTPSessionImpl session = new SMTPSessionImpl(transport, new SMTPConfigurationImpl());

        assertThat(ChannelAccess.channel(session)).containsSame(channel);
        AttributeKey<String> key = AttributeKey.valueOf("jamesshaping.test");
        assertThat(ChannelAccess.attribute(session, key)).isSameAs(channel.attr(key));
        channel.finishAndReleaseAll();
    }
}
