package org.jamesshaping.filter.mailet;

import java.util.Optional;

import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.jamesshaping.filter.Verdict;
import org.jamesshaping.scoring.ClassDecision;

/** The headers and mail attributes the content filters write. */
public final class ShapingHeaders {
    public static final String FINGERPRINT = "X-Shaping-Fingerprint";
    public static final String SCORE = "X-Shaping-Score";
    public static final String VERDICT = "X-Shaping-Verdict";

    /** String: the matched signature id, or the message's own fingerprint id. */
    public static final AttributeName FINGERPRINT_ATTRIBUTE = AttributeName.of("org.jamesshaping.filter.fingerprint");
    /** Double: the predictive score, or the similarity of a known-spam match. */
    public static final AttributeName SCORE_ATTRIBUTE = AttributeName.of("org.jamesshaping.filter.score");
    /** String: known-spam, spam, ham, unknown or not-run (see {@link Verdict.Outcome#header()}). */
    public static final AttributeName VERDICT_ATTRIBUTE = AttributeName.of("org.jamesshaping.filter.verdict");

    /** Integer: the class of the connection that delivered the mail, set by the shaper at the end of DATA. */
    static final AttributeName SENDER_CLASS_ATTRIBUTE = AttributeName.of(ClassDecision.MAIL_ATTRIBUTE);

    private ShapingHeaders() {
    }

    /** The shaper's class of the mail's connection; empty for mail from relay networks, mailets or other protocols. */
    static Optional<Integer> senderClass(Mail mail) {
        return mail.getAttribute(SENDER_CLASS_ATTRIBUTE)
            .map(attribute -> attribute.getValue().value())
            .filter(Integer.class::isInstance)
            .map(Integer.class::cast);
    }

    /** Whether the fingerprint filter judged the mail known spam (its verdict attribute). */
    static boolean isKnownSpam(Mail mail) {
        return mail.getAttribute(VERDICT_ATTRIBUTE)
            .map(attribute -> attribute.getValue().value())
            .map(Verdict.Outcome.KNOWN_SPAM.header()::equals)
            .orElse(false);
    }
}
