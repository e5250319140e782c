package org.jamesshaping.filter.content;

/**
 * Fast 64-bit hashing for tokens and shingles. The functions are fixed forever: signatures and models stored in
 * MongoDB or in model files were computed with them, so changing one silently invalidates all of them.
 */
public final class Hashing64 {
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private Hashing64() {
    }

    /** The SplitMix64 finaliser: a bijective mix with good avalanche. */
    public static long mix(long value) {
        long z = value + 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** FNV-1a over the UTF-16 units of a character range, finalised with {@link #mix}. */
    public static long hash(CharSequence text, int start, int end) {
        long hash = FNV_OFFSET;
        for (int i = start; i < end; i++) {
            hash ^= text.charAt(i);
            hash *= FNV_PRIME;
        }
        return mix(hash);
    }

    public static long hash(CharSequence text) {
        return hash(text, 0, text.length());
    }

    public static long combine(long first, long second) {
        return mix(first * 31 + second);
    }
}
