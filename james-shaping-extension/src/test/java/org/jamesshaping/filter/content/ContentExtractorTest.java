package org.jamesshaping.filter.content;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

class ContentExtractorTest {
    /** The rule the hand-written scan replaces, kept here as its specification. */
    private static final Pattern TEXT_URL = Pattern.compile("(?i)\\b(?:https?://|www\\.)([a-z0-9.-]{1,253})");

    private static List<String> byPattern(String text) {
        List<String> hosts = new ArrayList<>();
        Matcher matcher = TEXT_URL.matcher(text);
        while (matcher.find()) {
            hosts.add(matcher.group(1));
        }
        return hosts;
    }

    private static List<String> byScan(String text) {
        List<String> hosts = new ArrayList<>();
        ContentExtractor.urlHosts(text, hosts::add);
        return hosts;
    }

    @Test
    void urlHostsFindsWhatTheRegularExpressionFinds() {
        List<String> samples = new ArrayList<>(List.of(
            "see http://example.com/x and HTTPS://Mail.Example.ORG:8080/y, or www.shop.example.",
            "xhttp://no.example _www.no.example http:// www.yes.example https://www.both.example",
            "http://http://nested.example wwww.example www.", "", "h", "www"));
        String alphabet = "hHtTpPsSwW:/._- aZ09é\n";
        Random random = new Random(17);
        for (int i = 0; i < 3000; i++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(60);
            for (int j = 0; j < length; j++) {
                text.append(random.nextInt(8) == 0 ? List.of("http://", "https://", "www.", "WWW.").get(random.nextInt(4))
                    : String.valueOf(alphabet.charAt(random.nextInt(alphabet.length()))));
            }
            samples.add(text.toString());
        }
        for (String sample : samples) {
            assertThat(byScan(sample)).as(sample).isEqualTo(byPattern(sample));
        }
        assertThat(byScan(samples.get(0))).containsExactly("example.com", "Mail.Example.ORG", "shop.example.");
    }

    @Test
    void htmlIsReadFromItsFirstQuarterMegabyteOnly() throws Exception {
        String padding = "<span>" + "z".repeat(ContentLimits.MAX_HTML_CHARS) + "</span>";
        String html = "<html><body><p>cheap watches here</p><a href=\"http://early.example/\">shop</a>" + padding
            + "<p>hidden tail words</p><a href=\"http://late.example/\">late</a><img src=\"x.png\"></body></html>";
        byte[] raw = ("From: a@example.org\r\nSubject: watches\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n"
            + html + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);

        MessageContent content = new ContentExtractor(ContentLimits.DEFAULT).extract(raw);

        assertThat(content.bodyText()).contains("cheap watches here").doesNotContain("hidden tail words");
        assertThat(content.linkHosts()).containsExactly("early.example");
        assertThat(content.linkCount()).isEqualTo(1);
        assertThat(content.imageCount()).isZero();
        assertThat(content.htmlOnly()).isTrue();
    }

    /** Each reading of the clock is a millisecond later: only checks made while jsoup reads its input can spend 5 ms. */
    @Test
    void theTimeBudgetIsCheckedWhileHtmlIsParsed() throws Exception {
        StringBuilder html = new StringBuilder("<html><body>");
        for (int i = 0; html.length() < ContentLimits.MAX_HTML_CHARS; i++) {
            html.append("<font color=").append(i).append(">x</b>");
        }
        byte[] raw = ("From: a@example.org\r\nSubject: fonts\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n"
            + html + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
        Deadline deadline = Deadline.after(java.time.Duration.ofMillis(5), () -> now.addAndGet(1_000_000));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> extractor.extract(ContentExtractor.parse(raw), raw.length, deadline))
            .isInstanceOf(Deadline.Exceeded.class);
        assertThat(extractor.extract(raw).bodyText()).startsWith("x").hasSizeGreaterThan(10_000);
    }
}
