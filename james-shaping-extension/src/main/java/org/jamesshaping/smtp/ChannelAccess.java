package org.jamesshaping.smtp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolSessionImpl;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.netty.NettyProtocolTransport;

import io.netty.channel.Channel;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;

/**
 * The one place that reaches into James's internals: the Netty {@link Channel} behind an SMTP session. James
 * 3.8.1 keeps it in a private field of {@code NettyProtocolTransport} and offers no accessor, and shaping needs it
 * to schedule on the connection's own event loop, pause reads, and size the receive buffer.
 *
 * <p>If a James upgrade renames the field, {@link #verify()} fails at handler start-up with a message saying so,
 * and {@code ChannelAccessTest} fails the build: shaping must never degrade silently.</p>
 */
public final class ChannelAccess {
    private static final String FIELD = "channel";
    /**
     * A static final VarHandle rather than {@code Field.get}: read on every reply, and the JIT makes it a plain
     * field load, where reflection checks the receiver and the access on each call.
     */
    private static final VarHandle CHANNEL_FIELD = lookup();

    private ChannelAccess() {
    }

    private static VarHandle lookup() {
        try {
            Field field = NettyProtocolTransport.class.getDeclaredField(FIELD);
            if (!Channel.class.isAssignableFrom(field.getType())) {
                return null;
            }
            return MethodHandles.privateLookupIn(NettyProtocolTransport.class, MethodHandles.lookup()).unreflectVarHandle(field);
        } catch (NoSuchFieldException | IllegalAccessException | RuntimeException e) {
            return null;
        }
    }

    /** @throws IllegalStateException when this James has no reachable channel field */
    public static void verify() {
        if (CHANNEL_FIELD == null) {
            throw new IllegalStateException("james-shaping cannot reach the Netty channel of an SMTP session "
                + "(NettyProtocolTransport." + FIELD + "): this James version is not supported by this extension");
        }
    }

    public static Optional<Channel> channel(ProtocolSession session) {
        return Optional.ofNullable(channelOrNull(session));
    }

    /** As {@link #channel}, without the Optional: for what runs on every command. */
    static Channel channelOrNull(ProtocolSession session) {
        if (CHANNEL_FIELD == null || !(session instanceof ProtocolSessionImpl)) {
            return null;
        }
        ProtocolTransport transport = ((ProtocolSessionImpl) session).getProtocolTransport();
        if (!(transport instanceof NettyProtocolTransport)) {
            return null;
        }
        return (Channel) CHANNEL_FIELD.get((NettyProtocolTransport) transport);
    }

    /**
     * What a handler keeps about one connection, on the connection's channel: read several times per command, and
     * a channel attribute costs a fraction of a session attachment (whose key hashes and converts on every read).
     * Null when the session has no Netty channel (never in James's SMTP server; {@link #verify()} checks it can be
     * reached).
     */
    public static <T> Attribute<T> attribute(ProtocolSession session, AttributeKey<T> key) {
        Channel channel = channelOrNull(session);
        return channel == null ? null : channel.attr(key);
    }

    public static Optional<ProtocolTransport> transport(ProtocolSession session) {
        if (session instanceof ProtocolSessionImpl) {
            return Optional.of(((ProtocolSessionImpl) session).getProtocolTransport());
        }
        return Optional.empty();
    }
}
