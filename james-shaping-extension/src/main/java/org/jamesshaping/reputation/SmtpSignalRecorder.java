package org.jamesshaping.reputation;

import java.net.InetAddress;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.api.handler.DisconnectHandler;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.RcptCmdHandler;
import org.apache.james.protocols.smtp.core.UnknownCmdHandler;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;
import org.jamesshaping.shaping.SmtpSessions;

/**
 * Turns what a client does over SMTP into reputation signals. It observes James's own verdicts (the reply each
 * command handler produced) instead of re-checking anything, and only adds to the in-memory write-behind
 * buffer: nothing here waits.
 *
 * <p>A connection is counted at its first command, or at disconnect if it sent none, so that behind a
 * PROXY-protocol load balancer the real client is credited.</p>
 *
 * <pre>{@code <handler class="org.jamesshaping.reputation.SmtpSignalRecorder"/>}</pre>
 */
public class SmtpSignalRecorder implements ProtocolHandlerResultHandler<Response, SMTPSession>, DisconnectHandler<SMTPSession>,
        JamesMessageHook {
    private static final ProtocolSession.AttachmentKey<Boolean> CONNECTION_COUNTED =
        ProtocolSession.AttachmentKey.of("shaping.connectionCounted", Boolean.class);

    private final ReputationService reputation;

    @Inject
    public SmtpSignalRecorder(ReputationService reputation) {
        this.reputation = reputation;
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
            reputation.record(client.get(), isPositive(code) ? Signal.RECIPIENT_ACCEPTED : Signal.RECIPIENT_REJECTED);
        } else if (handler instanceof UnknownCmdHandler) {
            reputation.record(client.get(), Signal.PROTOCOL_VIOLATION);
        }
        return response;
    }

    @Override
    public void onDisconnect(SMTPSession session) {
        SmtpSessions.clientAddress(session).ifPresent(client -> countConnectionOnce(session, client));
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        SmtpSessions.clientAddress(session).ifPresent(client -> reputation.record(client, Signal.MESSAGE_ACCEPTED));
        return HookResult.DECLINED;
    }

    private void countConnectionOnce(ProtocolSession session, InetAddress client) {
        if (session.getAttachment(CONNECTION_COUNTED, ProtocolSession.State.Connection).isEmpty()) {
            session.setAttachment(CONNECTION_COUNTED, true, ProtocolSession.State.Connection);
            reputation.record(client, Signal.CONNECTION);
        }
    }

    private static boolean isPositive(String code) {
        return code != null && code.startsWith("2");
    }
}
