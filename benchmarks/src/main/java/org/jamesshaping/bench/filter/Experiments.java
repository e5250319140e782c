package org.jamesshaping.bench.filter;

import java.util.Arrays;
import java.util.Locale;

import org.jamesshaping.filter.content.Hashing64;
import org.jamesshaping.filter.content.MessageContent;

/**
 * Candidate features and threshold rules compared on the time split before any goes into the filter (issue 23;
 * docs/benchmarks-filters.md, "What each change did"): {@code -Dbench.extra=chargrams:MIN_N-MAX_N:MIN_WORD} adds
 * character n-grams of the body's words, {@code -Dbench.extra=align} sender-alignment features (comma-separated,
 * both may be given); the threshold rules are printed on every run. Features are hashed into the same buckets as
 * {@link org.jamesshaping.filter.predictive.FeatureExtractor}'s, so one moved there scores exactly as measured here.
 */
final class Experiments {
    /** Words read for character n-grams at most, and n-grams added at most: the cost stays linear and bounded. */
    private static final int MAX_GRAM_WORDS = 4_000;
    private static final int MAX_GRAMS = 6_000;
    private static final int MAX_WORD = 40;
    private static final long CHAR_GRAM = Hashing64.hash("char-gram");
    private static final long ALIGN = Hashing64.hash("align");

    private Experiments() {
    }

    static String spec() {
        return System.getProperty("bench.extra", "");
    }

    /** The extra feature indices {@code spec} asks for, unsorted, possibly repeated. */
    static int[] extraFeatures(MessageContent content, int dimensionBits, String spec) {
        int mask = (1 << dimensionBits) - 1;
        long[] hashes = new long[16];
        int size = 0;
        for (String part : spec.split(",")) {
            long[] found;
            if (part.startsWith("chargrams:")) {
                String[] fields = part.substring("chargrams:".length()).split("[-:]");
                found = charGrams(content.bodyText(), Integer.parseInt(fields[0]), Integer.parseInt(fields[1]), Integer.parseInt(fields[2]));
            } else if (part.equals("align")) {
                found = alignment(content);
            } else if (part.isEmpty()) {
                continue;
            } else {
                throw new IllegalArgumentException("unknown bench.extra part " + part);
            }
            if (size + found.length > hashes.length) {
                hashes = Arrays.copyOf(hashes, Math.max(2 * hashes.length, size + found.length));
            }
            System.arraycopy(found, 0, hashes, size, found.length);
            size += found.length;
        }
        int[] indices = new int[size];
        for (int i = 0; i < size; i++) {
            indices[i] = (int) (hashes[i] >>> 20) & mask;
        }
        return indices;
    }

    /** Sorted distinct union, as the extractor's collector returns. */
    static int[] merge(int[] features, int[] extra) {
        int[] all = Arrays.copyOf(features, features.length + extra.length);
        System.arraycopy(extra, 0, all, features.length, extra.length);
        Arrays.sort(all);
        int distinct = 0;
        for (int i = 0; i < all.length; i++) {
            if (i == 0 || all[i] != all[i - 1]) {
                all[distinct++] = all[i];
            }
        }
        return Arrays.copyOf(all, distinct);
    }

    /**
     * Character n-grams (n in [minN, maxN]) of each lower-cased word of at least {@code minWord} letters or digits,
     * with the word's edges marked ("^free$"): parts of words survive spelling games ("v1agra", "freeee") and
     * inflections that whole-word tokens miss. Bounded by {@link #MAX_GRAM_WORDS} words and {@link #MAX_GRAMS} n-grams.
     */
    static long[] charGrams(String text, int minN, int maxN, int minWord) {
        long[] grams = new long[256];
        int size = 0;
        StringBuilder word = new StringBuilder(MAX_WORD + 2);
        int words = 0;
        int i = 0;
        int length = text.length();
        while (i < length && words < MAX_GRAM_WORDS && size < MAX_GRAMS) {
            while (i < length && !Character.isLetterOrDigit(text.charAt(i))) {
                i++;
            }
            word.setLength(0);
            word.append('^');
            while (i < length && Character.isLetterOrDigit(text.charAt(i))) {
                if (word.length() <= MAX_WORD + 1) {
                    word.append(Character.toLowerCase(text.charAt(i)));
                }
                i++;
            }
            int letters = word.length() - 1;
            if (letters < minWord || letters > MAX_WORD) {
                continue;
            }
            words++;
            word.append('$');
            for (int n = minN; n <= maxN; n++) {
                for (int start = 0; start + n <= word.length() && size < MAX_GRAMS; start++) {
                    if (size == grams.length) {
                        grams = Arrays.copyOf(grams, 2 * size);
                    }
                    grams[size++] = Hashing64.combine(CHAR_GRAM, Hashing64.hash(word, start, start + n));
                }
            }
        }
        return Arrays.copyOf(grams, size);
    }

    /**
     * Whether the domains a message names agree with its From domain: the Return-Path, Sender, Reply-To and
     * Message-ID domains, the relays of its Received chain and its link hosts. A newsletter or a list post is sent
     * by, through and about its own domain (or the list's); spam forges From and links elsewhere.
     */
    static long[] alignment(MessageContent content) {
        String from = null;
        for (MessageContent.Header header : content.headers()) {
            if (header.name().equalsIgnoreCase("from")) {
                from = addressDomain(header.value());
                break;
            }
        }
        long[] found = new long[16];
        int size = 0;
        if (from == null) {
            found[size++] = Hashing64.combine(ALIGN, Hashing64.hash("no-from-domain"));
            return Arrays.copyOf(found, size);
        }
        boolean relayAligned = false;
        int receivedSeen = 0;
        for (MessageContent.Header header : content.headers()) {
            String name = header.name().toLowerCase(Locale.ROOT);
            if (name.equals("return-path") || name.equals("sender") || name.equals("reply-to") || name.equals("message-id")) {
                String domain = addressDomain(header.value());
                if (domain != null && size < found.length) {
                    found[size++] = Hashing64.combine(ALIGN, Hashing64.hash(name + (domain.equals(from) ? ":same" : ":other")));
                }
            } else if (name.equals("received") && receivedSeen++ < 12) {
                relayAligned |= mentionsDomain(header.value().toLowerCase(Locale.ROOT), from);
            }
        }
        found[size++] = Hashing64.combine(ALIGN, Hashing64.hash(relayAligned ? "relay:same" : "relay:other"));
        if (!content.linkHosts().isEmpty()) {
            int same = 0;
            for (String host : content.linkHosts()) {
                same += registeredDomain(host.toLowerCase(Locale.ROOT)).equals(from) ? 1 : 0;
            }
            int hosts = content.linkHosts().size();
            String share = same == 0 ? "none" : 2 * same >= hosts ? "most" : "some";
            found[size++] = Hashing64.combine(ALIGN, Hashing64.hash("links:" + share));
        }
        return Arrays.copyOf(found, size);
    }

    /** The registered domain (last two labels) of the first address in a header value, or null. */
    private static String addressDomain(String value) {
        int at = value.indexOf('@');
        if (at < 0) {
            return null;
        }
        int end = at + 1;
        while (end < value.length() && end - at <= 253 && (Character.isLetterOrDigit(value.charAt(end)) || value.charAt(end) == '.'
            || value.charAt(end) == '-')) {
            end++;
        }
        String domain = value.substring(at + 1, end).toLowerCase(Locale.ROOT);
        while (domain.endsWith(".")) {
            domain = domain.substring(0, domain.length() - 1);
        }
        return domain.indexOf('.') > 0 ? registeredDomain(domain) : null;
    }

    /** Whether {@code domain} appears in {@code text} as a whole host-name suffix (".example.com" or " example.com"). */
    private static boolean mentionsDomain(String text, String domain) {
        int from = 0;
        while (true) {
            int found = text.indexOf(domain, from);
            if (found < 0) {
                return false;
            }
            int end = found + domain.length();
            boolean startOk = found == 0 || !Character.isLetterOrDigit(text.charAt(found - 1)) && text.charAt(found - 1) != '-';
            boolean endOk = end == text.length() || !Character.isLetterOrDigit(text.charAt(end)) && text.charAt(end) != '-'
                && !(text.charAt(end) == '.' && end + 1 < text.length() && Character.isLetter(text.charAt(end + 1)));
            if (startOk && endOk) {
                return true;
            }
            from = found + 1;
        }
    }

    private static String registeredDomain(String host) {
        int last = host.lastIndexOf('.');
        if (last <= 0) {
            return host;
        }
        int previous = host.lastIndexOf('.', last - 1);
        return previous < 0 ? host : host.substring(previous + 1);
    }

    // ---- threshold rules on the inner model's scores of the training part's latest 30% (ham and spam) ----

    static double logit(double p) {
        double clamped = Math.max(1e-12, Math.min(1 - 1e-12, p));
        return Math.log(clamped / (1 - clamped));
    }

    /**
     * Platt scaling fitted on held-out scores: P(spam) = sigmoid(a * logit(score) + b), by Newton's method on the
     * log-loss with Platt's smoothed targets. Returns {a, b}.
     */
    static double[] platt(double[] hamScores, double[] spamScores) {
        int n = hamScores.length + spamScores.length;
        double[] x = new double[n];
        double[] t = new double[n];
        double hamTarget = 1.0 / (hamScores.length + 2);
        double spamTarget = (spamScores.length + 1.0) / (spamScores.length + 2);
        for (int i = 0; i < hamScores.length; i++) {
            x[i] = logit(hamScores[i]);
            t[i] = hamTarget;
        }
        for (int i = 0; i < spamScores.length; i++) {
            x[hamScores.length + i] = logit(spamScores[i]);
            t[hamScores.length + i] = spamTarget;
        }
        double a = 1;
        double b = 0;
        for (int iteration = 0; iteration < 100; iteration++) {
            double ga = 0;
            double gb = 0;
            double haa = 1e-9;
            double hab = 0;
            double hbb = 1e-9;
            for (int i = 0; i < n; i++) {
                double p = 1 / (1 + Math.exp(-(a * x[i] + b)));
                double d = p - t[i];
                double w = p * (1 - p);
                ga += d * x[i];
                gb += d;
                haa += w * x[i] * x[i];
                hab += w * x[i];
                hbb += w;
            }
            double det = haa * hbb - hab * hab;
            double da = (hbb * ga - hab * gb) / det;
            double db = (haa * gb - hab * ga) / det;
            a -= da;
            b -= db;
            if (Math.abs(da) + Math.abs(db) < 1e-10) {
                break;
            }
        }
        return new double[] {a, b};
    }

    static double standardDeviation(double[] values) {
        double mean = 0;
        for (double value : values) {
            mean += value / values.length;
        }
        double squares = 0;
        for (double value : values) {
            squares += (value - mean) * (value - mean);
        }
        return Math.sqrt(squares / (values.length - 1));
    }

    static double[] logits(double[] scores) {
        double[] logits = new double[scores.length];
        for (int i = 0; i < scores.length; i++) {
            logits[i] = logit(scores[i]);
        }
        return logits;
    }

    static double probability(double logit) {
        return 1 / (1 + Math.exp(-logit));
    }

    static String describePlatt(double[] ab) {
        return String.format(Locale.ROOT, "a=%.3f b=%.3f", ab[0], ab[1]);
    }
}
