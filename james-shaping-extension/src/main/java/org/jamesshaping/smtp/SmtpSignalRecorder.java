package org.jamesshaping.smtp;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MailAddress;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.DisconnectHandler;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.jamesshaping.scoring.Scoring;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.scoring.SignalCounts;
import org.jamesshaping.store.ReputationKey;
import org.jamesshaping.store.ReputationStore;


/**
 * Turns what a client does over SMTP into reputation signals. It observes James's own verdicts (the reply each
 * command handler produced: "550 5.1.1" for an unknown user, 5xx syntax errors, ...) instead of re-checking
 * anything, and only adds to the in-memory write-behind buffer: nothing here waits.
 *
 * <p>Signals that speak for the sender (the connection, accepted recipients, the accepted message) are counted in
 * the session and handed over together when the session moves past the message (its next command) or ends; the
 * store adds them to this thread's sum for the address, which it collects in the background (written within five
 * flush intervals): that is all a clean mail costs here. Anything that speaks against the sender is recorded at once, with what was counted
 * before it, so that the shaper's next check on this connection (after HELO/EHLO or MAIL FROM) and the rest of the
 * fleet see it without waiting.</p>
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
 * <p>A result handler and a disconnect handler, no hook: James dispatches every hook of a chain on every command,
 * so observing its replies is the cheapest way to see what happens. The reply that ends DATA is written past the
 * result handlers, so a message is known to be complete at the next command, or at disconnect once James has
 * closed its transaction. No configuration.</p>
 */
public class SmtpSignalRecorder implements ProtocolHandlerResultHandler<Response, SMTPSession>, DisconnectHandler<SMTPSession> {
    /** A long session of clean transactions still reaches the store this often. */
    private static final int MAX_DEFERRED = 32;

    private final ReputationStore reputation;
    private final Scoring scoring;

    @Inject
    public SmtpSignalRecorder(ReputationStore reputation, Scoring scoring) {
        this.reputation = reputation;
        this.scoring = scoring;
    }

    @Override
    public void init(Configuration config) throws ConfigurationException {
        ChannelAccess.verify();
        if (config.getStringArray("spamtrap").length > 0) {
            throw new ConfigurationException("SmtpSignalRecorder takes no <spamtrap>: configure spamtraps in a "
                + "<handler class=\"org.jamesshaping.smtp.SpamtrapRecorder\"> block");
        }
        HandlerKeys.warnUnknown(SmtpSignalRecorder.class, config, Set.of());
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
                InetAddress named = ReputationKey.parseAddress(literal);
                InetAddress own = ReputationKey.normalize(client);
                // An MTA behind NAT names the private address it has: no lie about who it is.
                return !named.equals(own) && !(isPrivate(named) && !isPrivate(own));
            } catch (IllegalArgumentException e) {
                return true;
            }
        }
        return !isDomainName(name);
    }

    /** RFC 1918 and RFC 6598 (carrier NAT) IPv4, IPv6 unique local (fc00::/7), link-local or loopback. */
    static boolean isPrivate(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length == 4) {
            int first = bytes[0] & 0xff;
            int second = bytes[1] & 0xff;
            return first == 10 || (first == 172 && second >= 16 && second <= 31) || (first == 192 && second == 168)
                || (first == 100 && second >= 64 && second <= 127) || address.isLoopbackAddress() || address.isLinkLocalAddress();
        }
        return (bytes[0] & 0xfe) == 0xfc || address.isLinkLocalAddress() || address.isLoopbackAddress();
    }

    /**
     * A fully qualified domain name (RFC 1035 preferred syntax): at most 253 characters, two labels or more of 1
     * to 63 letters, digits and inner hyphens, a top-level label that starts with a letter, an optional final
     * dot. Checked by hand: a regular expression cost more than the rest of the recorder per connection.
     */
    static boolean isDomainName(String name) {
        int end = name.endsWith(".") ? name.length() - 1 : name.length();
        if (end == 0 || name.length() > 253) {
            return false;
        }
        int labels = 0;
        int labelStart = 0;
        for (int i = 0; i <= end; i++) {
            char c = i == end ? '.' : name.charAt(i);
            if (c == '.') {
                int length = i - labelStart;
                if (length < 1 || length > 63 || name.charAt(labelStart) == '-' || name.charAt(i - 1) == '-') {
                    return false;
                }
                labels++;
                if (i == end) {
                    return labels >= 2 && isAsciiLetter(name.charAt(labelStart));
                }
                labelStart = i + 1;
            } else if (!isAsciiLetter(c) && !(c >= '0' && c <= '9') && c != '-') {
                return false;
            }
        }
        return false;
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** 500, 501, 503 and 504: what James answers to a malformed, misplaced or unsupported command. */
    private static boolean isProtocolError(String code) {
        return code != null && code.length() == 3 && code.charAt(0) == '5' && code.charAt(1) == '0'
            && (code.charAt(2) == '0' || code.charAt(2) == '1' || code.charAt(2) == '3' || code.charAt(2) == '4');
    }

    @Override
    public Response onResponse(ProtocolSession session, Response response, long executionTime, ProtocolHandler handler) {
        // Called once with the command handler that answered, and once more with the line handler: only the
        // first says which command it was. Always hand the response back untouched (null would break JMX stats).
        SmtpCommand command = response == null ? null : SmtpCommand.answeredBy(handler);
        RecordedSignals signals = command == null ? null : signals(session);
        if (signals == null) {
            return response;
        }
        countConnectionOnce(signals);
        if (signals.inData) {
            // A command after DATA's 354: the message was read to its end.
            messageDone(session, signals);
        }
        authDone(session, signals);
        String code = response.getRetCode();
        if (command == SmtpCommand.MAIL && isPositive(code)) {
            signals.transactionRecipients = 0;
            signals.transactionUnknown = 0;
        }
        if (command == SmtpCommand.RCPT) {
            if (isUnknownUser(response)) {
                signals.unrecorded.add(Signal.UNKNOWN_RECIPIENT);
                signals.transactionUnknown++;
            }
            if (isPositive(code)) {
                signals.transactionRecipients = distinctRecipients(session);
            }
            note(signals, isPositive(code) ? Signal.RECIPIENT_ACCEPTED : Signal.RECIPIENT_REJECTED);
        } else if (command == SmtpCommand.AUTH) {
            if ("535".equals(code)) {
                note(signals, Signal.AUTH_FAILURE);
            } else if ("334".equals(code)) {
                // The rest of the exchange goes to a line handler of James's own, past the result handlers.
                signals.authPending = true;
            }
        } else if (isProtocolError(code) || command == SmtpCommand.UNKNOWN) {
            note(signals, Signal.PROTOCOL_VIOLATION);
        } else if (command == SmtpCommand.DATA && "354".equals(code)) {
            signals.inData = true;
        } else if (command.isGreeting() && "250".equals(code)) {
            String helo = session.getAttachment(SMTPSession.CURRENT_HELO_NAME, ProtocolSession.State.Connection).orElse(null);
            if (helo != null && isHeloAnomaly(helo, signals.client)) {
                note(signals, Signal.HELO_ANOMALY);
            }
        }
        return response;
    }

    /**
     * Counts a signal in the session; records what the session holds now unless the signal speaks for the sender
     * (those wait for the message or the end of the connection).
     */
    private void note(RecordedSignals signals, Signal signal) {
        SignalCounts counts = signals.unrecorded.add(signal);
        if (!signal.speaksForSender() || counts.count(Signal.RECIPIENT_ACCEPTED) + counts.count(Signal.CONNECTION) >= MAX_DEFERRED) {
            record(signals);
        }
    }

    /** The connection's signals, created at the first call; null when the session has no client address. */
    private static RecordedSignals signals(ProtocolSession session) {
        ConnectionState state = ConnectionState.of(session);
        if (state == null) {
            return null;
        }
        if (state.signals() == null) {
            Optional<InetAddress> client = SmtpSessions.clientAddress(session);
            if (client.isEmpty()) {
                return null;
            }
            state.signals(new RecordedSignals(client.get()));
        }
        return state.signals();
    }

    private void record(RecordedSignals signals) {
        if (!signals.unrecorded.onlyForSender()) {
            signals.evidenceAgainst = true;
        }
        reputation.record(signals.client, signals.unrecorded);
        signals.unrecorded.clear();
    }

    /** The transaction's distinct accepted recipients: the same one named fifty times is one. */
    private static int distinctRecipients(ProtocolSession session) {
        List<MailAddress> recipients = session.getAttachment(SMTPSession.RCPT_LIST, State.Transaction).orElse(List.of());
        return recipients.size() <= 1 ? recipients.size() : new HashSet<>(recipients).size();
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
        RecordedSignals signals = signals(session);
        if (signals == null) {
            return;
        }
        countConnectionOnce(signals);
        authDone(session, signals);
        if (signals.inData) {
            // James closes the transaction (forgets its sender) once the message is read to its end and handled.
            if (session.getAttachment(SMTPSession.SENDER, State.Transaction).isPresent()) {
                signals.inData = false;
                signals.unrecorded.add(Signal.MESSAGE_ABORTED);
            } else {
                messageDone(session, signals);
            }
        }
        record(signals);
    }

    /** An AUTH exchange under way when the session moves on: it failed (or was given up) unless the session is authenticated. */
    private void authDone(ProtocolSession session, RecordedSignals signals) {
        if (signals.authPending) {
            signals.authPending = false;
            if (((SMTPSession) session).getUsername() == null) {
                note(signals, Signal.AUTH_FAILURE);
            }
        }
    }

    /**
     * A message read to its end counts as accepted unless the shaper's class refuses messages at the end of DATA (the
     * recorder does not see the reply that ends DATA): a sender in that class must not earn its way out by being refused.
     */
    private void messageDone(ProtocolSession session, RecordedSignals signals) {
        signals.inData = false;
        ConnectionState state = ConnectionState.of(session);
        boolean refused = state != null && state.shaping() != null && state.shaping().refusesMessages();
        if (!refused) {
            int counted = scoring.classifier().settings().countedRecipients(signals.transactionRecipients);
            signals.unrecorded.add(Signal.MESSAGE_ACCEPTED).add(Signal.RECIPIENT_DELIVERED, counted);
            if (signals.transactionRecipients > counted && signals.transactionUnknown > 0) {
                // A list of many good addresses and a few dead ones: its dead ones weigh as its recipients do, at the
                // same share (a dictionary attack sends no message, or few recipients, and keeps its weight).
                long kept = (long) signals.transactionUnknown * counted / signals.transactionRecipients;
                signals.unrecorded.add(Signal.UNKNOWN_RECIPIENT, -(signals.transactionUnknown - kept));
            }
        }
        signals.transactionRecipients = 0;
        signals.transactionUnknown = 0;
        record(signals);
    }

    private static void countConnectionOnce(RecordedSignals signals) {
        if (!signals.connectionCounted) {
            signals.connectionCounted = true;
            signals.unrecorded.add(Signal.CONNECTION);
        }
    }

    private static boolean isPositive(String code) {
        return code != null && code.startsWith("2");
    }
}
