package org.jamesshaping.filter.mailet;

import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.jamesshaping.filter.Verdict;

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

    private ShapingHeaders() {
    }

    /** Whether the fingerprint filter judged the mail known spam (its verdict attribute). */
    static boolean isKnownSpam(Mail mail) {
        return mail.getAttribute(VERDICT_ATTRIBUTE)
            .map(attribute -> attribute.getValue().value())
            .map(Verdict.Outcome.KNOWN_SPAM.header()::equals)
            .orElse(false);
    }
}
