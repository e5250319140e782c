package org.jamesshaping.smtp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/** Small helpers around James's SMTP session that several handlers need. */
public final class SmtpSessions {
    /**
     * True while the connection's shaping class refuses its messages at the end of DATA (set by
     * {@link TrafficShaper}), so that the signal recorder, which does not see the reply that ends DATA, does not
     * count a refused message as accepted: that would let a sender in that class earn its way out by being refused.
     */
    private static final AttributeKey<Boolean> MESSAGES_REFUSED = AttributeKey.valueOf("jamesshaping.messagesRefused");

    private SmtpSessions() {
    }

    /** See {@link #MESSAGES_REFUSED}. */
    public static boolean messagesRefused(ProtocolSession session) {
        Channel channel = ChannelAccess.channelOrNull(session);
        return channel != null && channel.hasAttr(MESSAGES_REFUSED) && Boolean.TRUE.equals(channel.attr(MESSAGES_REFUSED).get());
    }

    /** Sets or clears {@link #MESSAGES_REFUSED}; clearing what was never set creates nothing. */
    static void setMessagesRefused(ProtocolSession session, boolean refused) {
        Channel channel = ChannelAccess.channelOrNull(session);
        if (channel != null && (refused || channel.hasAttr(MESSAGES_REFUSED))) {
            channel.attr(MESSAGES_REFUSED).set(refused);
        }
    }

    /**
     * The client's address. With {@code proxyRequired}, James reports the real client once the PROXY header has
     * been read (before any command), and the proxy's address before that: callers that need the real client
     * decide at the first command. {@code getProxyInformation()} is not used: in 3.8.1 it throws when no header came.
     */
    public static Optional<InetAddress> clientAddress(ProtocolSession session) {
        InetSocketAddress remote = session.getRemoteAddress();
        if (remote == null || remote.getAddress() == null) {
            return Optional.empty();
        }
        return Optional.of(remote.getAddress());
    }
}
