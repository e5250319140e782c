package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/** Each reputation signal, produced by the real SMTP traffic that causes it, and read back through WebAdmin. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SignalsIT {
    @TempDir
    static Path folder;
    JamesWithStore running;
    JamesTestServer james;
    WebAdminClient webAdmin;

    @BeforeAll
    void start() throws Exception {
        running = JamesWithStore.start(folder, settings -> settings
            .replaceInFile("smtpserver.xml", JamesWithStore.COMMENTED_SPAMTRAP, JamesWithStore.SPAMTRAP));
        james = running.james();
        webAdmin = james.webAdmin();
    }

    @AfterAll
    void stop() {
        if (running != null) {
            running.close();
        }
    }

    private SmtpClient greeted(String source) throws Exception {
        SmtpClient client = SmtpClient.connect(source, james.smtpPort());
        assertThat(client.readReply().code).isEqualTo(220);
        return client;
    }

    private void expectCounter(String address, String counter, long total) throws Exception {
        Eventually.within(Duration.ofSeconds(10), () -> {
            JsonNode counters = webAdmin.get("/shaping/reputation/" + address).json().get("record").get("counters");
            assertThat(counters.has(counter)).as("%s has %s: %s", address, counter, counters).isTrue();
            assertThat(counters.get(counter).get("total").asLong()).isEqualTo(total);
        });
    }

    @Test
    void connections() throws Exception {
        try (SmtpClient client = greeted("127.0.81.1")) {
            client.command("QUIT");
        }
        try (SmtpClient silent = greeted("127.0.81.1")) {
            // sends nothing: counted at disconnect
        }
        expectCounter("127.0.81.1", "connections", 2);
        expectCounter("127.0.81.0/24", "connections", 2);
    }

    @Test
    void heloAnomalies() throws Exception {
        try (SmtpClient client = greeted("127.0.82.2")) {
            assertThat(client.command("EHLO [198.51.100.1]").code).isEqualTo(250);
            assertThat(client.command("HELO localhost").code).isEqualTo(250);
            assertThat(client.command("EHLO [127.0.82.2]").code).isEqualTo(250);
            assertThat(client.command("EHLO mail.example.org").code).isEqualTo(250);
        }
        expectCounter("127.0.82.2", "heloAnomalies", 2);
    }

    @Test
    void unknownRecipientsAsJamesRefusesThem() throws Exception {
        try (SmtpClient client = greeted("127.0.83.3")) {
            client.command("EHLO mail.example.org");
            client.command("MAIL FROM:<a@example.org>");
            assertThat(client.command("RCPT TO:<user1@james.local>").code).isEqualTo(250);
            assertThat(client.command("RCPT TO:<admin@james.local>").code).isEqualTo(550);
            assertThat(client.command("RCPT TO:<sales@james.local>").code).isEqualTo(550);
        }
        expectCounter("127.0.83.3", "unknownRecipients", 2);
        expectCounter("127.0.83.3", "rcptRejected", 2);
        expectCounter("127.0.83.3", "rcptAccepted", 1);
    }

    @Test
    void spamtrapHits() throws Exception {
        try (SmtpClient client = greeted("127.0.84.4")) {
            client.command("EHLO mail.example.org");
            client.command("MAIL FROM:<a@example.org>");
            client.command("RCPT TO:<trap@james.local>");
            client.command("RCPT TO:<TRAP@james.local>");
        }
        expectCounter("127.0.84.4", "spamtrapHits", 2);
    }

    @Test
    void unknownCommandsAndProtocolErrors() throws Exception {
        try (SmtpClient client = greeted("127.0.85.5")) {
            assertThat(client.command("XYZZY").code).isEqualTo(500);
            client.command("EHLO mail.example.org");
            assertThat(client.command("MAIL FROM:<broken").code).isEqualTo(501);
            assertThat(client.command("DATA").code).isEqualTo(503);
        }
        expectCounter("127.0.85.5", "protocolViolations", 3);
    }

    @Test
    void messagesAcceptedAndAborted() throws Exception {
        assertThat(SmtpClient.sendMail("127.0.86.6", james.smtpPort(), "a@example.org", java.util.List.of("user1@james.local")).code)
            .isEqualTo(250);
        try (SmtpClient client = greeted("127.0.86.6")) {
            client.command("EHLO mail.example.org");
            client.command("MAIL FROM:<a@example.org>");
            client.command("RCPT TO:<user1@james.local>");
            assertThat(client.command("DATA").code).isEqualTo(354);
            client.send("Subject: cut short\r\n\r\nhalf a mess");
        }
        expectCounter("127.0.86.6", "messages", 1);
        expectCounter("127.0.86.6", "messagesAborted", 1);
    }

    /** A client that hangs up right after its message is accepted (no QUIT) sent a message, it did not abort one. */
    @Test
    void aMessageFollowedByAHangUpIsAcceptedNotAborted() throws Exception {
        try (SmtpClient client = greeted("127.0.91.9")) {
            client.command("EHLO mail.example.org");
            client.command("MAIL FROM:<a@example.org>");
            client.command("RCPT TO:<user1@james.local>");
            assertThat(client.command("DATA").code).isEqualTo(354);
            client.send("Subject: hello\r\n\r\nhi\r\n.\r\n");
            assertThat(client.readReply().code).isEqualTo(250);
        }
        // Both are recorded together, at disconnect: once the message is there, an abort would be too.
        expectCounter("127.0.91.9", "messages", 1);
        JsonNode counters = webAdmin.get("/shaping/reputation/127.0.91.9").json().get("record").get("counters");
        assertThat(counters.has("messagesAborted")).as(counters.toString()).isFalse();
    }

    /**
     * Signals against the sender reach the store while the connection is still open (the shaper's next check and
     * the fleet see them); those for it are counted in the session and recorded once the session moves past the
     * accepted message (its next command), the connection still open.
     */
    @Test
    void signalsAgainstTheSenderAreRecordedAtOnceThoseForItAfterTheMessage() throws Exception {
        try (SmtpClient client = greeted("127.0.90.8")) {
            client.command("EHLO mail.example.org");
            client.command("MAIL FROM:<a@example.org>");
            assertThat(client.command("RCPT TO:<nobody@james.local>").code).isEqualTo(550);
            expectCounter("127.0.90.8", "unknownRecipients", 1);
            expectCounter("127.0.90.8", "connections", 1);
            assertThat(client.command("RCPT TO:<user1@james.local>").code).isEqualTo(250);
            assertThat(client.command("DATA").code).isEqualTo(354);
            client.send("Subject: hello\r\n\r\nhi\r\n.\r\n");
            assertThat(client.readReply().code).isEqualTo(250);
            assertThat(client.command("NOOP").code).isEqualTo(250);
            expectCounter("127.0.90.8", "messages", 1);
            expectCounter("127.0.90.8", "rcptAccepted", 1);
            expectCounter("127.0.90.8", "connections", 1);
        }
    }

    @Test
    void operatorReports() throws Exception {
        assertThat(webAdmin.post("/shaping/reputation/127.0.87.7/reports", "{\"verdict\":\"spam\"}").status).isEqualTo(204);
        assertThat(webAdmin.post("/shaping/reputation/127.0.87.7/reports", "{\"verdict\":\"spam\"}").status).isEqualTo(204);
        assertThat(webAdmin.post("/shaping/reputation/127.0.88.8/reports", "{\"verdict\":\"ham\"}").status).isEqualTo(204);
        assertThat(webAdmin.post("/shaping/reputation/127.0.87.0/24/reports", "{\"verdict\":\"spam\"}").status).isEqualTo(404);
        assertThat(webAdmin.post("/shaping/reputation/127.0.89.9/reports", "{\"verdict\":\"maybe\"}").status).isEqualTo(400);
        expectCounter("127.0.87.7", "reportedSpam", 2);
        expectCounter("127.0.88.8", "reportedHam", 1);
    }
}
