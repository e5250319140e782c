package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Autolearn over real SMTP in a real James with the sample configuration's AutoLearn mailets (the known-spam one
 * with bounds of 2 per sender and 3 per /24): copies of a reported campaign are queued for the shared model as spam of source autolearn, at most
 * maxPerSender of one sender and maxPerNetwork of one /24 however many envelope senders it uses; mail the filters
 * did not recognise is not learned; and under {@code SenderShapingClass=0-1}, mail of fast-lane senders as ham.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AutoLearnIT {
    private static final String CAMPAIGN = "Congratulations, you have been selected to receive a complimentary cruise to the "
        + "Bahamas. Simply call our toll free number today and claim your luxury vacation package before this limited "
        + "promotion expires. Thousands of satisfied travellers have already enjoyed this exclusive deal from our partners.";
    /** The sample's AutoLearn of known spam, given smaller bounds here. */
    private static final String KNOWN_SPAM_AUTOLEARN =
        "<mailet match=\"org.jamesshaping.filter.mailet.HasShapingVerdict=known-spam\" class=\"org.jamesshaping.filter.mailet.AutoLearn\">";

    @TempDir
    static Path folder;
    EmbeddedMongo mongo;
    JamesTestServer james;
    WebAdminClient webAdmin;

    @BeforeAll
    void start() throws Exception {
        mongo = EmbeddedMongo.inMemory().start(0);
        james = JamesTestServer.start(folder.resolve("james"), mongo.uri(), false, settings -> settings
            .replaceInFile("mailetcontainer.xml", "<refreshInterval>10s</refreshInterval>", "<refreshInterval>1s</refreshInterval>")
            .replaceInFile("mailetcontainer.xml", KNOWN_SPAM_AUTOLEARN, KNOWN_SPAM_AUTOLEARN + "<maxPerSender>2</maxPerSender>"
                + "<maxPerNetwork>3</maxPerNetwork>"));
        webAdmin = james.webAdmin();
        james.probe().provision("james.local", "user1@james.local", "secret");
        james.probe().provision("james.local", "user2@james.local", "secret");
    }

    @AfterAll
    void stop() {
        if (james != null) {
            james.close();
        }
        if (mongo != null) {
            mongo.stop();
        }
    }

    @Test
    @Order(1)
    void knownSpamIsLearnedBoundedPerSenderAndPerNetworkAndUnrecognisedMailIsNot() throws Exception {
        WebAdminClient.Reply reported = webAdmin.postRaw("/shaping/fingerprints", message("winner@prize.example", "Dear friend", 0));
        assertThat(reported.status).as(reported.toString()).isEqualTo(201);
        // Wait until James matches the campaign: its first copy is then queued.
        Eventually.within(Duration.ofSeconds(20), () -> {
            assertThat(send("127.0.200.1", "bulk@prize.example", message("winner@prize.example", "Dear Alice", 1)).code).isEqualTo(250);
            Eventually.within(Duration.ofSeconds(3), () -> assertThat(autolearned()).isNotEmpty());
        });
        int first = autolearned().size();
        // The same sender again and again, from other addresses: only maxPerSender (2) of its copies count.
        for (int n = 2; n < 6; n++) {
            assertThat(send("127.0.200." + n, "bulk@prize.example", message("winner@prize.example", "Dear Bob", n)).code).isEqualTo(250);
        }
        // Fresh envelope senders from the same /24: the network's bound (3) holds.
        for (int n = 6; n < 10; n++) {
            assertThat(send("127.0.200." + (10 + n), "sender" + n + "@prize.example", message("winner@prize.example", "Dear Carol", n)).code)
                .isEqualTo(250);
        }
        // Mail the filters did not recognise as known spam is never learned by this mailet.
        assertThat(send("127.0.201.1", "colleague@project.example.org", "From: <colleague@project.example.org>\nTo: <user1@james.local>\n"
            + "Subject: minutes\nDate: Tue, 3 Sep 2024 10:00:00 +0000\nMessage-ID: <m1@project.example.org>\n\n"
            + "The minutes of the design review are attached; the release is planned for next week.\n").code).isEqualTo(250);
        // A new /24 has its own bound.
        assertThat(send("127.0.202.1", "other@prize.example", message("winner@prize.example", "Dear Dave", 20)).code).isEqualTo(250);

        Eventually.within(Duration.ofSeconds(15), () -> {
            List<JsonNode> learned = autolearned();
            assertThat(learned).as(learned.toString()).hasSize(4);
            assertThat(learned).allSatisfy(report -> assertThat(report.get("label").asText()).isEqualTo("spam"));
        });
        assertThat(first).isEqualTo(1);
        // Everything still went where the filters sent it: nothing was lost to the error repository.
        WebAdminClient.Reply errors = webAdmin.get("/mailRepositories/var%2Fmail%2Ferror/mails");
        assertThat(errors.status == 404 || errors.json().size() == 0).as(errors.toString()).isTrue();
    }

    /** The class comes from the shaper, not from anything the sender writes: a newcomer's mail is not learned. */
    @Test
    @Order(2)
    void mailOfAFastLaneSenderIsLearnedAsHamAndANewcomersIsNot() throws Exception {
        assertThat(webAdmin.put("/shaping/reputation/127.0.203.5/status", "{\"class\":1,\"reason\":\"long clean history\"}").status)
            .isEqualTo(204);
        String minutes = "From: <alice@partner.example.org>\nTo: <user1@james.local>\nSubject: minutes %d\n"
            + "Date: Wed, 4 Sep 2024 10:00:00 +0000\nMessage-ID: <minutes%d@partner.example.org>\n\n"
            + "The minutes of the review are below; the next release is planned for the week after.\n";
        assertThat(send("127.0.204.5", "newcomer@fresh.example", String.format(minutes, 1, 1)).code).isEqualTo(250);
        assertThat(send("127.0.203.5", "alice@partner.example.org", String.format(minutes, 2, 2)).code).isEqualTo(250);

        Eventually.within(Duration.ofSeconds(15), () -> {
            List<JsonNode> ham = new ArrayList<>();
            for (JsonNode report : autolearned()) {
                if ("ham".equals(report.get("label").asText())) {
                    ham.add(report);
                }
            }
            assertThat(ham).as(ham.toString()).hasSize(1);
        });
        // Both mails out of the spool, and still one learned: the newcomer's was not merely late.
        Eventually.within(Duration.ofSeconds(15), () -> assertThat(webAdmin.get("/mailQueues/spool").json().get("size").asLong()).isZero());
        assertThat(autolearned()).filteredOn(report -> "ham".equals(report.get("label").asText())).hasSize(1);
    }

    /**
     * A fast-lane sender cannot teach the model that a campaign is ham: a warmed-up spammer's copy, or a list relaying
     * one, is learned as spam by the known-spam mailet and refused by the fast-lane ham one.
     */
    @Test
    @Order(3)
    void knownSpamFromAFastLaneSenderIsLearnedAsSpamNeverAsHam() throws Exception {
        assertThat(webAdmin.put("/shaping/reputation/127.0.220.5/status", "{\"class\":1,\"reason\":\"warmed up\"}").status)
            .isEqualTo(204);
        long spamBefore = labelled("spam");
        long hamBefore = labelled("ham");
        assertThat(send("127.0.220.5", "newsletter@warm.example", message("newsletter@warm.example", "Dear Erin", 30)).code).isEqualTo(250);

        Eventually.within(Duration.ofSeconds(15), () -> assertThat(labelled("spam")).isEqualTo(spamBefore + 1));
        Eventually.within(Duration.ofSeconds(15), () -> assertThat(webAdmin.get("/mailQueues/spool").json().get("size").asLong()).isZero());
        assertThat(labelled("ham")).isEqualTo(hamBefore);
    }

    /** The sample's first AutoLearn: mail an authenticated user submits (port 587, STARTTLS then AUTH) is ham. */
    @Test
    @Order(4)
    void mailSubmittedByAnAuthenticatedUserIsLearnedAsHam() throws Exception {
        long hamBefore = labelled("ham");
        String credentials = Base64.getEncoder().encodeToString("\0user1@james.local\0secret".getBytes(StandardCharsets.UTF_8));
        try (SmtpClient plain = SmtpClient.connect("127.0.221.5", james.probe().smtpPort(2))) {
            assertThat(plain.readReply().code).isEqualTo(220);
            plain.command("EHLO laptop.example.org");
            assertThat(plain.command("STARTTLS").code).isEqualTo(220);
            SmtpClient tls = plain.upgradeToTls();
            tls.command("EHLO laptop.example.org");
            assertThat(tls.command("AUTH PLAIN " + credentials).code).isEqualTo(235);
            assertThat(tls.command("MAIL FROM:<user1@james.local>").code).isEqualTo(250);
            assertThat(tls.command("RCPT TO:<user2@james.local>").code).isEqualTo(250);
            assertThat(tls.command("DATA").code).isEqualTo(354);
            tls.send("From: <user1@james.local>\r\nTo: <user2@james.local>\r\nSubject: agenda\r\n"
                + "Date: Thu, 5 Sep 2024 09:00:00 +0000\r\nMessage-ID: <agenda1@james.local>\r\n\r\n"
                + "Here is the agenda for Monday's planning meeting.\r\n.\r\n");
            assertThat(tls.readReply().code).isEqualTo(250);
            tls.command("QUIT");
        }

        Eventually.within(Duration.ofSeconds(15), () -> assertThat(labelled("ham")).isEqualTo(hamBefore + 1));
    }

    private long labelled(String label) throws IOException {
        return autolearned().stream().filter(report -> label.equals(report.get("label").asText())).count();
    }

    private List<JsonNode> autolearned() throws IOException {
        WebAdminClient.Reply reply = webAdmin.get("/shaping/reports?state=pending");
        assertThat(reply.status).as(reply.toString()).isEqualTo(200);
        List<JsonNode> learned = new ArrayList<>();
        for (JsonNode report : reply.json()) {
            if ("autolearn".equals(report.get("source").asText())) {
                learned.add(report);
            }
        }
        return learned;
    }

    /** A copy of the campaign with its own greeting and tracking link, so each copy is a message of its own. */
    private static String message(String from, String greeting, int n) {
        return "From: <" + from + ">\nTo: <user1@james.local>\nSubject: Your cruise is waiting\nDate: Tue, 3 Sep 2024 10:00:00 +0000\n"
            + "Message-ID: <cruise" + n + "@prize.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n"
            + greeting + ",\n\n" + CAMPAIGN + "\n\nClaim it at http://cruise.example/claim?id=" + (1000 + n) + "\n";
    }

    private SmtpClient.Reply send(String source, String sender, String message) throws IOException {
        return SmtpClient.sendMail(source, james.smtpPort(), sender, List.of("user1@james.local"), message);
    }
}
