package org.jamesshaping.filter.fingerprint;

import java.time.Instant;

/** A known-spam fingerprint as stored in {@code spam_fingerprints}, with its provenance and hit count. */
public final class SpamSignature {
    /** Where a signature came from. The name is what MongoDB stores. */
    public enum Source {
        OPERATOR_REPORT("operator"),
        SPAMTRAP("spamtrap");

        private final String stored;

        Source(String stored) {
            this.stored = stored;
        }

        public String stored() {
            return stored;
        }

        public static Source fromStored(String value) {
            for (Source source : values()) {
                if (source.stored.equals(value)) {
                    return source;
                }
            }
            return OPERATOR_REPORT;
        }
    }

    private final Fingerprint fingerprint;
    private final String id;
    private final Source source;
    private final long hits;
    private final Instant firstSeen;
    private final Instant lastSeen;
    private final boolean operatorReported;

    /** A signature reported by its first source only. */
    public SpamSignature(Fingerprint fingerprint, Source source, long hits, Instant firstSeen, Instant lastSeen) {
        this(fingerprint, source, source == Source.OPERATOR_REPORT, hits, firstSeen, lastSeen);
    }

    public SpamSignature(Fingerprint fingerprint, Source source, boolean operatorReported, long hits, Instant firstSeen, Instant lastSeen) {
        this.fingerprint = fingerprint;
        this.id = fingerprint.id();
        this.source = source;
        this.operatorReported = operatorReported;
        this.hits = hits;
        this.firstSeen = firstSeen;
        this.lastSeen = lastSeen;
    }

    public Fingerprint fingerprint() {
        return fingerprint;
    }

    public String id() {
        return id;
    }

    public Source source() {
        return source;
    }

    /**
     * Whether an operator reported it, first or later. A signature only spamtraps reported says only that someone sent
     * this body to a trap, which anyone can do with a copy of mail they want flagged.
     */
    public boolean operatorReported() {
        return operatorReported;
    }

    public long hits() {
        return hits;
    }

    public Instant firstSeen() {
        return firstSeen;
    }

    public Instant lastSeen() {
        return lastSeen;
    }
}
