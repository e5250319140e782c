package org.jamesshaping.smtp;

import java.util.function.LongSupplier;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.netty.HandlerConstants;
import org.jamesshaping.shaping.ClassSettings;
import org.jamesshaping.shaping.ConnectionRegistry;
import org.jamesshaping.shaping.ShapedConnection;
import org.jamesshaping.shaping.ShapingPolicy;

import io.netty.channel.Channel;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;

/**
 * What the extension's handlers keep about one connection, behind one key on its Netty channel: the shaper's
 * policy state, replies and read throttle, and the signal recorder's counts. A channel attribute rather than a
 * session attachment: read several times per command, and an attachment key hashes and converts on every read.
 * Used on the connection's event loop only.
 */
final class ConnectionState {
    private static final AttributeKey<ConnectionState> KEY = AttributeKey.valueOf("jamesshaping.connection");
    private static final LongSupplier NANO_CLOCK = System::nanoTime;
    /** James's name for its command dispatcher in the pipeline ({@code HandlerConstants.CORE_HANDLER}). */
    private static final String CORE_HANDLER = HandlerConstants.CORE_HANDLER;

    private final Channel channel;
    private final ReadGate gate;
    private ShapedConnection shaping;
    private ReplyQueue replies;
    private ReadThrottle throttle;
    private boolean inData;
    private boolean pipeliningOffered;
    private boolean ending;
    private boolean inAuth;
    private boolean evidenceAgainst;
    private boolean pregreeted;
    private RecordedSignals signals;

    ConnectionState(Channel channel) {
        this.channel = channel;
        this.gate = new ReadGate(channel);
    }

    /** The connection's state, created at the first call; null when the session has no Netty channel. */
    static ConnectionState of(ProtocolSession session) {
        Attribute<ConnectionState> attribute = ChannelAccess.attribute(session, KEY);
        if (attribute == null) {
            return null;
        }
        ConnectionState state = attribute.get();
        if (state == null) {
            state = new ConnectionState(ChannelAccess.channelOrNull(session));
            attribute.set(state);
        }
        return state;
    }

    /**
     * Starts shaping this connection (the shaper, at connect): its replies are queued, and its lines go through a
     * {@link LineGate} placed just before James's command dispatcher.
     */
    void startShaping(ShapedConnection connection, ProtocolTransport transport, ProtocolSession session, LineGate.Shaper shaper) {
        shaping = connection;
        replies = new ReplyQueue(channel, reply -> transport.writeResponse(reply, session), gate, NANO_CLOCK);
        LineGate lines = new LineGate(replies, this, shaper);
        replies.whenIdle(lines::release);
        channel.pipeline().addBefore(CORE_HANDLER, LineGate.NAME, lines);
    }

    /** The shaper's policy state, or null when no shaper runs on this connection. */
    ShapedConnection shaping() {
        return shaping;
    }

    ReplyQueue replies() {
        return replies;
    }

    /** The recorder's counts, or null before its first call. */
    RecordedSignals signals() {
        return signals;
    }

    void signals(RecordedSignals counts) {
        this.signals = counts;
    }

    /** Reads at the class's command or DATA rate, installing the throttle the first time a class has rates. */
    void applyReadRates(ClassSettings settings, ConnectionRegistry registry, ShapingPolicy policy) {
        if (throttle == null) {
            if (settings.commandReadRate() <= 0 && settings.dataReadRate() <= 0) {
                return;
            }
            throttle = ReadThrottle.install(channel, gate, registry, shaping.addressKey(), shaping.subnetKey(),
                settings, policy.receiveBufferBytes(), policy.maxDelay().toNanos(), NANO_CLOCK);
        }
        throttle.retune(inData ? settings.dataReadRate() : settings.commandReadRate());
    }

    /** DATA was answered 354 and its end has not been read yet. */
    boolean inData() {
        return inData;
    }

    /** Whether the last HELO/EHLO offered PIPELINING (James offers it in its EHLO reply). */
    boolean pipeliningOffered() {
        return pipeliningOffered;
    }

    void pipeliningOffered(boolean offered) {
        pipeliningOffered = offered;
    }

    /** AUTH was answered 334: the next lines go to James's own AUTH line handler, whose replies pass no result handler. */
    boolean inAuth() {
        return inAuth;
    }

    void inAuth(boolean exchange) {
        inAuth = exchange;
    }

    /** Its greeting's last line was held for the pregreet test; cleared when its first command shows it waited. */
    boolean pregreeted() {
        return pregreeted;
    }

    void pregreeted(boolean held) {
        pregreeted = held;
    }

    /** Something against the sender was recorded on this connection (a spamtrap; the recorder's own flag for the rest). */
    void evidenceAgainst() {
        evidenceAgainst = true;
    }

    /** Whether anything against the sender was recorded on this connection: its standing is judged again at the end. */
    boolean hadEvidenceAgainst() {
        return evidenceAgainst || (signals != null && signals.evidenceAgainst);
    }

    /** A reply that ends the session has been given: nothing read after it may be executed. */
    boolean ending() {
        return ending;
    }

    void sessionEnding() {
        ending = true;
    }

    /** Switches between the command and the DATA read rate. */
    void enterData(boolean data) {
        if (inData == data) {
            return;
        }
        inData = data;
        if (throttle != null && shaping != null && !shaping.exempt()) {
            ClassSettings settings = shaping.settings();
            throttle.retune(data ? settings.dataReadRate() : settings.commandReadRate());
        }
    }

    /** Authenticated: never shaped again, and what is owed is written now. */
    void unshape() {
        shaping.unshape();
        if (throttle != null) {
            throttle.retune(0);
        }
        replies.flushNow();
    }

    /** Releases what the connection holds. Called once, at disconnect. */
    void close() {
        if (throttle != null) {
            throttle.release();
        }
        if (replies != null) {
            replies.clear();
        }
        if (shaping != null) {
            shaping.close();
        }
    }
}
