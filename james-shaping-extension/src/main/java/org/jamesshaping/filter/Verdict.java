package org.jamesshaping.filter;

import java.util.Optional;

/** What a content filter concluded about one message. */
public final class Verdict {
    /** Which filter spoke. */
    public enum Filter { FINGERPRINT, PREDICTIVE }

    /** The conclusion; {@link #header()} is what X-Shaping-Verdict and the mail attribute carry. */
    public enum Outcome {
        /** Matched a known-spam signature. */
        KNOWN_SPAM("known-spam"),
        /** The predictive model scored it at or above its threshold. */
        SPAM("spam"),
        /** The predictive model scored it below its threshold. */
        HAM("ham"),
        /** Fingerprinted (or too short to fingerprint) and not known: says nothing either way. */
        UNKNOWN("unknown"),
        /** The filter failed or its store was unavailable; the mail went through unjudged. */
        NOT_RUN("not-run");

        private final String header;

        Outcome(String header) {
            this.header = header;
        }

        public String header() {
            return header;
        }
    }

    private final Filter filter;
    private final Outcome outcome;
    private final double score;
    private final String fingerprintId;
    private final String reason;

    private Verdict(Filter filter, Outcome outcome, double score, String fingerprintId, String reason) {
        this.filter = filter;
        this.outcome = outcome;
        this.score = score;
        this.fingerprintId = fingerprintId;
        this.reason = reason;
    }

    public static Verdict knownSpam(String signatureId, double similarity) {
        return new Verdict(Filter.FINGERPRINT, Outcome.KNOWN_SPAM, similarity, signatureId, null);
    }

    public static Verdict unknown(String fingerprintId) {
        return new Verdict(Filter.FINGERPRINT, Outcome.UNKNOWN, 0, fingerprintId, null);
    }

    /** No known spam, with why a match did not count (e.g. {@code trap-only-match=ID}). */
    public static Verdict unknown(String fingerprintId, String reason) {
        return new Verdict(Filter.FINGERPRINT, Outcome.UNKNOWN, 0, fingerprintId, reason);
    }

    public static Verdict scored(double score, boolean spam) {
        return new Verdict(Filter.PREDICTIVE, spam ? Outcome.SPAM : Outcome.HAM, score, null, null);
    }

    public static Verdict notRun(Filter filter, String reason) {
        return new Verdict(filter, Outcome.NOT_RUN, Double.NaN, null, reason);
    }

    public Filter filter() {
        return filter;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** Spam probability for the predictive filter, similarity for a fingerprint match, NaN when not run. */
    public double score() {
        return score;
    }

    /** The matched signature's id (known spam) or the message's own fingerprint id. */
    public Optional<String> fingerprintId() {
        return Optional.ofNullable(fingerprintId);
    }

    /** Why the filter did not run. */
    public Optional<String> reason() {
        return Optional.ofNullable(reason);
    }

    @Override
    public String toString() {
        return filter + ":" + outcome.header() + (Double.isNaN(score) ? "" : " score=" + score)
            + (reason == null ? "" : " reason=" + reason);
    }
}
