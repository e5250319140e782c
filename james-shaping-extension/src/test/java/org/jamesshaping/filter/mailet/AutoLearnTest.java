package org.jamesshaping.filter.mailet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import org.apache.james.core.MailAddress;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetException;
import org.jamesshaping.filter.FilterStores;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.predictive.TrainingReports;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AutoLearnTest {
    private final EmbeddedMongo mongo = EmbeddedMongo.startInMemory();
    private final FilterStores stores = new FilterStores();
    private final MongoConnection connection = new MongoConnection(mongo.uri(), "autolearn_test", Duration.ofSeconds(2));

    @AfterEach
    void stop() {
        stores.close();
        mongo.close();
    }

    private AutoLearn mailet(Map<String, String> parameters) throws Exception {
        AutoLearn mailet = new AutoLearn(stores, connection, Clock.systemUTC());
        mailet.init(new TestMailetConfig("AutoLearn", parameters));
        return mailet;
    }

    private static Mail mail(String sender, String client, int n) throws Exception {
        String raw = "From: " + sender + "\r\nTo: rcpt@example.com\r\nSubject: weekly report " + n + "\r\n\r\n"
            + "The build passed all tests this week, number " + n + ".\r\n";
        return MailImpl.builder().name("mail-" + n).sender(new MailAddress(sender)).addRecipient("rcpt@example.com")
            .mimeMessage(ContentExtractor.parse(raw.getBytes(StandardCharsets.US_ASCII))).remoteAddr(client).build();
    }

    /** What autolearn did with the mail; the mail is disposed (James would, after delivery). */
    private static String outcome(Mail mail) {
        String outcome = mail.getAttribute(AutoLearn.AUTOLEARN_ATTRIBUTE).map(attribute -> (String) attribute.getValue().value())
            .orElse("none");
        LifecycleUtil.dispose(mail);
        return outcome;
    }

    @Test
    void trustedMailIsQueuedForTheModelAsAReportOfItsLabel() throws Exception {
        AutoLearn ham = mailet(Map.of("as", "ham"));
        Mail mail = mail("colleague@example.org", "192.0.2.10", 1);
        ham.service(mail);
        assertThat(outcome(mail)).isEqualTo("queued");
        TrainingReports reports = stores.trainingReports(connection);
        assertThat(reports.pending(10)).hasSize(1).allSatisfy(report -> {
            assertThat(report.spam()).isFalse();
            assertThat(report.source()).isEqualTo(AutoLearn.SOURCE);
            assertThat(new String(reports.message(report.id()).orElseThrow(), StandardCharsets.US_ASCII)).contains("weekly report 1");
        });

        AutoLearn spam = mailet(Map.of("as", "spam"));
        Mail trapped = mail("seller@example.net", "198.51.100.9", 2);
        spam.service(trapped);
        assertThat(outcome(trapped)).isEqualTo("queued");
        assertThat(reports.pending(10)).filteredOn(TrainingReports.Report::spam).hasSize(1);
    }

    @Test
    void aSenderCannotFloodTheModelWithItsOwnExamples() throws Exception {
        AutoLearn ham = mailet(Map.of("as", "ham", "maxPerSender", "2", "maxPerNetwork", "3"));
        for (int n = 0; n < 5; n++) {
            Mail mail = mail("bulk@example.org", "192.0.2.10", n);
            ham.service(mail);
            assertThat(outcome(mail)).isEqualTo(n < 2 ? "queued" : "over-sender-limit");
        }
        // new sender addresses from the same /24 share its bound
        for (int n = 0; n < 3; n++) {
            Mail mail = mail("fresh" + n + "@example.org", "192.0.2." + (20 + n), 10 + n);
            ham.service(mail);
            assertThat(outcome(mail)).isEqualTo(n < 1 ? "queued" : "over-network-limit");
        }
        assertThat(stores.trainingReports(connection).pending(50)).hasSize(3);
        assertThat(ham.quota().senderLimited()).isEqualTo(3);
        assertThat(ham.quota().networkLimited()).isEqualTo(2);
    }

    @Test
    void knownSpamIsNeverLearnedAsHamEvenFromATrustedSender() throws Exception {
        AutoLearn ham = mailet(Map.of("as", "ham"));
        AutoLearn spam = mailet(Map.of("as", "spam"));
        Mail relayed = mail("list@partner.example.org", "192.0.2.10", 1);
        relayed.setAttribute(new Attribute(ShapingHeaders.VERDICT_ATTRIBUTE, AttributeValue.of("known-spam")));
        spam.service(relayed);
        ham.service(relayed);
        assertThat(outcome(relayed)).isEqualTo(AutoLearn.KNOWN_SPAM_OUTCOME);
        // The model's own verdict is no reason to refuse a trusted sender's ham: that is the mistake to learn from.
        Mail flagged = mail("list@partner.example.org", "192.0.2.10", 2);
        flagged.setAttribute(new Attribute(ShapingHeaders.VERDICT_ATTRIBUTE, AttributeValue.of("spam")));
        ham.service(flagged);
        assertThat(outcome(flagged)).isEqualTo("queued");

        assertThat(stores.trainingReports(connection).pending(10)).extracting(TrainingReports.Report::spam)
            .containsExactlyInAnyOrder(true, false);
        // The refused one took nothing of the sender's bound.
        assertThat(ham.quota().taken()).isEqualTo(1);
    }

    @Test
    void aStoreThatIsDownLosesTheExampleNotTheMail() throws Exception {
        AutoLearn ham = new AutoLearn(stores, new MongoConnection(EmbeddedMongo.deadUri(), "autolearn_test", Duration.ofMillis(300)),
            Clock.systemUTC());
        ham.init(new TestMailetConfig("AutoLearn", Map.of("as", "ham")));
        Mail mail = mail("colleague@example.org", "192.0.2.10", 1);
        ham.service(mail);
        assertThat(mail.getState()).isNotEqualTo(Mail.GHOST);
        assertThat(outcome(mail)).isEqualTo("failed");
    }

    @Test
    void badParametersAreRefusedAtStart() {
        assertThatThrownBy(() -> mailet(Map.of())).isInstanceOf(MailetException.class).hasMessageContaining("as must be spam or ham");
        assertThatThrownBy(() -> mailet(Map.of("as", "ham", "maxPerSender", "0"))).isInstanceOf(MailetException.class)
            .hasMessageContaining("maxPerSender");
        assertThatThrownBy(() -> mailet(Map.of("as", "ham", "window", "soon"))).isInstanceOf(MailetException.class)
            .hasMessageContaining("window");
    }
}
