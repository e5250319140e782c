package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Trap poisoning over real SMTP: an attacker sends a copy of a trusted partner's newsletter to the spamtrap, so that
 * the trap's processor makes it a known-spam signature. The partner, in the fast lane, still reaches the mailbox: a
 * signature only a trap reported does not flag fast-lane mail. A newcomer's copy is still caught by it, and once an
 * operator reports the body, the fast lane's copies are too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrapPoisoningIT {
    private static final String TRAP = "trap@james.local";
    private static final String POISONER = "127.0.222.9";
    private static final String PARTNER = "127.0.223.5";
    private static final String NEWCOMER = "127.0.224.5";
    private static final String NEWSLETTER = "Dear customer,\n\nOur autumn catalogue is out: forty new titles in the science and history "
        + "series, the complete works of the travel collection in a new binding, and the children's atlas revised for this "
        + "school year. Members receive the printed catalogue by post next week; the online edition is open to everyone.\n\n"
        + "With kind regards,\nThe editors\n";

    @TempDir
    static Path folder;
    EmbeddedMongo mongo;
    JamesTestServer james;
    WebAdminClient webAdmin;

    @BeforeAll
    void start() throws Exception {
        mongo = EmbeddedMongo.inMemory().start(0);
        james = JamesTestServer.start(folder.resolve("james"), mongo.uri(), false, settings -> settings
            .replaceInFile("smtpserver.xml", JamesWithStore.COMMENTED_SPAMTRAP, JamesWithStore.SPAMTRAP)
            .replaceInFile("mailetcontainer.xml", "<refreshInterval>10s</refreshInterval>", "<refreshInterval>1s</refreshInterval>")
            // The sample's trap routing and processor, enabled.
            .replaceInFile("mailetcontainer.xml", "<!-- Spamtrap: uncomment",
                "<mailet match=\"RecipientIs=" + TRAP + "\" class=\"ToProcessor\"><processor>spamtrap</processor></mailet>\n"
                    + "            <!-- Spamtrap: uncomment")
            .replaceInFile("mailetcontainer.xml", "<!-- james-shaping spamtrap processor",
                "<processor state=\"spamtrap\" enableJmx=\"true\">\n"
                    + "            <mailet match=\"All\" class=\"org.jamesshaping.filter.mailet.FingerprintFilter\"><reportAs>spamtrap</reportAs>"
                    + "<refreshInterval>1s</refreshInterval></mailet>\n"
                    + "            <mailet match=\"All\" class=\"ToRepository\"><repositoryPath>memory://var/mail/spamtrap/</repositoryPath></mailet>\n"
                    + "        </processor>\n        <!-- james-shaping spamtrap processor"));
        webAdmin = james.webAdmin();
        james.probe().provision("james.local", "user1@james.local", "secret");
        james.probe().provision("james.local", TRAP, "secret");
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
    void aPoisonedTrapSignatureDoesNotQuarantineAFastLaneSendersMailUntilAnOperatorReportsIt() throws Exception {
        assertThat(webAdmin.put("/shaping/reputation/" + PARTNER + "/status", "{\"class\":1,\"reason\":\"partner\"}").status).isEqualTo(204);
        assertThat(send(POISONER, "mallory@poison.example", TRAP, newsletter(1)).code).isEqualTo(250);
        // Once this server's index holds the trap's signature, a newcomer's copy is known spam.
        Eventually.within(Duration.ofSeconds(20), () -> {
            assertThat(send(NEWCOMER, "someone@fresh.example", "user1@james.local", newsletter(2)).code).isEqualTo(250);
            Eventually.within(Duration.ofSeconds(3), () -> assertThat(verdictsFrom("var/mail/quarantine", NEWCOMER)).contains("known-spam"));
        });

        assertThat(send(PARTNER, "news@partner.example", "user1@james.local", newsletter(3)).code).isEqualTo(250);
        Eventually.within(Duration.ofSeconds(15), () -> assertThat(inbox()).isEqualTo(1));
        assertThat(verdictsFrom("var/mail/quarantine", PARTNER)).isEmpty();

        // An operator reports the same body: now it is known spam for the fast lane too.
        WebAdminClient.Reply reported = webAdmin.postRaw("/shaping/fingerprints", newsletter(4));
        assertThat(reported.status).as(reported.toString()).isEqualTo(201);
        Eventually.within(Duration.ofSeconds(20), () -> {
            assertThat(send(PARTNER, "news@partner.example", "user1@james.local", newsletter(5)).code).isEqualTo(250);
            Eventually.within(Duration.ofSeconds(3), () -> assertThat(verdictsFrom("var/mail/quarantine", PARTNER)).contains("known-spam"));
        });
    }

    private String newsletter(int n) {
        return "From: <news@partner.example>\nTo: <user1@james.local>\nSubject: Autumn catalogue\nDate: Mon, 7 Oct 2024 08:00:00 +0000\n"
            + "Message-ID: <catalogue" + n + "@partner.example>\n\n" + NEWSLETTER;
    }

    private SmtpClient.Reply send(String source, String sender, String recipient, String message) throws IOException {
        return SmtpClient.sendMail(source, james.smtpPort(), sender, List.of(recipient), message);
    }

    /** X-Shaping-Verdict of each mail in a repository that this client address sent. */
    private List<String> verdictsFrom(String repository, String address) {
        String base = "/mailRepositories/" + URLEncoder.encode(repository, StandardCharsets.UTF_8) + "/mails";
        WebAdminClient.Reply keys = webAdmin.get(base);
        List<String> verdicts = new ArrayList<>();
        if (keys.status == 404) {
            return verdicts;
        }
        for (JsonNode key : keys.json()) {
            JsonNode mail = webAdmin.get(base + "/" + URLEncoder.encode(key.asText(), StandardCharsets.UTF_8) + "?additionalFields=headers").json();
            if (address.equals(mail.get("remoteAddr").asText())) {
                JsonNode verdict = mail.path("headers").path("X-Shaping-Verdict");
                verdicts.add(verdict.isArray() ? verdict.get(0).asText() : verdict.asText());
            }
        }
        return verdicts;
    }

    private int inbox() {
        WebAdminClient.Reply inbox = webAdmin.get("/users/user1@james.local/mailboxes/INBOX/messageCount");
        assertThat(inbox.status).as(inbox.toString()).isEqualTo(200);
        return Integer.parseInt(inbox.body.trim());
    }
}
