package org.jamesshaping.filter.fingerprint;

/** A message's fingerprint matched a known-spam signature with this estimated similarity. */
public final class FingerprintMatch {
    private final SpamSignature signature;
    private final double similarity;

    public FingerprintMatch(SpamSignature signature, double similarity) {
        this.signature = signature;
        this.similarity = similarity;
    }

    public SpamSignature signature() {
        return signature;
    }

    public double similarity() {
        return similarity;
    }
}
