package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * Autolearn over real SMTP in a real James, the sample configuration plus the AutoLearn mailet under the known-spam
 * matcher: copies of a reported campaign are queued for the shared model as spam of source autolearn, at most
 * maxPerSender of one sender and maxPerNetwork of one /24 however many envelope senders it uses; mail the filters
 * did not recognise is not learned; and under {@code SenderShapingClass=0-1}, mail of fast-lane senders as ham.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AutoLearnIT {
    private static final String CAMPAIGN = "Congratulations, you have been selected to receive a complimentary cruise to the "
        + "Bahamas. Simply call our toll free number today and claim your luxury vacation package before this limited "
        + "promotion expires. Thousands of satisfied travellers have already enjoyed this exclusive deal from our partners.";
    private static final String KNOWN_SPAM_MATCHER =
        "<mailet match=\"org.jamesshaping.filter.mailet.HasShapingVerdict=known-spam,spam\" class=\"ToProcessor\">";

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
            .replaceInFile("mailetcontainer.xml", KNOWN_SPAM_MATCHER,
                "<mailet match=\"org.jamesshaping.filter.mailet.HasShapingVerdict=known-spam\" "
                    + "class=\"org.jamesshaping.filter.mailet.AutoLearn\"><as>spam</as><maxPerSender>2</maxPerSender>"
                    + "<maxPerNetwork>3</maxPerNetwork></mailet>\n"
                    + "<mailet match=\"org.jamesshaping.filter.mailet.SenderShapingClass=0-1\" "
                    + "class=\"org.jamesshaping.filter.mailet.AutoLearn\"><as>ham</as></mailet>\n" + KNOWN_SPAM_MATCHER));
        webAdmin = james.webAdmin();
        james.probe().provision("james.local", "user1@james.local", "secret");
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
