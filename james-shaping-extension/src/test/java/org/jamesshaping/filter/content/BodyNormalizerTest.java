package org.jamesshaping.filter.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.text.Normalizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import org.jamesshaping.admin.cli.MessageFolders;
import org.jamesshaping.testsupport.CorpusCache;
import org.junit.jupiter.api.Test;

class BodyNormalizerTest {
    /** The rules the linear scan replaces, kept here as its specification (quadratic on long runs of non-space). */
    private static final Pattern URL_OR_ADDRESS = Pattern.compile(
        "(?i)(?:https?://|ftp://|www\\.)\\S+|\\S+@\\S+|\\b[a-z0-9-]+(?:\\.[a-z0-9-]+)*\\.(?:com|net|org|biz|info|ru|cn|de|uk)\\b\\S*");
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    private static final Set<String> GREETINGS = Set.of("dear", "hi", "hello", "hey", "greetings", "attn", "attention", "bonjour", "hallo");

    private static List<String> byPattern(String text) {
        List<String> tokens = new ArrayList<>();
        for (String line : Normalizer.normalize(text, Normalizer.Form.NFKC).split("\\R")) {
            String[] words = WHITESPACE.split(URL_OR_ADDRESS.matcher(line).replaceAll(" ").trim());
            int start = 0;
            if (words.length > 0 && GREETINGS.contains(BodyNormalizer.stripPunctuation(words[0]).toLowerCase(Locale.ROOT))) {
                start = greetingEnd(words);
            }
            for (int i = start; i < words.length; i++) {
                String token = BodyNormalizer.stripPunctuation(words[i]).toLowerCase(Locale.ROOT);
                if (BodyNormalizer.isWord(token)) {
                    tokens.add(token);
                }
            }
        }
        return tokens;
    }

    private static int greetingEnd(String[] words) {
        for (int i = 0; i < Math.min(words.length, 5); i++) {
            String word = words[i];
            char last = word.isEmpty() ? ' ' : word.charAt(word.length() - 1);
            if (last == ',' || last == ':' || last == '!' || last == ';') {
                return i + 1;
            }
        }
        return words.length <= 4 ? words.length : Math.min(2, words.length);
    }

    private final BodyNormalizer normalizer = new BodyNormalizer();

    @Test
    void theScanCutsWhatTheRegularExpressionCutOnRandomText() {
        List<String> pieces = List.of("x", "a", "B", "@", ".", "..", "-", "_", "/", ":", ",", "!", ";", " ", "  ", "\t", "\n", "\r\n", "\r",
            "\u0085", "\u2028", "\u000B", "\u0001", "\u00a0", "é", "\u0301", "ß", "1", "com", "COM", "net", "info", "uk", "ru",
            "http://", "HTTPS://", "ftp://", "www.", "WwW.", "Dear", "hello", "offer", "free", "\uD83D\uDE00", "\uFB01");
        Random random = new Random(21);
        List<String> samples = new ArrayList<>(List.of("", "Dear John, buy now at shop.example.com/x?id=1 or mail sales@x.example",
            "a.com", ".com", "a..com", "a.b.c.com.", "-a.com", "é-a.com", "_a.com", "a.comé", "a.com\u0301", "x@", "@x", "x@y", "@@x",
            "http://", "http://x", "www.", "www.x", "\u0001 Dear Mary, offer", "offer free \u0001"));
        for (int i = 0; i < 20_000; i++) {
            StringBuilder text = new StringBuilder();
            int count = random.nextInt(30);
            for (int j = 0; j < count; j++) {
                text.append(pieces.get(random.nextInt(pieces.size())));
            }
            samples.add(text.toString());
        }
        for (String sample : samples) {
            assertThat(normalizer.tokens(sample)).as(sample).isEqualTo(byPattern(sample));
        }
    }

    @Test
    void theScanCutsWhatTheRegularExpressionCutOnTheCorpus() throws Exception {
        ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
        int compared = 0;
        for (CorpusCache.CorpusMessage message : CorpusCache.loadAllowed()) {
            String text = extractor.extract(MessageFolders.stripEnvelopeLine(message.raw())).bodyText();
            assertThat(normalizer.tokens(text)).as(message.path().toString()).isEqualTo(byPattern(text));
            compared++;
        }
        assertThat(compared).isGreaterThan(3000);
    }

    @Test
    void longRunsWithoutSpacesGiveNoWordsAndLeaveTheWordsAroundThem() {
        int size = 200_000;
        assertThat(normalizer.tokens("x".repeat(size))).isEmpty();
        assertThat(normalizer.tokens("a@".repeat(size / 2))).isEmpty();
        assertThat(normalizer.tokens("special offer " + ".".repeat(size) + " today only")).containsExactly("special", "offer", "today", "only");
        assertThat(normalizer.tokens("special offer http://" + "a.".repeat(size / 2) + " today")).containsExactly("special", "offer", "today");
        assertThat(normalizer.tokens("visit " + "a.".repeat(size / 2) + "com now")).containsExactly("visit", "now");
        assertThat(normalizer.tokens("offer:" + "-".repeat(size) + "www.x")).containsExactly("offer");
        assertThat(normalizer.tokens("free " + "x@".repeat(size / 2) + "y cruise")).containsExactly("free", "cruise");
        assertThat(normalizer.tokens("\u0001 ".repeat(size / 2) + "Dear Ann, cheap offer " + " \u0002".repeat(size / 2)))
            .containsExactly("cheap", "offer");
    }

    @Test
    void aSpentDeadlineStopsTheScan() {
        AtomicLong now = new AtomicLong();
        Deadline deadline = Deadline.after(Duration.ofMillis(5), () -> now.addAndGet(Duration.ofMillis(1).toNanos()));
        String text = "free cruise offer today\n".repeat(10_000);
        assertThatThrownBy(() -> normalizer.tokens(text, deadline)).isInstanceOf(Deadline.Exceeded.class);
        assertThat(normalizer.tokens(text, Deadline.NONE)).hasSize(40_000);
    }
}
