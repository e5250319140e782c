package org.jamesshaping.filter;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * Turns a message into a sparse binary feature vector: hashed header tokens (prefixed with the header's name),
 * body unigrams and bigrams, link hosts, and bucketed structural counts. Hashing keeps the model a fixed-size
 * array with no vocabulary to store or synchronise between servers; collisions at 2^20 buckets cost nothing
 * measurable. Stateless and thread-safe.
 *
 * <p>The token and hashing rules are part of the model format ({@link #FEATURE_VERSION}): a model must be scored
 * with the rules it was trained with.</p>
 */
public final class FeatureExtractor {
    public static final int FEATURE_VERSION = 1;
    private static final int MAX_BODY_TOKENS = 4_000;
    private static final int MAX_TOKENS_PER_HEADER = 60;
    private static final int MIN_TOKEN = 2;
    private static final int MAX_TOKEN = 40;
    /** Headers that say nothing about the sender and only add noise (or are added by our own MTA). */
    private static final Set<String> IGNORED_HEADERS = Set.of("x-shaping-score", "x-shaping-verdict", "x-shaping-fingerprint",
        "x-shaping-filter", "status", "x-status", "x-keywords", "x-uid", "lines", "content-length");

    private final int dimensionBits;
    private final int mask;

    public FeatureExtractor(int dimensionBits) {
        if (dimensionBits < 10 || dimensionBits > 26) {
            throw new IllegalArgumentException("dimension bits must be in [10, 26], got " + dimensionBits);
        }
        this.dimensionBits = dimensionBits;
        this.mask = (1 << dimensionBits) - 1;
    }

    public int dimensionBits() {
        return dimensionBits;
    }

    /** Sorted, distinct feature indices. */
    public int[] features(MessageContent content) {
        Collector collector = new Collector();
        for (MessageContent.Header header : content.headers()) {
            String name = header.name().toLowerCase(Locale.ROOT);
            if (IGNORED_HEADERS.contains(name)) {
                continue;
            }
            long prefix = Hashing64.hash(name);
            collector.add(Hashing64.combine(0x4844L, prefix));
            tokenize(header.value(), prefix, MAX_TOKENS_PER_HEADER, true, collector);
        }
        long bodyPrefix = Hashing64.hash("body");
        tokenize(content.bodyText(), bodyPrefix, MAX_BODY_TOKENS, true, collector);
        long hostPrefix = Hashing64.hash("link-host");
        for (String host : content.linkHosts()) {
            collector.add(Hashing64.combine(hostPrefix, Hashing64.hash(host)));
        }
        structural(content, collector);
        return collector.indices();
    }

    private void structural(MessageContent content, Collector collector) {
        collector.add(feature("recipients", bucket(content.recipientCount())));
        collector.add(feature("links", bucket(content.linkCount())));
        collector.add(feature("images", bucket(content.imageCount())));
        collector.add(feature("attachments", bucket(content.attachmentCount())));
        collector.add(feature("hosts", bucket(content.linkHosts().size())));
        collector.add(feature("text-size", bucket(content.bodyText().length() / 64)));
        if (content.rawSize() >= 0) {
            collector.add(feature("raw-size", bucket(content.rawSize() / 256)));
        }
        if (content.htmlOnly()) {
            collector.add(feature("html-only", 1));
        }
        if (content.bodyText().isBlank()) {
            collector.add(feature("no-text", 1));
        }
        boolean hasDate = false;
        boolean hasMessageId = false;
        String subject = null;
        for (MessageContent.Header header : content.headers()) {
            String name = header.name();
            hasDate |= name.equalsIgnoreCase("Date");
            hasMessageId |= name.equalsIgnoreCase("Message-ID");
            if (subject == null && name.equalsIgnoreCase("Subject")) {
                subject = header.value();
            }
        }
        if (!hasDate) {
            collector.add(feature("missing-date", 1));
        }
        if (!hasMessageId) {
            collector.add(feature("missing-message-id", 1));
        }
        if (subject == null || subject.isBlank()) {
            collector.add(feature("empty-subject", 1));
        } else {
            collector.add(feature("subject-caps", bucket((int) (10 * upperCaseRatio(subject)))));
            collector.add(feature("subject-bangs", bucket(count(subject, '!'))));
        }
        collector.add(feature("body-caps", bucket((int) (10 * upperCaseRatio(content.bodyText())))));
    }

    private static long feature(String name, int bucket) {
        return Hashing64.combine(Hashing64.hash("struct:" + name), bucket);
    }

    /** 0, 1, 2, 3-4, 5-8, ...: logarithmic buckets so counts generalise. */
    private static int bucket(int value) {
        if (value <= 0) {
            return 0;
        }
        return 33 - Integer.numberOfLeadingZeros(value);
    }

    private static int count(String text, char wanted) {
        int count = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == wanted) {
                count++;
            }
        }
        return count;
    }

    private static double upperCaseRatio(String text) {
        int letters = 0;
        int upper = 0;
        int limit = Math.min(text.length(), 20_000);
        for (int i = 0; i < limit; i++) {
            char c = text.charAt(i);
            if (Character.isLetter(c)) {
                letters++;
                if (Character.isUpperCase(c)) {
                    upper++;
                }
            }
        }
        return letters == 0 ? 0 : (double) upper / letters;
    }

    /**
     * Tokens are runs of letters, digits and the joiners {@code . - ' $ !} inside a word (so "$100", "v1agra" and
     * "e-mail" stay whole), lower-cased, with trailing joiners dropped. Bigrams are added for body text.
     */
    private static void tokenize(String text, long prefix, int maxTokens, boolean bigrams, Collector collector) {
        int length = text.length();
        int tokens = 0;
        long previous = 0;
        boolean hasPrevious = false;
        StringBuilder token = new StringBuilder(MAX_TOKEN);
        int i = 0;
        while (i < length && tokens < maxTokens) {
            char c = text.charAt(i);
            if (!Character.isLetterOrDigit(c) && c != '$') {
                i++;
                continue;
            }
            token.setLength(0);
            while (i < length) {
                c = text.charAt(i);
                if (Character.isLetterOrDigit(c) || c == '$') {
                    token.append(Character.toLowerCase(c));
                } else if ((c == '.' || c == '-' || c == '\'' || c == '!') && i + 1 < length
                    && Character.isLetterOrDigit(text.charAt(i + 1))) {
                    token.append(c);
                } else {
                    break;
                }
                i++;
            }
            if (token.length() < MIN_TOKEN || token.length() > MAX_TOKEN) {
                hasPrevious = false;
                continue;
            }
            tokens++;
            long hash = Hashing64.hash(token);
            collector.add(Hashing64.combine(prefix, hash));
            if (bigrams && hasPrevious) {
                collector.add(Hashing64.combine(Hashing64.combine(prefix, previous), hash));
            }
            previous = hash;
            hasPrevious = true;
        }
    }

    private final class Collector {
        private int[] indices = new int[512];
        private int size;

        void add(long hash) {
            if (size == indices.length) {
                indices = Arrays.copyOf(indices, size * 2);
            }
            indices[size++] = (int) (hash >>> 20) & mask;
        }

        int[] indices() {
            int[] sorted = Arrays.copyOf(indices, size);
            Arrays.sort(sorted);
            int distinct = 0;
            for (int i = 0; i < sorted.length; i++) {
                if (i == 0 || sorted[i] != sorted[i - 1]) {
                    sorted[distinct++] = sorted[i];
                }
            }
            return Arrays.copyOf(sorted, distinct);
        }
    }
}
