package org.jamesshaping.smtp;

import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.smtp.core.DataCmdHandler;
import org.apache.james.protocols.smtp.core.HeloCmdHandler;
import org.apache.james.protocols.smtp.core.MailCmdHandler;
import org.apache.james.protocols.smtp.core.RcptCmdHandler;
import org.apache.james.protocols.smtp.core.UnknownCmdHandler;
import org.apache.james.protocols.smtp.core.esmtp.AuthCmdHandler;
import org.apache.james.protocols.smtp.core.esmtp.EhloCmdHandler;

/**
 * Which command a reply answers, told by the command handler that produced it: James passes a reply through the
 * result handlers once with that handler, and once more with the line handler that writes it.
 */
enum SmtpCommand {
    HELO, EHLO, MAIL, RCPT, DATA, AUTH,
    /** A command James does not know. */
    UNKNOWN,
    /** Any other command (NOOP, RSET, VRFY, ...). */
    OTHER;

    /** The command {@code handler} answered, or null when it is not a command handler (the line-level call). */
    static SmtpCommand answeredBy(ProtocolHandler handler) {
        if (!(handler instanceof CommandHandler)) {
            return null;
        }
        if (handler instanceof RcptCmdHandler) {
            return RCPT;
        }
        if (handler instanceof MailCmdHandler) {
            return MAIL;
        }
        if (handler instanceof DataCmdHandler) {
            return DATA;
        }
        if (handler instanceof HeloCmdHandler) {
            return HELO;
        }
        if (handler instanceof EhloCmdHandler) {
            return EHLO;
        }
        if (handler instanceof AuthCmdHandler) {
            return AUTH;
        }
        return handler instanceof UnknownCmdHandler ? UNKNOWN : OTHER;
    }

    boolean isGreeting() {
        return this == HELO || this == EHLO;
    }
}
