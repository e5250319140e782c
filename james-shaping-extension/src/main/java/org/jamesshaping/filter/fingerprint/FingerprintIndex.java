package org.jamesshaping.filter.fingerprint;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jamesshaping.filter.content.Hashing64;

/**
 * An immutable in-memory LSH index of spam signatures. The signature is cut into {@link #BANDS} bands of
 * {@link #ROWS} MinHash values; two messages sharing any whole band are candidates, and a candidate matches when
 * the estimated Jaccard similarity reaches the threshold. With 40 bands of 3 rows a pair at similarity 0.5 becomes
 * a candidate with probability 1 - (1 - 0.5^3)^40 = 99.5%, one at 0.2 with 27%; the similarity check then
 * rejects the latter. A lookup costs 40 hash-map probes whatever the index size.
 *
 * <p>Updates build a new index ({@link #with}); readers holding the old one are never disturbed.</p>
 */
public final class FingerprintIndex {
    public static final int BANDS = 40;
    public static final int ROWS = 3;
    public static final FingerprintIndex EMPTY = new FingerprintIndex(Map.of());

    private final Map<String, SpamSignature> signatures;
    private final Map<Long, List<SpamSignature>> buckets;

    private FingerprintIndex(Map<String, SpamSignature> signatures) {
        this.signatures = signatures;
        this.buckets = new HashMap<>();
        for (SpamSignature signature : signatures.values()) {
            for (int band = 0; band < BANDS; band++) {
                buckets.computeIfAbsent(bandKey(signature.fingerprint(), band), key -> new ArrayList<>(1)).add(signature);
            }
        }
    }

    public static FingerprintIndex of(Collection<SpamSignature> signatures) {
        Map<String, SpamSignature> byId = new LinkedHashMap<>();
        signatures.forEach(signature -> byId.put(signature.id(), signature));
        return new FingerprintIndex(byId);
    }

    /** A new index with these signatures added or replaced (same id). */
    public FingerprintIndex with(Collection<SpamSignature> added) {
        if (added.isEmpty()) {
            return this;
        }
        Map<String, SpamSignature> byId = new LinkedHashMap<>(signatures);
        added.forEach(signature -> byId.put(signature.id(), signature));
        return new FingerprintIndex(byId);
    }

    /** A new index without these ids. */
    public FingerprintIndex without(Collection<String> removed) {
        if (removed.stream().noneMatch(signatures::containsKey)) {
            return this;
        }
        Map<String, SpamSignature> byId = new LinkedHashMap<>(signatures);
        removed.forEach(byId::remove);
        return new FingerprintIndex(byId);
    }

    static long bandKey(Fingerprint fingerprint, int band) {
        long key = band;
        for (int row = 0; row < ROWS; row++) {
            key = Hashing64.combine(key, fingerprint.minHash(band * ROWS + row));
        }
        return key;
    }

    /** The most similar signature at or above the threshold, if any. */
    public Optional<FingerprintMatch> bestMatch(Fingerprint fingerprint, double threshold) {
        SpamSignature best = null;
        double bestSimilarity = -1;
        for (int band = 0; band < BANDS; band++) {
            List<SpamSignature> bucket = buckets.get(bandKey(fingerprint, band));
            if (bucket == null) {
                continue;
            }
            for (SpamSignature candidate : bucket) {
                if (candidate == best) {
                    continue;
                }
                double similarity = fingerprint.similarity(candidate.fingerprint());
                if (similarity > bestSimilarity) {
                    best = candidate;
                    bestSimilarity = similarity;
                }
            }
        }
        return best != null && bestSimilarity >= threshold ? Optional.of(new FingerprintMatch(best, bestSimilarity)) : Optional.empty();
    }

    public int size() {
        return signatures.size();
    }

    public Optional<SpamSignature> get(String id) {
        return Optional.ofNullable(signatures.get(id));
    }
}
