package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The sample configuration keeps James's own mail flow: mail from a relay network and bounces to remote senders
 * leave through the stock "relay" processor (RemoteDelivery), never "relay-denied"; AUTH is not announced on :25;
 * the submission servers (:465 implicit TLS, :587 STARTTLS) take authenticated mail and are never shaped.
 *
 * <p>Observed through WebAdmin's mail repositories: the test adds one pass-through ToRepository at the top of the
 * "relay" processor (memory://var/mail/relayed/), everything before it is the sample as shipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StockMailFlowIT {
    private static final String RELAY_NETWORK = "127.0.205.0/24";
    private static final String RELAYED = "/mailRepositories/var%2Fmail%2Frelayed/mails";
    private static final String RELAY_DENIED = "/mailRepositories/var%2Fmail%2Frelay-denied/mails";
    private static final String ADDRESS_ERROR = "/mailRepositories/var%2Fmail%2Faddress-error/mails";

    @TempDir
    static Path folder;
    JamesWithStore running;
    WebAdminClient webAdmin;

    @BeforeAll
    void start() throws Exception {
        running = JamesWithStore.start(folder, settings -> settings
            .replaceInFile("smtpserver.xml", "<authorizedAddresses>127.0.0.1/32</authorizedAddresses>",
                "<authorizedAddresses>127.0.0.1/32, " + RELAY_NETWORK + "</authorizedAddresses>")
            .replaceInFile("mailetcontainer.xml", "<processor state=\"relay\" enableJmx=\"true\">",
                "<processor state=\"relay\" enableJmx=\"true\">\n"
                    + "            <mailet match=\"All\" class=\"ToRepository\">\n"
                    + "                <repositoryPath>memory://var/mail/relayed/</repositoryPath>\n"
                    + "                <passThrough>true</passThrough>\n"
                    + "            </mailet>"));
        webAdmin = running.webAdmin();
    }

    @AfterAll
    void stop() {
        if (running != null) {
            running.close();
        }
    }

    @Test
    void mailFromARelayNetworkToARemoteRecipientGoesToRemoteDelivery() throws Exception {
        assertThat(SmtpClient.sendMail("127.0.205.10", running.smtpPort(), "app@partner.example",
            List.of("friend@remote.example")).code).isEqualTo(250);

        Eventually.within(Duration.ofSeconds(10), () ->
            assertThat(recipientsIn(RELAYED)).contains(List.of("friend@remote.example")));
        assertThat(recipientsIn(RELAY_DENIED)).noneMatch(recipients -> recipients.contains("friend@remote.example"));

        // The same mail from outside the relay network is refused at RCPT, as stock James does.
        try (SmtpClient client = SmtpClient.connect("127.0.206.10", running.smtpPort())) {
            assertThat(client.readReply().code).isEqualTo(220);
            assertThat(client.command("EHLO outsider.example").code).isEqualTo(250);
            assertThat(client.command("MAIL FROM:<app@partner.example>").code).isEqualTo(250);
            assertThat(client.command("RCPT TO:<friend2@remote.example>").code).isBetween(500, 599);
        }
    }

    @Test
    void aBounceForAnUnknownLocalUserGoesBackToTheRemoteSenderThroughRemoteDelivery() throws Exception {
        // Accepted at RCPT (the address has a mapping), then rewritten to a local user that does not exist.
        assertThat(webAdmin.post("/mappings/address/ghost@james.local/targets/nobody@james.local", "").status)
            .isEqualTo(204);

        assertThat(SmtpClient.sendMail("127.0.207.10", running.smtpPort(), "sender@remote.example",
            List.of("ghost@james.local")).code).isEqualTo(250);

        Eventually.within(Duration.ofSeconds(10), () -> {
            assertThat(recipientsIn(ADDRESS_ERROR)).contains(List.of("nobody@james.local"));
            assertThat(recipientsIn(RELAYED)).contains(List.of("sender@remote.example"));
        });
        assertThat(recipientsIn(RELAY_DENIED)).noneMatch(recipients -> recipients.contains("sender@remote.example"));
    }

    @Test
    void port25DoesNotAnnounceAuth() throws Exception {
        try (SmtpClient client = SmtpClient.connect("127.0.208.10", running.smtpPort())) {
            assertThat(client.readReply().code).isEqualTo(220);
            SmtpClient.Reply ehlo = client.command("EHLO client.example.org");
            assertThat(ehlo.code).isEqualTo(250);
            assertThat(ehlo.lines).noneMatch(line -> line.startsWith("AUTH"));
        }
    }

    @Test
    void theSubmissionPortsTakeAuthenticatedMailAndAreNeverShaped() throws Exception {
        // Class 5 on :25 waits 3 s for the greeting and 0.5 s for each reply (7 s for the session below); on :465
        // and :587 the same client is not shaped at all.
        assertThat(webAdmin.put("/shaping/reputation/127.0.209.5/status", "{\"class\":5}").status).isEqualTo(204);
        int submission = running.james().probe().smtpPort(2);
        int smtps = running.james().probe().smtpPort(1);
        String credentials = Base64.getEncoder().encodeToString(
            ("\0" + JamesWithStore.USER + "\0" + JamesWithStore.PASSWORD).getBytes(StandardCharsets.UTF_8));

        long start = System.nanoTime();
        try (SmtpClient plain = SmtpClient.connect("127.0.209.5", submission)) {
            assertThat(plain.readReply().code).isEqualTo(220);
            assertThat(millisSince(start)).isLessThan(1500L);
            SmtpClient.Reply ehlo = plain.command("EHLO laptop.example.org");
            assertThat(ehlo.lines).contains("STARTTLS").noneMatch(line -> line.startsWith("AUTH"));
            assertThat(plain.command("STARTTLS").code).isEqualTo(220);
            SmtpClient tls = plain.upgradeToTls();
            assertThat(tls.command("EHLO laptop.example.org").lines).anyMatch(line -> line.startsWith("AUTH"));
            assertThat(tls.command("AUTH PLAIN " + credentials).code).isEqualTo(235);
            assertThat(tls.command("MAIL FROM:<" + JamesWithStore.USER + ">").code).isEqualTo(250);
            assertThat(tls.command("RCPT TO:<colleague@remote.example>").code).isEqualTo(250);
            assertThat(tls.command("DATA").code).isEqualTo(354);
            tls.send("From: <" + JamesWithStore.USER + ">\r\nSubject: submitted\r\n\r\nHello\r\n.\r\n");
            assertThat(tls.readReply().code).isEqualTo(250);
            tls.command("QUIT");
        }
        assertThat(millisSince(start)).isLessThan(5000L);
        Eventually.within(Duration.ofSeconds(10), () ->
            assertThat(recipientsIn(RELAYED)).contains(List.of("colleague@remote.example")));

        start = System.nanoTime();
        try (SmtpClient tls = SmtpClient.connectTls("127.0.209.5", smtps)) {
            assertThat(tls.readReply().code).isEqualTo(220);
            assertThat(millisSince(start)).isLessThan(1500L);
            assertThat(tls.command("EHLO laptop.example.org").lines).anyMatch(line -> line.startsWith("AUTH"));
            assertThat(tls.command("AUTH PLAIN " + credentials).code).isEqualTo(235);
        }

        start = System.nanoTime();
        try (SmtpClient shaped = SmtpClient.connect("127.0.209.5", running.smtpPort())) {
            assertThat(shaped.readReply().code).isEqualTo(220);
        }
        assertThat(millisSince(start)).isGreaterThanOrEqualTo(2500L);
    }

    /** The recipients of each mail in a repository (none when James has not created it yet). */
    private List<List<String>> recipientsIn(String repository) {
        WebAdminClient.Reply keys = webAdmin.get(repository);
        List<List<String>> mails = new ArrayList<>();
        if (keys.status == 404) {
            return mails;
        }
        assertThat(keys.status).as(keys.toString()).isEqualTo(200);
        for (JsonNode key : keys.json()) {
            WebAdminClient.Reply mail = webAdmin.get(repository + "/" + key.asText());
            List<String> recipients = new ArrayList<>();
            mail.json().get("recipients").forEach(recipient -> recipients.add(recipient.asText()));
            mails.add(recipients);
        }
        return mails;
    }

    private static long millisSince(long start) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }
}
