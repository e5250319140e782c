package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

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
 * The content filters in a real James, configured by the sample {@code james-conf/mailetcontainer.xml}: an
 * operator trains a model and reports a spam with the command-line tool while James runs; James picks both up
 * without a restart, quarantines known and predicted spam with their X-Shaping-* headers, delivers ham, and counts
 * every verdict against the sending address. The filters get MongoDB only from shaping.properties (the sample
 * mailet configuration names none), so this also checks that the mailets use the extension's store settings.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContentFiltersIT {
    private static final String DATABASE = "james_shaping_it";
    /** WebAdmin names a repository by its path without the protocol: memory://var/mail/quarantine/ is var%2Fmail%2Fquarantine. */
    /*
     * James 3.8.1 logs "Leak detected! Resource ...MimeMessageInputStreamSource$Resource" for mail read here: with
     * -Djames.lifecycle.leak.detection.mode=advanced every such resource was created by WebAdmin's getMailAsJson
     * (MemoryMailRepository.retrieve clones the mail and nobody disposes the clone), not by the extension's mailets.
     */
    private static final String QUARANTINE = "/mailRepositories/" + URLEncoder.encode("var/mail/quarantine", StandardCharsets.UTF_8);
    private static final String KNOWN_SPAM_SENDER = "127.0.0.2";
    private static final String PREDICTED_SPAM_SENDER = "127.0.0.3";
    private static final String HAM_SENDER = "127.0.0.4";
    /** Sends ham to a second user until the model's first verdict shows that James has loaded it. */
    private static final String PROBE_SENDER = "127.0.0.30";

    private static final String[] SPAM_PHRASES = {
        "Act now to claim your free gift", "Earn thousands of dollars from home", "Lowest mortgage rates guaranteed",
        "Click here to unsubscribe from this offer", "Limited time offer expires tonight", "Lose weight fast with our pills",
        "You have been selected as a winner", "No credit check required", "Double your income in thirty days",
        "Buy cheap meds online without prescription", "Risk free investment opportunity", "Order now and save 80 percent",
        "Meet hot singles in your area", "Get your college degree in weeks", "Cash bonus for new members today"};
    private static final String[] HAM_PHRASES = {
        "The nightly build failed in the parser module", "Can we move the design review to Thursday afternoon",
        "I pushed a fix for the race condition in the scheduler", "Attached are the minutes of yesterday's meeting",
        "The kernel patch applies cleanly on the stable branch", "Please review the pull request before the release",
        "The benchmark shows a small regression on large inputs", "Let us discuss the database migration plan",
        "Thanks for the detailed bug report, I can reproduce it", "The mailing list archive moved to the new server",
        "Could you update the documentation for the config keys", "Lunch on Friday with the infrastructure team",
        "The test suite passes on both Linux and BSD", "I will be travelling next week with limited email",
        "Here is the draft of the conference paper abstract"};

    /** A spam campaign's text, unlike the generated spam, so that only its own copies match its fingerprint. */
    private static final String CAMPAIGN = "Congratulations, you have been selected to receive a complimentary cruise to the "
        + "Bahamas. Simply call our toll free number today and claim your luxury vacation package before this limited "
        + "promotion expires. Thousands of satisfied travellers have already enjoyed this exclusive deal from our partners.";

    @TempDir
    static Path folder;
    EmbeddedMongo mongo;
    JamesTestServer james;
    WebAdminClient webAdmin;

    @BeforeAll
    void start() throws Exception {
        mongo = EmbeddedMongo.inMemory().start(0);
        // The sample polls the shared stores every 10s and learns reports every 60s; 1s keeps this test short.
        james = JamesTestServer.start(folder.resolve("james"), mongo.uri(), false, settings -> settings
            .replaceInFile("mailetcontainer.xml", "<refreshInterval>10s</refreshInterval>", "<refreshInterval>1s</refreshInterval>")
            .replaceInFile("mailetcontainer.xml", "<learnInterval>60s</learnInterval>", "<learnInterval>1s</learnInterval>"));
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
    void knownAndPredictedSpamAreQuarantinedWithTheirHeadersHamIsDeliveredAndVerdictsReachTheReputationStore() throws Exception {
        Random random = new Random(5);
        Path spamFolder = Files.createDirectories(folder.resolve("train/spam"));
        Path hamFolder = Files.createDirectories(folder.resolve("train/ham"));
        for (int i = 0; i < 30; i++) {
            Files.writeString(spamFolder.resolve(i + ".eml"), spam(random, "promo" + i + "@deals.example"));
            Files.writeString(hamFolder.resolve(i + ".eml"), ham(random, "dev" + i + "@project.example.org"));
        }
        Path reported = folder.resolve("reported-spam.eml");
        String campaign = message("winner@prize.example", "Your cruise is waiting", "Dear friend,\n\n" + CAMPAIGN
            + "\n\nClaim it at http://cruise.example/claim?id=1001\n");
        Files.writeString(reported, campaign);

        ToolResult report = filterTool("report-spam", "--mongo-uri", mongo.uri(), "--database", DATABASE, reported.toString());
        assertThat(report.exit).as(report.toString()).isZero();
        ToolResult train = filterTool("train", "--spam", spamFolder.toString(), "--ham", hamFolder.toString(),
            "--mongo-uri", mongo.uri(), "--database", DATABASE);
        assertThat(train.exit).as(train.toString()).isZero();
        assertThat(train.out).contains("trained on 30 spam and 30 ham");

        String probeHam = ham(new Random(7), "probe@project.example.org");
        Eventually.within(Duration.ofSeconds(20), () -> {
            assertThat(send(PROBE_SENDER, "user2@james.local", probeHam).code).isEqualTo(250);
            Eventually.within(Duration.ofSeconds(3), () -> assertThat(counter(PROBE_SENDER, "ham")).isPositive());
        });

        // The same campaign to another victim: new greeting and tracking link, same text.
        String knownSpam = campaign.replace("Dear friend,", "Dear Alice,").replace("?id=", "?id=7731&ref=");
        String predictedSpam = spam(new Random(1234), "offers@other-deals.example");
        String newHam = ham(new Random(4321), "colleague@project.example.org");
        assertThat(send(KNOWN_SPAM_SENDER, "user1@james.local", knownSpam).code).isEqualTo(250);
        assertThat(send(PREDICTED_SPAM_SENDER, "user1@james.local", predictedSpam).code).isEqualTo(250);
        assertThat(send(HAM_SENDER, "user1@james.local", newHam).code).isEqualTo(250);

        Eventually.within(Duration.ofSeconds(10), () -> {
            Map<String, JsonNode> quarantined = quarantinedBySender();
            assertThat(quarantined).containsKeys(KNOWN_SPAM_SENDER, PREDICTED_SPAM_SENDER).doesNotContainKey(HAM_SENDER);

            Map<String, String> known = headers(quarantined.get(KNOWN_SPAM_SENDER));
            assertThat(known.get("X-Shaping-Verdict")).isEqualTo("known-spam");
            assertThat(known.get("X-Shaping-Fingerprint")).containsPattern("; match=(0|1)\\.\\d{4}$");
            assertThat(Double.parseDouble(known.get("X-Shaping-Score"))).isGreaterThanOrEqualTo(0.5);

            Map<String, String> predicted = headers(quarantined.get(PREDICTED_SPAM_SENDER));
            assertThat(predicted.get("X-Shaping-Verdict")).isEqualTo("spam");
            assertThat(predicted.get("X-Shaping-Fingerprint")).endsWith("; no-match");
            assertThat(Double.parseDouble(predicted.get("X-Shaping-Score"))).isBetween(0.0, 1.0);
        });

        Eventually.within(Duration.ofSeconds(10), () -> {
            assertThat(counter(KNOWN_SPAM_SENDER, "knownSpam")).isEqualTo(1);
            assertThat(counter(KNOWN_SPAM_SENDER, "spam")).isZero();
            assertThat(counter(PREDICTED_SPAM_SENDER, "spam")).isEqualTo(1);
            assertThat(counter(HAM_SENDER, "ham")).isEqualTo(1);
            assertThat(counter(HAM_SENDER, "spam")).isZero();
        });
        // Of the three mails to user1 only the ham reached the INBOX (the probes went to user2).
        Eventually.within(Duration.ofSeconds(10), () -> {
            WebAdminClient.Reply inbox = webAdmin.get("/users/user1@james.local/mailboxes/INBOX/messageCount");
            assertThat(inbox.status).as(inbox.toString()).isEqualTo(200);
            assertThat(inbox.body.trim()).isEqualTo("1");
        });
        assertThat(repositorySize("var/mail/error")).isZero();
    }

    /**
     * Needs the model trained by the first test. A legitimate message the model calls spam lands in quarantine; the
     * operator downloads it from there and reports it as ham, and a spam the model lets through is reported as
     * spam: the servers' learner teaches both to the shared model, which James reloads, so the same ham sent again
     * is delivered, and the command-line tool (the mailet's code and model) now calls the reported spam spam.
     */
    @Test
    @Order(2)
    void operatorReportsOfMisjudgedMailAreLearnedByTheSharedModel() throws Exception {
        String misjudgedHam = message("newsletter@project.example.org", "Exclusive offer for contributors", "Dear friend,\n\n"
            + sentences(new Random(77), SPAM_PHRASES, 10) + "\n\nThis is the project's annual fundraiser, as voted by the board.\n");
        assertThat(send("127.0.0.51", "user1@james.local", misjudgedHam).code).isEqualTo(250);
        String[] quarantinedKey = new String[1];
        Eventually.within(Duration.ofSeconds(10), () -> {
            WebAdminClient.Reply keys = webAdmin.get(QUARANTINE + "/mails");
            for (JsonNode key : keys.json()) {
                JsonNode mail = webAdmin.get(QUARANTINE + "/mails/" + URLEncoder.encode(key.asText(), StandardCharsets.UTF_8)).json();
                if ("127.0.0.51".equals(mail.get("remoteAddr").asText())) {
                    quarantinedKey[0] = key.asText();
                }
            }
            assertThat(quarantinedKey[0]).as("the ham the model calls spam is quarantined").isNotNull();
        });
        WebAdminClient.Reply raw = webAdmin.getRaw(QUARANTINE + "/mails/" + URLEncoder.encode(quarantinedKey[0], StandardCharsets.UTF_8));
        assertThat(raw.status).as(raw.toString()).isEqualTo(200);
        assertThat(raw.body).contains("annual fundraiser").contains("X-Shaping-Verdict: spam");

        WebAdminClient.Reply hamReport = webAdmin.postRaw("/shaping/reports/ham", raw.body);
        assertThat(hamReport.status).as(hamReport.toString()).isEqualTo(201);
        assertThat(hamReport.json().get("training").get("state").asText()).isEqualTo("pending");
        assertThat(hamReport.json().has("fingerprint")).isFalse();

        // Short enough not to be fingerprinted: only the predictive model can learn it.
        String missedSpam = message("seller@watches.example", "Re: project status",
            "Hi all,\n\nThe test suite passes on both Linux and BSD. Please review the pull request before the release. "
                + "Watches at http://watches.example/buy\n\nCheers,\nSam\n");
        Path missedSpamFile = folder.resolve("missed-spam.eml");
        Files.writeString(missedSpamFile, missedSpam);
        ToolResult before = filterTool("classify", "--mongo-uri", mongo.uri(), "--database", DATABASE, missedSpamFile.toString());
        assertThat(before.out).as(before.toString()).endsWith("\tham\n");
        WebAdminClient.Reply spamReport = webAdmin.postRaw("/shaping/reports/spam", missedSpam);
        assertThat(spamReport.status).as(spamReport.toString()).isEqualTo(201);
        assertThat(spamReport.json().get("fingerprint").get("skipped").asText()).contains("shorter than");

        String hamReportId = hamReport.json().get("training").get("id").asText();
        String spamReportId = spamReport.json().get("training").get("id").asText();
        Eventually.within(Duration.ofSeconds(20), () -> {
            WebAdminClient.Reply applied = webAdmin.get("/shaping/reports?state=applied");
            assertThat(applied.status).as(applied.toString()).isEqualTo(200);
            List<String> ids = new ArrayList<>();
            applied.json().forEach(report -> ids.add(report.get("id").asText()));
            assertThat(ids).contains(hamReportId, spamReportId);
        });

        ToolResult after = filterTool("classify", "--mongo-uri", mongo.uri(), "--database", DATABASE, missedSpamFile.toString());
        assertThat(after.out).as(after.toString()).endsWith("\tspam\n");
        // James reloads the learned model within its refresh interval; the same ham from the same sender now gets through.
        Eventually.within(Duration.ofSeconds(15), () -> {
            assertThat(send("127.0.0.51", "user2@james.local", misjudgedHam).code).isEqualTo(250);
            Eventually.within(Duration.ofSeconds(5), () -> assertThat(counter("127.0.0.51", "ham")).isPositive());
        });

        assertThat(webAdmin.get("/shaping/reports?state=nonsense").status).isEqualTo(400);
        assertThat(webAdmin.postRaw("/shaping/reports/ham", "").status).isEqualTo(400);
    }

    @Test
    void aSpamReportedThroughWebAdminIsMatchedInItsVariantsAtOnce() throws Exception {
        String text = "Exclusive offer for valued members only. Our certified pharmacy ships discreetly to your door, no "
            + "prescription needed, with savings of up to eighty percent on every order placed this week. Reply today to "
            + "secure your personal discount before the stock runs out, as thousands of happy customers already did.";
        String reported = message("pharmacy@meds.example", "Members only", "Hello Bob,\n\n" + text + "\n\nhttp://meds.example/o?u=1\n");
        WebAdminClient.Reply report = webAdmin.postRaw("/shaping/fingerprints", reported);
        assertThat(report.status).as(report.toString()).isEqualTo(201);
        assertThat(report.json().get("source").asText()).isEqualTo("operator");

        String variant = reported.replace("Hello Bob,", "Hello Carol,").replace("?u=1", "?u=9931&t=x");
        assertThat(send("127.0.0.41", "user1@james.local", variant).code).isEqualTo(250);
        Eventually.within(Duration.ofSeconds(10), () -> assertThat(counter("127.0.0.41", "knownSpam")).isEqualTo(1));

        // Deleted, it no longer matches: the next copy is judged unknown by the fingerprint filter.
        String id = report.json().get("id").asText();
        double unknownBefore = metric("shaping_filter_fingerprint_unknown_verdicts_total");
        WebAdminClient.Reply deleted = webAdmin.delete("/shaping/fingerprints/" + id);
        assertThat(deleted.status).as(deleted.toString()).isEqualTo(204);
        assertThat(send("127.0.212.5", "user1@james.local", variant).code).isEqualTo(250);
        Eventually.within(Duration.ofSeconds(10), () ->
            assertThat(metric("shaping_filter_fingerprint_unknown_verdicts_total")).isEqualTo(unknownBefore + 1));
        assertThat(counter("127.0.212.5", "knownSpam")).isZero();
        WebAdminClient.Reply again = webAdmin.delete("/shaping/fingerprints/" + id);
        assertThat(again.status).isEqualTo(404);
        assertThat(again.json().get("message").asText()).contains(id);
        assertThat(webAdmin.delete("/shaping/fingerprints/NOT-AN-ID").status).isEqualTo(400);

        assertThat(webAdmin.postRaw("/shaping/fingerprints", "").status).isEqualTo(400);
        WebAdminClient.Reply tooShort = webAdmin.postRaw("/shaping/fingerprints", message("a@b.example", "hi", "Short.\n"));
        assertThat(tooShort.status).isEqualTo(400);
        assertThat(tooShort.json().get("message").asText()).contains("Not fingerprinted");
    }

    @Test
    void unknownRecipientsAreStillRefusedAtSmtp() throws Exception {
        SmtpClient.Reply reply = SmtpClient.sendMail("127.0.0.5", james.smtpPort(), "sender@example.org", List.of("nobody@james.local"));
        assertThat(reply.code).isEqualTo(550);
    }

    /** Quarantined mails' details (with headers), by the sending address James recorded. */
    private Map<String, JsonNode> quarantinedBySender() {
        WebAdminClient.Reply keys = webAdmin.get(QUARANTINE + "/mails");
        assertThat(keys.status).as("%s; repositories: %s; %s: %s; %s: %s", keys, webAdmin.get("/mailRepositories"),
            KNOWN_SPAM_SENDER, webAdmin.get("/shaping/reputation/" + KNOWN_SPAM_SENDER),
            PREDICTED_SPAM_SENDER, webAdmin.get("/shaping/reputation/" + PREDICTED_SPAM_SENDER)).isEqualTo(200);
        Map<String, JsonNode> bySender = new HashMap<>();
        for (JsonNode key : keys.json()) {
            WebAdminClient.Reply mail = webAdmin.get(QUARANTINE + "/mails/" + URLEncoder.encode(key.asText(), StandardCharsets.UTF_8)
                + "?additionalFields=headers");
            assertThat(mail.status).as(mail.toString()).isEqualTo(200);
            JsonNode previous = bySender.put(mail.json().get("remoteAddr").asText(), mail.json());
            assertThat(previous).as("one quarantined mail per sender").isNull();
        }
        return bySender;
    }

    /** Header name to (first) value from a mail repository entry's "headers" field. */
    private static Map<String, String> headers(JsonNode mail) {
        Map<String, String> headers = new HashMap<>();
        JsonNode all = mail.get("headers");
        assertThat(all).as(mail.toString()).isNotNull();
        all.fields().forEachRemaining(entry -> {
            JsonNode value = entry.getValue();
            headers.put(entry.getKey(), value.isArray() ? value.get(0).asText() : value.asText());
        });
        return headers;
    }

    private int repositorySize(String url) {
        WebAdminClient.Reply reply = webAdmin.get("/mailRepositories/" + URLEncoder.encode(url, StandardCharsets.UTF_8) + "/mails");
        return reply.status == 404 ? 0 : reply.json().size();
    }

    /** A series at WebAdmin's /metrics, as Prometheus scrapes it. */
    private double metric(String name) {
        for (String line : webAdmin.get("/metrics").body.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError(name + " not at /metrics");
    }

    private long counter(String address, String signal) {
        WebAdminClient.Reply reply = webAdmin.get("/shaping/reputation/" + address);
        assertThat(reply.status).as(reply.toString()).isEqualTo(200);
        JsonNode counter = reply.json().get("record").get("counters").get(signal);
        return counter == null ? 0 : counter.get("total").asLong();
    }

    private SmtpClient.Reply send(String source, String recipient, String message) throws IOException {
        return send(james.smtpPort(), source, recipient, message);
    }

    /** One message over SMTP; its lines end in LF here and CRLF on the wire. */
    static SmtpClient.Reply send(int smtpPort, String source, String recipient, String message) throws IOException {
        try (SmtpClient client = SmtpClient.connect(source, smtpPort)) {
            assertThat(client.readReply().code).isEqualTo(220);
            assertThat(client.command("EHLO client.example.net").code).isEqualTo(250);
            assertThat(client.command("MAIL FROM:<sender@example.net>").code).isEqualTo(250);
            assertThat(client.command("RCPT TO:<" + recipient + ">").code).isEqualTo(250);
            assertThat(client.command("DATA").code).isEqualTo(354);
            client.send(message.replace("\n", "\r\n").replace("\r\n.", "\r\n..") + "\r\n.\r\n");
            SmtpClient.Reply accepted = client.readReply();
            client.command("QUIT");
            return accepted;
        }
    }

    private static String spam(Random random, String from) {
        return message(from, "Exclusive offer " + random.nextInt(1000), "Dear friend,\n\n"
            + sentences(random, SPAM_PHRASES, 12) + "\n\nVisit http://deals.example/offer?id=" + random.nextInt(100000) + "\n");
    }

    private static String ham(Random random, String from) {
        return message(from, "Re: project status " + random.nextInt(1000), "Hi all,\n\n" + sentences(random, HAM_PHRASES, 12)
            + "\n\nCheers,\nSam\n");
    }

    private static String message(String from, String subject, String body) {
        return "From: <" + from + ">\nTo: <user1@james.local>\nSubject: " + subject + "\nDate: Tue, 3 Sep 2024 10:00:00 +0000\n"
            + "Message-ID: <" + Math.abs(body.hashCode()) + "@" + from.substring(from.indexOf('@') + 1) + ">\n"
            + "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n" + body;
    }

    private static String sentences(Random random, String[] phrases, int count) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            text.append(phrases[random.nextInt(phrases.length)]).append(i % 4 == 3 ? ".\n" : ". ");
        }
        return text.toString();
    }

    static final class ToolResult {
        final int exit;
        final String out;
        final String err;

        ToolResult(int exit, String out, String err) {
            this.exit = exit;
            this.out = out;
            this.err = err;
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n" + out + err;
        }
    }

    /** {@code james-shaping filter ...}: the tool from the extension jar, in its own JVM, as an operator runs it. */
    static ToolResult filterTool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", TestEnvironment.extensionJar() + java.io.File.pathSeparator + System.getProperty("java.class.path"),
            "org.jamesshaping.admin.cli.FilterTool"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errReader = new Thread(() -> copy(process.getErrorStream(), err));
        errReader.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        errReader.join();
        return new ToolResult(process.exitValue(), out, err.toString(StandardCharsets.UTF_8));
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            // the process died; its exit code tells the test
        }
    }
}
