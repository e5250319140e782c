package org.jamesshaping.filter.fingerprint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.jamesshaping.filter.content.Hashing64;

/**
 * An in-memory LSH index of spam signatures. The signature is cut into {@link #BANDS} bands of {@link #ROWS}
 * MinHash values; two messages sharing any whole band are candidates, and a candidate matches when the estimated
 * Jaccard similarity reaches the threshold. With 40 bands of 3 rows a pair at similarity 0.5 becomes a candidate
 * with probability 1 - (1 - 0.5^3)^40 = 99.5%, one at 0.2 with 27%; the similarity check then rejects the latter.
 * A lookup costs 40 hash-map probes whatever the index size.
 *
 * <p>Updated in place, one signature at a time ({@link #add}, {@link #remove}: 40 bucket writes each, whatever the
 * index size), by one writer at a time; lookups run concurrently without locks. Each bucket is a small array
 * replaced whole on write, so a reader sees a bucket before or after a change, never half of it.</p>
 */
public final class FingerprintIndex {
    public static final int BANDS = 40;
    public static final int ROWS = 3;
    private static final SpamSignature[] NONE = new SpamSignature[0];

    private final ConcurrentHashMap<String, SpamSignature> signatures = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, SpamSignature[]> buckets = new ConcurrentHashMap<>();

    public FingerprintIndex() {
    }

    public static FingerprintIndex of(Collection<SpamSignature> signatures) {
        FingerprintIndex index = new FingerprintIndex();
        index.add(signatures);
        return index;
    }

    /**
     * Adds these signatures, or replaces those with the same id. Each bucket they land in is copied once for the
     * whole batch, so a full load costs as much as building lists, however many signatures share a bucket.
     */
    public synchronized void add(Collection<SpamSignature> added) {
        Map<String, SpamSignature> latest = new LinkedHashMap<>();
        added.forEach(signature -> latest.put(signature.id(), signature));
        Map<Long, List<SpamSignature>> byBucket = new HashMap<>();
        for (SpamSignature signature : latest.values()) {
            SpamSignature previous = signatures.put(signature.id(), signature);
            if (previous != null) {
                unband(previous);
            }
            for (int band = 0; band < BANDS; band++) {
                byBucket.computeIfAbsent(bandKey(signature.fingerprint(), band), key -> new ArrayList<>(1)).add(signature);
            }
        }
        byBucket.forEach((key, more) -> buckets.merge(key, more.toArray(NONE), FingerprintIndex::concat));
    }

    /** Removes the signature with this id; false when there is none. */
    public synchronized boolean remove(String id) {
        SpamSignature removed = signatures.remove(id);
        if (removed == null) {
            return false;
        }
        unband(removed);
        return true;
    }

    private void unband(SpamSignature signature) {
        for (int band = 0; band < BANDS; band++) {
            buckets.computeIfPresent(bandKey(signature.fingerprint(), band), (key, bucket) -> {
                SpamSignature[] kept = Arrays.stream(bucket).filter(other -> other != signature).toArray(SpamSignature[]::new);
                return kept.length == 0 ? null : kept;
            });
        }
    }

    private static SpamSignature[] concat(SpamSignature[] bucket, SpamSignature[] more) {
        SpamSignature[] joined = Arrays.copyOf(bucket, bucket.length + more.length);
        System.arraycopy(more, 0, joined, bucket.length, more.length);
        return joined;
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
            for (SpamSignature candidate : buckets.getOrDefault(bandKey(fingerprint, band), NONE)) {
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
