package org.jamesshaping.smtp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession;

/** Small helpers around James's SMTP session that several handlers need. */
final class SmtpSessions {
    private SmtpSessions() {
    }

    /**
     * The client's address. With {@code proxyRequired}, James reports the real client once the PROXY header has
     * been read (before any command), and the proxy's address before that: callers that need the real client
     * decide at the first command. {@code getProxyInformation()} is not used: in 3.8.1 it throws when no header came.
     */
    static Optional<InetAddress> clientAddress(ProtocolSession session) {
        InetSocketAddress remote = session.getRemoteAddress();
        if (remote == null || remote.getAddress() == null) {
            return Optional.empty();
        }
        return Optional.of(remote.getAddress());
    }
}
