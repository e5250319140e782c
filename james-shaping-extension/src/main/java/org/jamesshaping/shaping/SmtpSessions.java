package org.jamesshaping.shaping;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession;

/** Small helpers around James's SMTP session that several handlers need. */
public final class SmtpSessions {
    /**
     * Present while the connection's shaping class refuses its messages at the end of DATA (set by
     * {@link TrafficShaper}), so that the signal recorder, whose message hook runs before the shaper's, does not
     * count a refused message as accepted: that would let a sender in that class earn its way out by being refused.
     */
    public static final ProtocolSession.AttachmentKey<Boolean> MESSAGES_REFUSED =
        ProtocolSession.AttachmentKey.of("shaping.messagesRefused", Boolean.class);

    private SmtpSessions() {
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
