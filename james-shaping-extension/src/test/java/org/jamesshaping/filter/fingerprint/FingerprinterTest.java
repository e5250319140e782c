package org.jamesshaping.filter.fingerprint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.testsupport.SpamMutator;
import org.junit.jupiter.api.Test;

class FingerprinterTest {
    private static final String TEXT = "We are pleased to offer you a pre-approved loan at the lowest rate in years. "
        + "No credit checks, no paperwork, and the money can be in your account within one business day. "
        + "Reply now to claim your offer before the end of the month, when this rate will no longer be available.";

    private final Fingerprinter fingerprinter = new Fingerprinter();
    private final ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);

    @Test
    void emptyAndShortBodiesAreNeverFingerprinted() throws Exception {
        assertThat(fingerprinter.fingerprint("")).isEmpty();
        assertThat(fingerprinter.fingerprint("Hi, see attached. Thanks!")).isEmpty();
        byte[] attachmentOnly = ("From: a@example.com\r\nSubject: doc\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf\r\n"
            + "Content-Disposition: attachment; filename=x.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n")
            .getBytes(StandardCharsets.US_ASCII);
        assertThat(fingerprinter.fingerprint(extractor.extract(attachmentOnly))).isEmpty();
    }

    @Test
    void theMinimumSizeIsConfigurable() {
        assertThat(new Fingerprinter(200).fingerprint(TEXT)).isPresent();
        assertThat(new Fingerprinter(10_000).fingerprint(TEXT)).isEmpty();
    }

    @Test
    void whitespaceCaseGreetingsLinksAndNumbersDoNotChangeTheFingerprint() {
        Fingerprint original = fingerprinter.fingerprint("Dear John,\n" + TEXT + " http://track.example.com/?id=123").orElseThrow();
        Fingerprint variant = fingerprinter.fingerprint("DEAR MARY SMITH,\n\n  " + TEXT.toUpperCase().replace(" ", "   \n")
            + " https://other.example.net/x?uid=9f8e7d order 88231").orElseThrow();
        assertThat(variant.similarity(original)).isEqualTo(1.0);
        assertThat(variant.id()).isEqualTo(original.id());
    }

    @Test
    void htmlAndTextCopiesGetTheSameFingerprint() throws Exception {
        byte[] text = SpamMutator.message("offer", TEXT, false);
        byte[] html = SpamMutator.message("offer", "<html><body><p><b>" + TEXT.replace(". ", ".<br>") + "</b></p></body></html>", true);
        assertThat(fingerprinter.fingerprint(extractor.extract(html)).orElseThrow())
            .isEqualTo(fingerprinter.fingerprint(extractor.extract(text)).orElseThrow());
    }

    @Test
    void differentTextsAreNotSimilar() {
        Fingerprint loan = fingerprinter.fingerprint(TEXT).orElseThrow();
        Fingerprint other = fingerprinter.fingerprint("The committee met on Tuesday to discuss the budget for the "
            + "library renovation. Members agreed that the reading room needs new lighting and that the roof repair "
            + "should be scheduled before winter. A final proposal will be circulated to everyone next week.").orElseThrow();
        assertThat(loan.similarity(other)).isLessThan(0.1);
    }
}
