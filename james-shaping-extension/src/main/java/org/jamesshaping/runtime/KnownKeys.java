package org.jamesshaping.runtime;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.slf4j.Logger;

/**
 * The keys a piece of the extension's configuration reads, to warn at start about the others: a misspelt key is
 * otherwise ignored and its default silently applies. The warning names the closest known key.
 */
public final class KnownKeys {
    private final String where;
    private final Set<String> known;

    /** @param where how the operator finds the place, e.g. {@code conf/shaping.properties} */
    public KnownKeys(String where, Collection<String> known) {
        this.where = where;
        this.known = new TreeSet<>(known);
    }

    /** The keys given that are not known, in the order given, each once. */
    public List<String> unknown(Iterable<String> keys) {
        List<String> unknown = new ArrayList<>();
        for (String key : keys) {
            if (!known.contains(key) && !unknown.contains(key)) {
                unknown.add(key);
            }
        }
        return unknown;
    }

    /** The known key nearest to {@code key} (edit distance, ignoring case), when near enough to be a slip. */
    public Optional<String> closest(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int distance = distance(key.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        // A third of the key's length: catches typos and a missing or extra word part, not unrelated keys.
        if (best != null && bestDistance <= Math.max(2, key.length() / 3)) {
            return Optional.of(best);
        }
        // A key cut short or run on by whole parts: cache.refresh for cache.refresh.interval.
        for (String candidate : known) {
            if (candidate.startsWith(key + ".") || key.startsWith(candidate + ".")) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** One warning line per unknown key; returns them (for tests). */
    public List<String> warnUnknown(Logger logger, Iterable<String> keys) {
        List<String> warnings = new ArrayList<>();
        for (String key : unknown(keys)) {
            String warning = where + ": unknown key '" + key + "' is ignored"
                + closest(key).map(candidate -> "; did you mean '" + candidate + "'?").orElse("; known keys: " + known);
            logger.warn(warning);
            warnings.add(warning);
        }
        return warnings;
    }

    /** Levenshtein distance; keys are short (under 40 characters), so the quadratic table is nothing. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
