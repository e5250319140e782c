package org.jamesshaping.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class SmtpDataTest {
    private static String data(String raw) {
        return new String(SmtpData.of(raw.getBytes(StandardCharsets.US_ASCII)), StandardCharsets.US_ASCII);
    }

    @Test
    void crlfAndLoneCrEndLinesOnceEach() {
        assertThat(data("Subject: a\r\n\r\nline\rnext\r\n.dot\n")).isEqualTo("Subject: a\r\n\r\nline\r\nnext\r\n..dot\r\n.\r\n");
    }

    @Test
    void anMboxFromLineIsNotSentAsAHeader() {
        assertThat(data("From x@example.com Mon Jan  1 00:00:00 2002\r\nSubject: b\r\n\r\nbody"))
            .isEqualTo("Subject: b\r\n\r\nbody\r\n.\r\n");
    }
}
