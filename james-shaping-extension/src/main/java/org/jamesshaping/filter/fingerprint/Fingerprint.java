package org.jamesshaping.filter.fingerprint;

import java.util.Arrays;

import org.jamesshaping.filter.content.Hashing64;

/**
 * A locality-sensitive digest of a message body: a MinHash signature over word shingles of the normalised text.
 * Two messages whose shingle sets overlap with Jaccard similarity J agree on each MinHash value with probability J,
 * so a spammer's small variations change a few values but not the resemblance.
 */
public final class Fingerprint {
    private final int[] minHashes;
    private final int shingleCount;

    public Fingerprint(int[] minHashes, int shingleCount) {
        this.minHashes = minHashes.clone();
        this.shingleCount = shingleCount;
    }

    public int[] minHashes() {
        return minHashes.clone();
    }

    int minHash(int index) {
        return minHashes[index];
    }

    public int size() {
        return minHashes.length;
    }

    /** How many distinct shingles the text had; a small number means a short, less distinctive text. */
    public int shingleCount() {
        return shingleCount;
    }

    /** Estimated Jaccard similarity of the two shingle sets: the fraction of equal MinHash values. */
    public double similarity(Fingerprint other) {
        if (other.minHashes.length != minHashes.length) {
            return 0;
        }
        int equal = 0;
        for (int i = 0; i < minHashes.length; i++) {
            if (minHashes[i] == other.minHashes[i]) {
                equal++;
            }
        }
        return (double) equal / minHashes.length;
    }

    /** A stable identifier: 16 hex digits hashed from the signature (what the X-Shaping-Fingerprint header shows). */
    public String id() {
        long hash = 0xcbf29ce484222325L;
        for (int value : minHashes) {
            hash = Hashing64.mix(hash ^ value);
        }
        return String.format("%016x", hash);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Fingerprint && Arrays.equals(minHashes, ((Fingerprint) other).minHashes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(minHashes);
    }

    @Override
    public String toString() {
        return "Fingerprint{" + id() + ", shingles=" + shingleCount + "}";
    }
}
