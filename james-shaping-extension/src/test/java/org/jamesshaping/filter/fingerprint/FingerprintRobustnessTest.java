package org.jamesshaping.filter.fingerprint;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.mail.MessagingException;

import org.jamesshaping.admin.cli.MessageFolders;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.content.MessageContent;
import org.jamesshaping.testsupport.CorpusCache;
import org.jamesshaping.testsupport.SpamMutator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** On the allowed SpamAssassin sets: variants of reported spam match, ham never does. */
class FingerprintRobustnessTest {
    private static final ContentExtractor EXTRACTOR = new ContentExtractor(ContentLimits.DEFAULT);
    private static final Fingerprinter FINGERPRINTER = new Fingerprinter();
    private static final double THRESHOLD = 0.5;

    private static List<CorpusCache.CorpusMessage> spam;
    private static FingerprintIndex index;
    private static List<MessageContent> reportedContents;

    @BeforeAll
    static void reportEverySpamOnce() throws MessagingException {
        spam = CorpusCache.load(CorpusCache.SPAM);
        List<SpamSignature> signatures = new ArrayList<>();
        reportedContents = new ArrayList<>();
        for (CorpusCache.CorpusMessage message : spam) {
            MessageContent content = EXTRACTOR.extract(MessageFolders.stripEnvelopeLine(message.raw()));
            Optional<Fingerprint> fingerprint = FINGERPRINTER.fingerprint(content);
            if (fingerprint.isPresent()) {
                signatures.add(new SpamSignature(fingerprint.get(), SpamSignature.Source.OPERATOR_REPORT, 0, null, null));
                reportedContents.add(content);
            }
        }
        index = FingerprintIndex.of(signatures);
    }

    @Test
    void mostSpamIsLongEnoughToFingerprint() {
        assertThat(reportedContents.size()).isGreaterThan(spam.size() * 8 / 10);
    }

    @Test
    void atLeast95PercentOfMutatedVariantsMatchTheReportedCopy() throws MessagingException {
        SpamMutator mutator = new SpamMutator(7);
        int variants = 0;
        int matched = 0;
        for (MessageContent content : reportedContents) {
            for (SpamMutator.Kind kind : SpamMutator.Kind.values()) {
                byte[] variant = mutator.mutate("Special offer", content.bodyText(), kind);
                Optional<Fingerprint> fingerprint = FINGERPRINTER.fingerprint(EXTRACTOR.extract(variant));
                variants++;
                if (fingerprint.isPresent() && index.bestMatch(fingerprint.get(), THRESHOLD).isPresent()) {
                    matched++;
                }
            }
        }
        assertThat((double) matched / variants).as("matched %d of %d variants", matched, variants).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void noHamMatchesAnySpamSignature() throws MessagingException {
        List<String> matchingHam = new ArrayList<>();
        for (String set : List.of(CorpusCache.EASY_HAM, CorpusCache.HARD_HAM)) {
            for (CorpusCache.CorpusMessage ham : CorpusCache.load(set)) {
                Optional<Fingerprint> fingerprint = FINGERPRINTER.fingerprint(EXTRACTOR.extract(MessageFolders.stripEnvelopeLine(ham.raw())));
                if (fingerprint.isPresent() && index.bestMatch(fingerprint.get(), THRESHOLD).isPresent()) {
                    matchingHam.add(ham.path().getFileName().toString());
                }
            }
        }
        assertThat(matchingHam).isEmpty();
    }
}
