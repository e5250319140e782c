package org.jamesshaping.reputation;

import java.net.InetAddress;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.api.handler.DisconnectHandler;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataCmdHandler;
import org.apache.james.protocols.smtp.core.HeloCmdHandler;
import org.apache.james.protocols.smtp.core.RcptCmdHandler;
import org.apache.james.protocols.smtp.core.UnknownCmdHandler;
import org.apache.james.protocols.smtp.core.esmtp.EhloCmdHandler;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;
import org.jamesshaping.shaping.SmtpSessions;

/**
 * Turns what a client does over SMTP into reputation signals. It observes James's own verdicts (the reply each
 * command handler produced: "550 5.1.1" for an unknown user, 5xx syntax errors, ...) instead of re-checking
 * anything, and only adds to the in-memory write-behind buffer: nothing here waits.
 *
 * <p>Signals that speak for the sender (the connection, accepted recipients, the accepted message) are counted in
 * the session and recorded together when the message is accepted or the connection ends: one write-behind update
 * per key and connection instead of one per event, which is what a clean mail costs. Anything that speaks against
 * the sender is recorded at once, with what was counted before it, so that the shaper's next check on this
 * connection (at HELO/EHLO or MAIL FROM) and the rest of the fleet see it without waiting.</p>
 *
 * <ul>
 *   <li>connections, counted at the first command (or at disconnect if none), so that behind a PROXY-protocol
 *       load balancer the real client is credited;</li>
 *   <li>HELO/EHLO anomalies: an address literal that is not the client's, a name that is not a domain (read from
 *       the name James accepted, when it answers 250);</li>
 *   <li>recipients accepted and rejected, and among the rejected those James refused as unknown users
 *       (dictionary attacks); spamtrap recipients are recorded by {@link SpamtrapRecorder};</li>
 *   <li>unknown commands and other protocol errors (500, 501, 503, 504 replies);</li>
 *   <li>messages accepted, and messages aborted (DATA started, never finished).</li>
 * </ul>
 *
 * <p>Result and disconnect handlers and one message hook: James calls every hook of a chain for every command, so
 * observing its replies is the cheapest way to see what happens. No configuration.</p>
 */
public class SmtpSignalRecorder implements ProtocolHandlerResultHandler<Response, SMTPSession>, DisconnectHandler<SMTPSession>,
        JamesMessageHook {
    private static final ProtocolSession.AttachmentKey<Boolean> CONNECTION_COUNTED =
        ProtocolSession.AttachmentKey.of("shaping.connectionCounted", Boolean.class);
    private static final ProtocolSession.AttachmentKey<Boolean> IN_DATA =
        ProtocolSession.AttachmentKey.of("shaping.inData", Boolean.class);
    private static final ProtocolSession.AttachmentKey<SignalCounts> UNRECORDED =
        ProtocolSession.AttachmentKey.of("shaping.unrecordedSignals", SignalCounts.class);
    /** Signals for the sender, recorded with the next batch; everything else is recorded at once. */
    private static final Set<Signal> DEFERRED = EnumSet.of(Signal.CONNECTION, Signal.RECIPIENT_ACCEPTED, Signal.MESSAGE_ACCEPTED);
    /** A long session of clean transactions still reaches the store this often. */
    private static final int MAX_DEFERRED = 32;
    private static final Set<String> PROTOCOL_ERRORS = Set.of("500", "501", "503", "504");
    private static final Pattern DOMAIN = Pattern.compile(
        "(?i)^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?\\.?$");

    private final ReputationService reputation;

    @Inject
    public SmtpSignalRecorder(ReputationService reputation) {
        this.reputation = reputation;
    }

    @Override
    public void init(Configuration config) throws ConfigurationException {
        if (config.getStringArray("spamtrap").length > 0) {
            throw new ConfigurationException("SmtpSignalRecorder takes no <spamtrap>: configure spamtraps in a "
                + "<handler class=\"org.jamesshaping.reputation.SpamtrapRecorder\"> block");
        }
    }

    /** An address literal that is not the client's own, or a name that is not a fully qualified domain. */
    static boolean isHeloAnomaly(String helo, InetAddress client) {
        String name = helo == null ? "" : helo.trim();
        if (name.startsWith("[") && name.endsWith("]")) {
            String literal = name.substring(1, name.length() - 1);
            if (literal.regionMatches(true, 0, "IPv6:", 0, 5)) {
                literal = literal.substring(5);
            }
            try {
                return !ReputationKey.parseAddress(literal).equals(ReputationKey.normalize(client));
            } catch (IllegalArgumentException e) {
                return true;
            }
        }
        return !DOMAIN.matcher(name).matches();
    }

    @Override
    public Response onResponse(ProtocolSession session, Response response, long executionTime, ProtocolHandler handler) {
        // Called once with the command handler that answered, and once more with the line handler: only the
        // first says which command it was. Always hand the response back untouched (null would break JMX stats).
        if (response == null || !(handler instanceof CommandHandler)) {
            return response;
        }
        Optional<InetAddress> client = SmtpSessions.clientAddress(session);
        if (client.isEmpty()) {
            return response;
        }
        countConnectionOnce(session, client.get());
        String code = response.getRetCode();
        if (handler instanceof RcptCmdHandler) {
            if (isUnknownUser(response)) {
                unrecorded(session).add(Signal.UNKNOWN_RECIPIENT);
            }
            note(session, client.get(), isPositive(code) ? Signal.RECIPIENT_ACCEPTED : Signal.RECIPIENT_REJECTED);
        } else if (PROTOCOL_ERRORS.contains(code) || handler instanceof UnknownCmdHandler) {
            note(session, client.get(), Signal.PROTOCOL_VIOLATION);
        } else if (handler instanceof DataCmdHandler && "354".equals(code)) {
            session.setAttachment(IN_DATA, true, ProtocolSession.State.Connection);
        } else if ((handler instanceof HeloCmdHandler || handler instanceof EhloCmdHandler) && "250".equals(code)) {
            session.getAttachment(SMTPSession.CURRENT_HELO_NAME, ProtocolSession.State.Connection)
                .filter(helo -> isHeloAnomaly(helo, client.get()))
                .ifPresent(helo -> note(session, client.get(), Signal.HELO_ANOMALY));
        }
        return response;
    }

    /** Counts a signal in the session; records what the session holds now unless the signal can wait. */
    private void note(ProtocolSession session, InetAddress client, Signal signal) {
        SignalCounts counts = unrecorded(session).add(signal);
        if (!DEFERRED.contains(signal) || counts.count(Signal.RECIPIENT_ACCEPTED) + counts.count(Signal.CONNECTION) >= MAX_DEFERRED) {
            recordUnrecorded(session, client);
        }
    }

    private static SignalCounts unrecorded(ProtocolSession session) {
        Optional<SignalCounts> counts = session.getAttachment(UNRECORDED, ProtocolSession.State.Connection);
        if (counts.isPresent()) {
            return counts.get();
        }
        SignalCounts created = new SignalCounts();
        session.setAttachment(UNRECORDED, created, ProtocolSession.State.Connection);
        return created;
    }

    private void recordUnrecorded(ProtocolSession session, InetAddress client) {
        session.getAttachment(UNRECORDED, ProtocolSession.State.Connection).ifPresent(counts -> {
            reputation.record(client, counts);
            counts.clear();
        });
    }

    /** James answers an unknown local user with "550 5.1.1 ..." (bad destination mailbox, RFC 3463). */
    private static boolean isUnknownUser(Response response) {
        if (!response.getRetCode().startsWith("5")) {
            return false;
        }
        for (CharSequence line : response.getLines()) {
            String text = line.toString();
            if (text.contains(" 5.1.1 ") || text.startsWith("5.1.1")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void onDisconnect(SMTPSession session) {
        SmtpSessions.clientAddress(session).ifPresent(client -> {
            countConnectionOnce(session, client);
            if (session.getAttachment(IN_DATA, ProtocolSession.State.Connection).isPresent()) {
                unrecorded(session).add(Signal.MESSAGE_ABORTED);
            }
            recordUnrecorded(session, client);
        });
    }

    /**
     * The message is complete. The reply that ends DATA is written by the line handler James pushes for the
     * message, past the result handlers, so a message hook is the place to see it. A message the shaper is about
     * to refuse ({@link SmtpSessions#MESSAGES_REFUSED}) is not counted as accepted.
     */
    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        session.removeAttachment(IN_DATA, ProtocolSession.State.Connection);
        boolean refusedByShaping = session.getAttachment(SmtpSessions.MESSAGES_REFUSED, ProtocolSession.State.Connection).isPresent();
        SmtpSessions.clientAddress(session).ifPresent(client -> {
            if (!refusedByShaping) {
                unrecorded(session).add(Signal.MESSAGE_ACCEPTED);
            }
            recordUnrecorded(session, client);
        });
        return HookResult.DECLINED;
    }

    private void countConnectionOnce(ProtocolSession session, InetAddress client) {
        if (session.getAttachment(CONNECTION_COUNTED, ProtocolSession.State.Connection).isEmpty()) {
            session.setAttachment(CONNECTION_COUNTED, true, ProtocolSession.State.Connection);
            unrecorded(session).add(Signal.CONNECTION);
        }
    }

    private static boolean isPositive(String code) {
        return code != null && code.startsWith("2");
    }
}
