package org.jamesshaping.smtp;

import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.dsn.DSNStatus;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;

/** Every reply the extension writes itself, built once (but for the operator's reason, which is made safe here). */
final class SmtpReplies {
    private static final String TEMPORARY_POLICY = DSNStatus.getStatus(DSNStatus.TRANSIENT, DSNStatus.SECURITY_OTHER);
    private static final String REFUSED = DSNStatus.getStatus(DSNStatus.PERMANENT, DSNStatus.SECURITY_AUTH);
    private static final int MAX_REASON = 200;

    /** RFC 5321 4.5.3.1.10: too many recipients is 452, and the client sends the rest in another transaction. */
    static final HookResult TOO_MANY_RECIPIENTS = HookResult.builder()
        .hookReturnCode(HookReturnCode.denySoft())
        .smtpReturnCode(SMTPRetCode.SYSTEM_STORAGE_ERROR)
        .smtpDescription(DSNStatus.getStatus(DSNStatus.TRANSIENT, DSNStatus.DELIVERY_TOO_MANY_REC) + " Too many recipients in one transaction")
        .build();
    /** Permanent: a retrying MTA would only bring the message back (an early 4xx invites retry storms). */
    static final HookResult MESSAGE_REFUSED = HookResult.builder()
        .hookReturnCode(HookReturnCode.deny())
        .smtpReturnCode(SMTPRetCode.MAILBOX_PERM_UNAVAILABLE)
        .smtpDescription(REFUSED + " Message refused: poor sender reputation")
        .build();
    static final Response TOO_MANY_MESSAGES = ending(SMTPRetCode.SERVICE_NOT_AVAILABLE,
        TEMPORARY_POLICY + " Too many messages in one connection, please reconnect later");
    static final Response TOO_MUCH_AHEAD = ending(SMTPRetCode.SERVICE_NOT_AVAILABLE,
        TEMPORARY_POLICY + " Too many commands sent ahead of their replies");
    static final Response POOR_REPUTATION = ending(SMTPRetCode.TRANSACTION_FAILED, REFUSED + " Your address has a poor reputation here");

    private SmtpReplies() {
    }

    /** {@code 421 4.7.0 <limit>, try again later}, ending the session: over a limit of the sender's class. */
    static Response overLimit(String limit) {
        return ending(SMTPRetCode.SERVICE_NOT_AVAILABLE, TEMPORARY_POLICY + " " + limit + ", try again later");
    }

    /** {@code 554 5.7.1 <operator's reason>}, ending the session. */
    static Response operatorBlock(String reason) {
        return ending(SMTPRetCode.TRANSACTION_FAILED, operatorBlockDescription(reason));
    }

    /**
     * The text of the {@code 554} an operator's block entry gets: the operator's reason goes on the wire, so it is
     * made one line of printable ASCII of at most {@value #MAX_REASON} characters (a CR LF would end the reply).
     */
    static String operatorBlockDescription(String reason) {
        StringBuilder builder = new StringBuilder();
        for (char c : reason.toCharArray()) {
            builder.append(c >= 0x20 && c < 0x7f ? c : ' ');
        }
        String printable = builder.toString().trim();
        return REFUSED + " " + (printable.length() > MAX_REASON ? printable.substring(0, MAX_REASON) : printable);
    }

    private static Response ending(String code, String text) {
        SMTPResponse reply = new SMTPResponse(code, text);
        reply.setEndSession(true);
        return reply.immutable();
    }
}
