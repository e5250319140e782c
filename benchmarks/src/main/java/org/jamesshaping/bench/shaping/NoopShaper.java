package org.jamesshaping.bench.shaping;

import java.util.Map;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.DisconnectHandler;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.james.smtpserver.JamesWelcomeMessageHandler;
import org.apache.mailet.Mail;

/**
 * For the overhead benchmark's N variant only: a handler with the shaper's place and interfaces in James's chain
 * (connect, disconnect, reply, RCPT and message hook) that does nothing but write the greeting, as the shaper does
 * in place of James's welcome handler. What James itself spends on dispatching to the shaper, apart from the
 * shaper's own work.
 */
public class NoopShaper implements ConnectHandler<SMTPSession>, DisconnectHandler<SMTPSession>,
        ProtocolHandlerResultHandler<Response, SMTPSession>, RcptHook, JamesMessageHook {
    private final JamesWelcomeMessageHandler welcome = new JamesWelcomeMessageHandler();

    @Override
    public Response onConnect(SMTPSession session) {
        return welcome.onConnect(session);
    }

    @Override
    public void onDisconnect(SMTPSession session) {
    }

    @Override
    public Response onResponse(ProtocolSession session, Response response, long executionTime, ProtocolHandler handler) {
        return response;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt, Map<String, String> parameters) {
        return HookResult.DECLINED;
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        return HookResult.DECLINED;
    }
}
