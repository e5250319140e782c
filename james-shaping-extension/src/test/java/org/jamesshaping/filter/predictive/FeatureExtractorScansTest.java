package org.jamesshaping.filter.predictive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;

import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.content.MessageContent;
import org.jamesshaping.testsupport.CorpusCache;
import org.junit.jupiter.api.Test;

/** The faster scans inside the feature extractor give what the plain ones gave: the same vectors, the same models. */
class FeatureExtractorScansTest {
    private static int[] sortedDistinctBySort(int[] values, int size) {
        return Arrays.stream(values, 0, size).sorted().distinct().toArray();
    }

    private static List<String> relayHostsByFind(String value) {
        List<String> hosts = new ArrayList<>();
        Matcher matcher = FeatureExtractor.RELAY_HOST.matcher(value);
        while (matcher.find()) {
            hosts.add(matcher.group(1));
        }
        return hosts;
    }

    private static List<String> relayHosts(String value) {
        List<String> hosts = new ArrayList<>();
        FeatureExtractor.relayHosts(value, hosts::add);
        return hosts;
    }

    @Test
    void sortedDistinctIndicesAreThoseOfASortAtEverySizeAndDimension() {
        Random random = new Random(23);
        for (int bits : new int[] {10, 11, 20, 22, 23, 26}) {
            for (int size : new int[] {0, 1, 2, 100, 511, 512, 513, 2_000, 20_000}) {
                int[] values = new int[size + 7];
                for (int i = 0; i < size; i++) {
                    // about a third repeats an earlier value, as bigrams and repeated words do
                    values[i] = i > 0 && random.nextInt(3) == 0 ? values[random.nextInt(i)] : random.nextInt(1 << bits);
                }
                values[size] = -1;
                assertThat(FeatureExtractor.sortedDistinct(values, size, bits)).as("%d values of %d bits", size, bits)
                    .containsExactly(sortedDistinctBySort(values, size));
            }
        }
    }

    @Test
    void relayHostsAreWhatFindGivesOnAwkwardReceivedHeaders() {
        List<String> values = List.of(
            "from mail.example.org (mail.example.org [192.0.2.7]) by mx.example.net (Postfix) with ESMTP id 1",
            "FROM HOST.EXAMPLE.ORG BY MX.EXAMPLE.NET", "From\tlocal\r\n\tby\n by.example.com", "from by.from.by by from",
            "xfrom a.b byb c.d _from e.f from_g h.i 9by j.k", "from", "by ", "from (unknown)", "fromby x", "by\u00e9 a by\u0301 b",
            "\u00e9from a \u0301from b \u00e9\u0301from c", "from " + "a".repeat(300) + " by b", "from [192.0.2.1] by x; Mon",
            "frOm Example-1.org bY _x", "\uD835\uDC00from a \uD835\uDC00 by b", "", "f", "b");
        for (String value : values) {
            assertThat(relayHosts(value)).as(value).containsExactlyElementsOf(relayHostsByFind(value));
        }
        Random random = new Random(5);
        String alphabet = "fromFROMbyBY \t\n._-(x9\u0301\u00e9[";
        for (int n = 0; n < 20_000; n++) {
            StringBuilder value = new StringBuilder();
            for (int i = random.nextInt(40); i > 0; i--) {
                value.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            assertThat(relayHosts(value.toString())).as(value.toString()).containsExactlyElementsOf(relayHostsByFind(value.toString()));
        }
    }

    @Test
    void relayHostsAreWhatFindGivesOnEveryReceivedHeaderOfTheCorpus() throws Exception {
        assumeTrue(Files.isDirectory(CorpusCache.cacheDir().resolve("package/data").resolve(CorpusCache.SPAM)), "corpus not cached");
        ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
        int headers = 0;
        for (CorpusCache.CorpusMessage message : CorpusCache.loadAllowed()) {
            MessageContent content;
            try {
                content = extractor.extract(message.raw());
            } catch (javax.mail.MessagingException e) {
                continue;
            }
            for (MessageContent.Header header : content.headers()) {
                if (header.name().equalsIgnoreCase("Received")) {
                    headers++;
                    assertThat(relayHosts(header.value())).as(header.value()).containsExactlyElementsOf(relayHostsByFind(header.value()));
                }
            }
        }
        assertThat(headers).isGreaterThan(10_000);
    }
}
