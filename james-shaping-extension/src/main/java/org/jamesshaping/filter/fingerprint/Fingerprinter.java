package org.jamesshaping.filter.fingerprint;

import java.util.List;
import java.util.Optional;

import org.jamesshaping.filter.content.BodyNormalizer;
import org.jamesshaping.filter.content.Deadline;
import org.jamesshaping.filter.content.Hashing64;
import org.jamesshaping.filter.content.MessageContent;

/**
 * Computes {@link Fingerprint}s: normalised words, overlapping word shingles, and a MinHash signature over the set
 * of shingles. Stateless and thread-safe.
 *
 * <p>Texts too short to be distinctive get no fingerprint at all: empty bodies, attachment-only messages and
 * one-liners are the same across unrelated senders, and fingerprinting them floods the store with false positives
 * (Pyzor's well-known problem with empty bodies).</p>
 */
public final class Fingerprinter {
    public static final int SIGNATURE_SIZE = 120;
    public static final int SHINGLE_WORDS = 3;
    public static final int DEFAULT_MIN_TEXT_CHARS = 200;
    private static final int MIN_SHINGLES = 12;
    private static final long[] SEEDS = seeds();
    private static final int SHINGLES_PER_DEADLINE_CHECK = 1_024;

    private final BodyNormalizer normalizer = new BodyNormalizer();
    private final int minTextChars;

    public Fingerprinter(int minTextChars) {
        this.minTextChars = minTextChars;
    }

    public Fingerprinter() {
        this(DEFAULT_MIN_TEXT_CHARS);
    }

    private static long[] seeds() {
        long[] seeds = new long[SIGNATURE_SIZE];
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = Hashing64.mix(0x5eed_0000L + i);
        }
        return seeds;
    }

    public Optional<Fingerprint> fingerprint(MessageContent content) {
        return fingerprint(content.bodyText());
    }

    /** As {@link #fingerprint(MessageContent)}, giving up with {@link Deadline.Exceeded} once the deadline has passed. */
    public Optional<Fingerprint> fingerprint(MessageContent content, Deadline deadline) {
        return fingerprint(content.bodyText(), deadline);
    }

    public Optional<Fingerprint> fingerprint(String bodyText) {
        return fingerprint(bodyText, Deadline.NONE);
    }

    public Optional<Fingerprint> fingerprint(String bodyText, Deadline deadline) {
        List<String> tokens = normalizer.tokens(bodyText, deadline);
        int normalisedChars = 0;
        long[] tokenHashes = new long[tokens.size()];
        for (int i = 0; i < tokenHashes.length; i++) {
            String token = tokens.get(i);
            normalisedChars += token.length() + 1;
            tokenHashes[i] = Hashing64.hash(token);
        }
        int shingleCount = tokenHashes.length - SHINGLE_WORDS + 1;
        if (normalisedChars < minTextChars || shingleCount < MIN_SHINGLES) {
            return Optional.empty();
        }
        int[] minHashes = new int[SIGNATURE_SIZE];
        java.util.Arrays.fill(minHashes, Integer.MAX_VALUE);
        for (int start = 0; start < shingleCount; start++) {
            if (start % SHINGLES_PER_DEADLINE_CHECK == 0) {
                deadline.check();
            }
            long shingle = tokenHashes[start];
            for (int k = 1; k < SHINGLE_WORDS; k++) {
                shingle = Hashing64.combine(shingle, tokenHashes[start + k]);
            }
            for (int i = 0; i < SIGNATURE_SIZE; i++) {
                int value = (int) (Hashing64.mix(shingle ^ SEEDS[i]) >>> 33);
                if (value < minHashes[i]) {
                    minHashes[i] = value;
                }
            }
        }
        return Optional.of(new Fingerprint(minHashes, shingleCount));
    }
}
