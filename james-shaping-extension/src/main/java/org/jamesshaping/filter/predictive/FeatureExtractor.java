package org.jamesshaping.filter.predictive;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jamesshaping.filter.content.Hashing64;
import org.jamesshaping.filter.content.MessageContent;

/**
 * Turns a message into a sparse binary feature vector: hashed header tokens (prefixed with the header's name),
 * body unigrams and bigrams, case-sensitive tokens of the body and subject (so "FREE" and "free" can weigh
 * differently), the relay chain of the Received headers (network prefixes and host domains), the domains of the
 * sender-related headers, link hosts and their registered domains, and bucketed structural counts. Hashing keeps the model a fixed-size
 * array with no vocabulary to store or synchronise between servers. The trainer's default is 2^22 buckets: at 2^20
 * collisions cost measurable accuracy at the tail of the ROC curve (docs/benchmarks-filters.md). Stateless and thread-safe.
 *
 * <p>The token and hashing rules are part of the model format ({@link #FEATURE_VERSION}): a model must be scored
 * with the rules it was trained with.</p>
 */
public final class FeatureExtractor {
    public static final int FEATURE_VERSION = 3;
    private static final int MAX_BODY_TOKENS = 4_000;
    private static final int MAX_TOKENS_PER_HEADER = 60;
    private static final int MIN_TOKEN = 2;
    private static final int MAX_TOKEN = 40;
    /** Headers that say nothing about the sender and only add noise (or are added by our own MTA). */
    private static final Set<String> IGNORED_HEADERS = Set.of("x-shaping-score", "x-shaping-verdict", "x-shaping-fingerprint",
        "x-shaping-filter", "status", "x-status", "x-keywords", "x-uid", "lines", "content-length");

    /** Headers whose address domains say who sent the mail (and whom it pretends to come from). */
    private static final Set<String> ADDRESS_HEADERS = Set.of("from", "reply-to", "return-path", "sender", "to", "message-id");
    private static final Pattern BRACKETED_IPV4 = Pattern.compile("\\[(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.\\d{1,3}\\]");
    static final Pattern RELAY_HOST = Pattern.compile("(?i)\\b(?:from|by)\\s++([a-z0-9_.-]{1,253})");
    private static final Pattern ADDRESS_DOMAIN = Pattern.compile("@([A-Za-z0-9.-]{1,253})");
    private static final int MAX_RECEIVED = 12;
    private static final long BODY = Hashing64.hash("body");
    private static final long BODY_CASED = Hashing64.hash("body-case");
    private static final long SUBJECT_CASED = Hashing64.hash("subject-case");
    private static final long LINK_HOST = Hashing64.hash("link-host");
    private static final long LINK_DOMAIN = Hashing64.hash("link-dom");
    private static final long LINK_IP = Hashing64.hash("link-ip");
    private static final long RELAY_NET24 = Hashing64.hash("rcvd-ip24");
    private static final long RELAY_NET16 = Hashing64.hash("rcvd-ip16");
    private static final long RELAY_HOST_NAME = Hashing64.hash("rcvd-host");
    private static final long RELAY_DOMAIN = Hashing64.hash("rcvd-dom");
    private static final long RELAY_NO_DOT = Hashing64.hash("rcvd-nodot");
    private static final long RECEIVED_COUNT = Hashing64.hash("received-count");
    private static final long MESSAGE_ID_SHAPE = Hashing64.hash("msgid-shape");
    private static final long CONTENT_TYPE_SHAPE = Hashing64.hash("ctype-shape");

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
            tokenize(withoutDate(name, header.value()), prefix, MAX_TOKENS_PER_HEADER, true, collector);
            headerSpecific(name, header.value(), collector);
        }
        tokenize(content.bodyText(), BODY, MAX_BODY_TOKENS, true, collector);
        casedTokens(content.bodyText(), BODY_CASED, MAX_BODY_TOKENS, collector);
        for (String host : content.linkHosts()) {
            collector.add(Hashing64.combine(LINK_HOST, Hashing64.hash(host)));
            collector.add(Hashing64.combine(LINK_DOMAIN, Hashing64.hash(registeredDomain(host))));
            if (isDottedNumbers(host)) {
                collector.add(Hashing64.combine(LINK_IP, 1));
            }
        }
        structural(content, collector);
        return collector.indices();
    }

    /**
     * The header's value without the time it carries (Date, Delivery-Date, X-Original-Date, X-OriginalArrivalTime,
     * and what follows the last ';' of a Received): days,
     * months and years only say when the training mail was sent, and weigh wrongly on mail from later months. The
     * Date header keeps its zone ("+0700", "-0000"), which says something of the sender's software and place.
     */
    static String withoutDate(String name, String value) {
        if (name.equals("date") || name.endsWith("-date") || name.equals("x-originalarrivaltime")) {
            int space = value.trim().lastIndexOf(' ');
            return space < 0 ? "" : value.trim().substring(space + 1);
        }
        if (name.equals("received")) {
            int semicolon = value.lastIndexOf(';');
            return semicolon < 0 ? value : value.substring(0, semicolon);
        }
        return value;
    }

    /**
     * Tokens that only mean something for one header: the relays a message came through (spam comes from
     * networks and unnamed hosts that ham does not), the domains of its addresses, and the shape of machine-made
     * values (Message-ID, Content-Type boundary), where the mailing software shows through.
     */
    private void headerSpecific(String name, String value, Collector collector) {
        if (name.equals("received")) {
            collector.receivedHeaders++;
            if (collector.receivedHeaders > MAX_RECEIVED) {
                return;
            }
            Matcher ip = BRACKETED_IPV4.matcher(value);
            while (ip.find()) {
                String net16 = ip.group(1) + "." + ip.group(2);
                collector.add(Hashing64.combine(RELAY_NET24, Hashing64.hash(net16 + "." + ip.group(3))));
                collector.add(Hashing64.combine(RELAY_NET16, Hashing64.hash(net16)));
            }
            relayHosts(value, found -> {
                String relay = found.toLowerCase(Locale.ROOT);
                collector.add(Hashing64.combine(RELAY_HOST_NAME, Hashing64.hash(relay)));
                if (relay.indexOf('.') > 0) {
                    collector.add(Hashing64.combine(RELAY_DOMAIN, Hashing64.hash(registeredDomain(relay))));
                } else {
                    collector.add(Hashing64.combine(RELAY_NO_DOT, 1));
                }
            });
        } else if (ADDRESS_HEADERS.contains(name)) {
            long domainPrefix = Hashing64.hash(name + ":domain");
            long registeredPrefix = Hashing64.hash(name + ":domain2");
            Matcher domain = ADDRESS_DOMAIN.matcher(value);
            while (domain.find()) {
                String found = domain.group(1).toLowerCase(Locale.ROOT);
                collector.add(Hashing64.combine(domainPrefix, Hashing64.hash(found)));
                collector.add(Hashing64.combine(registeredPrefix, Hashing64.hash(registeredDomain(found))));
            }
            if (name.equals("message-id")) {
                collector.add(Hashing64.combine(MESSAGE_ID_SHAPE, Hashing64.hash(shape(value))));
            }
        } else if (name.equals("content-type")) {
            collector.add(Hashing64.combine(CONTENT_TYPE_SHAPE, Hashing64.hash(shape(value))));
        } else if (name.equals("subject")) {
            casedTokens(value, SUBJECT_CASED, MAX_TOKENS_PER_HEADER, collector);
        }
    }

    /**
     * Group 1 of each {@link #RELAY_HOST} match, in the order {@code find()} gives them, but the pattern is only tried
     * where a match can start (an f or a b; transparent bounds let {@code \b} see the character before): tried at
     * every character of a dozen Received headers, it cost a fifth of a message's features.
     */
    static void relayHosts(String value, Consumer<String> hosts) {
        Matcher matcher = RELAY_HOST.matcher(value).useTransparentBounds(true);
        int length = value.length();
        int i = 0;
        while (i < length) {
            char c = value.charAt(i);
            if ((c == 'f' || c == 'F' || c == 'b' || c == 'B') && matcher.region(i, length).lookingAt()) {
                hosts.accept(matcher.group(1));
                i = matcher.end();
            } else {
                i++;
            }
        }
    }

    /** The last two labels of a host name: close enough to the registered domain without a public-suffix list. */
    static String registeredDomain(String host) {
        int last = host.lastIndexOf('.');
        if (last <= 0) {
            return host;
        }
        int previous = host.lastIndexOf('.', last - 1);
        return previous < 0 ? host : host.substring(previous + 1);
    }

    private static boolean isDottedNumbers(String host) {
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c != '.' && (c < '0' || c > '9')) {
                return false;
            }
        }
        return !host.isEmpty();
    }

    /** Character classes with runs collapsed: "<20020902155851.A22343@ie.suberic.net>" becomes "<9.A9@a.a.a>". */
    static String shape(String value) {
        StringBuilder shape = new StringBuilder();
        char previous = 0;
        int limit = Math.min(value.length(), 80);
        for (int i = 0; i < limit; i++) {
            char c = value.charAt(i);
            char kind = Character.isDigit(c) ? '9' : Character.isUpperCase(c) ? 'A' : Character.isLowerCase(c) ? 'a' : c;
            if (kind != previous) {
                shape.append(kind);
            }
            previous = kind;
        }
        return shape.toString();
    }

    /** Words containing a capital letter, as written: shouting and odd capitalisation are spam signs the lower-cased tokens lose. */
    private static void casedTokens(String text, long prefix, int maxTokens, Collector collector) {
        int length = text.length();
        int tokens = 0;
        int i = 0;
        while (i < length && tokens < maxTokens) {
            while (i < length && !Character.isLetter(text.charAt(i))) {
                i++;
            }
            int start = i;
            boolean hasUpper = false;
            while (i < length && Character.isLetterOrDigit(text.charAt(i))) {
                hasUpper |= Character.isUpperCase(text.charAt(i));
                i++;
            }
            int tokenLength = i - start;
            if (tokenLength >= MIN_TOKEN && tokenLength <= MAX_TOKEN) {
                tokens++;
                if (hasUpper) {
                    collector.add(Hashing64.combine(prefix, Hashing64.hash(text, start, i)));
                }
            }
        }
    }

    private void structural(MessageContent content, Collector collector) {
        collector.add(Hashing64.combine(RECEIVED_COUNT, Math.min(collector.receivedHeaders, MAX_RECEIVED)));
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
        int receivedHeaders;

        void add(long hash) {
            if (size == indices.length) {
                indices = Arrays.copyOf(indices, size * 2);
            }
            indices[size++] = (int) (hash >>> 20) & mask;
        }

        int[] indices() {
            return sortedDistinct(indices, size, dimensionBits);
        }
    }

    private static final int RADIX_BITS = 11;
    private static final int RADIX_FROM = 512;

    /**
     * The distinct values among the first {@code size}, ascending; every value is in [0, 2^bits). Long messages
     * collect thousands of indices: a radix sort (two passes for 2^22 buckets) costs about a tenth of a comparison
     * sort at 10,000, which was a fifth of a message's features; short ones are sorted by comparison.
     */
    static int[] sortedDistinct(int[] values, int size, int bits) {
        int[] sorted = Arrays.copyOf(values, size);
        if (size < RADIX_FROM) {
            Arrays.sort(sorted);
        } else {
            int[] other = new int[size];
            int[] starts = new int[(1 << RADIX_BITS) + 1];
            int digitMask = (1 << RADIX_BITS) - 1;
            for (int shift = 0; shift < bits; shift += RADIX_BITS) {
                Arrays.fill(starts, 0);
                for (int i = 0; i < size; i++) {
                    starts[((sorted[i] >>> shift) & digitMask) + 1]++;
                }
                for (int digit = 0; digit < digitMask + 1; digit++) {
                    starts[digit + 1] += starts[digit];
                }
                for (int i = 0; i < size; i++) {
                    other[starts[(sorted[i] >>> shift) & digitMask]++] = sorted[i];
                }
                int[] swap = sorted;
                sorted = other;
                other = swap;
            }
        }
        int distinct = 0;
        for (int i = 0; i < size; i++) {
            if (i == 0 || sorted[i] != sorted[i - 1]) {
                sorted[distinct++] = sorted[i];
            }
        }
        return Arrays.copyOf(sorted, distinct);
    }
}
