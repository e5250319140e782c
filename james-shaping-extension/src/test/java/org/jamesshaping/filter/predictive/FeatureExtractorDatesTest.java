package org.jamesshaping.filter.predictive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.junit.jupiter.api.Test;

class FeatureExtractorDatesTest {
    private static final FeatureExtractor FEATURES = new FeatureExtractor(20);
    private static final ContentExtractor EXTRACTOR = new ContentExtractor(ContentLimits.DEFAULT);

    private static int[] features(String date, String received) throws Exception {
        String raw = "Received: from relay.example.org ([192.0.2.7]) by mx.example.net; " + received + "\r\n"
            + "Date: " + date + "\r\nFrom: a@example.org\r\nTo: b@example.net\r\nSubject: meeting notes\r\n"
            + "X-Original-Date: " + date + "\r\n\r\nThe notes from our meeting are attached below.\r\n";
        return FEATURES.features(EXTRACTOR.extract(raw.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void theSameMessageSentInAnotherMonthHasTheSameFeatures() throws Exception {
        int[] august = features("Thu, 22 Aug 2002 18:26:25 +0700", "Thu, 22 Aug 2002 11:30:00 +0000");
        int[] december = features("Mon, 2 Dec 2002 09:01:02 +0700", "Mon, 2 Dec 2002 02:05:00 +0000");
        assertThat(december).containsExactly(august);
    }

    @Test
    void theDateHeaderKeepsItsZone() throws Exception {
        assertThat(features("Thu, 22 Aug 2002 18:26:25 -0800", "Thu, 22 Aug 2002 11:30:00 +0000"))
            .isNotEqualTo(features("Thu, 22 Aug 2002 18:26:25 +0700", "Thu, 22 Aug 2002 11:30:00 +0000"));
        assertThat(FeatureExtractor.withoutDate("date", "Thu, 22 Aug 2002 18:26:25 +0700")).isEqualTo("+0700");
        assertThat(FeatureExtractor.withoutDate("received", "from a by b; Thu, 22 Aug 2002")).isEqualTo("from a by b");
        assertThat(FeatureExtractor.withoutDate("subject", "Aug 2002 sale")).isEqualTo("Aug 2002 sale");
    }
}
