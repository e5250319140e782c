package org.jamesshaping.shaping;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession;

import io.netty.util.Attribute;
import io.netty.util.AttributeKey;

/** Small helpers around James's SMTP session that several handlers need. */
public final class SmtpSessions {
    /**
     * True while the connection's shaping class refuses its messages at the end of DATA (set by
     * {@link TrafficShaper}), so that the signal recorder, whose message hook runs before the shaper's, does not
     * count a refused message as accepted: that would let a sender in that class earn its way out by being refused.
     */
    private static final AttributeKey<Boolean> MESSAGES_REFUSED = AttributeKey.valueOf("jamesshaping.messagesRefused");

    private SmtpSessions() {
    }

    /** See {@link #MESSAGES_REFUSED}. */
    public static boolean messagesRefused(ProtocolSession session) {
        Attribute<Boolean> refused = ChannelAccess.attribute(session, MESSAGES_REFUSED);
        return refused != null && Boolean.TRUE.equals(refused.get());
    }

    static void setMessagesRefused(ProtocolSession session, boolean refused) {
        Attribute<Boolean> attribute = ChannelAccess.attribute(session, MESSAGES_REFUSED);
        if (attribute != null) {
            attribute.set(refused);
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
