package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Messages built to make the content filters slow, over real SMTP through the sample mailet pipeline: a text part
 * that decodes to one 200 KB line without a space (what made the fingerprint normaliser quadratic) goes through both
 * filters to the mailbox, and a normal message sent after twenty of them is delivered too. How long they take is
 * measured by the filter benchmark (docs/benchmarks-filters.md); here the bounds are only generous deadlines.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContentFilterAbuseIT {
    private static final String DATABASE = "james_shaping_it";
    private static final String DELIVERED = "/mailRepositories/" + URLEncoder.encode("var/mail/delivered", StandardCharsets.UTF_8);
    private static final String PROBE_SENDER = "127.0.130.2";
    private static final String ONE_LINE_SENDER = "127.0.130.7";
    /** The twenty senders of one-line messages, then the normal one behind them. */
    private static final String FLOOD_NET = "127.0.131.";
    private static final String NORMAL_SENDER = "127.0.132.7";
    private static final String NORMAL_TEXT = "Hi all,\n\nThe nightly build failed in the parser module again. I pushed a fix for the "
        + "race condition in the scheduler; please review the pull request before the release on Thursday. The benchmark "
        + "shows a small regression on large inputs that we should discuss at the design review.\n\nCheers,\nSam\n";

    @TempDir
    static Path folder;
    EmbeddedMongo mongo;
    JamesTestServer james;
    WebAdminClient webAdmin;

    @BeforeAll
    void start() throws Exception {
        mongo = EmbeddedMongo.inMemory().start(0);
        trainModel();
        // Every delivered mail is also copied, headers and all, where WebAdmin lists it. Threshold 1: every verdict
        // is ham, so that each mail's way ends in the mailbox: this test is about getting through, not about verdicts.
        james = JamesTestServer.start(folder.resolve("james"), mongo.uri(), false, settings -> settings
            .replaceInFile("mailetcontainer.xml", "<refreshInterval>10s</refreshInterval>", "<refreshInterval>1s</refreshInterval>")
            .replaceInFile("mailetcontainer.xml", "<model>mongo</model>", "<model>mongo</model><threshold>1.0</threshold>")
            .replaceInFile("mailetcontainer.xml", "<mailet match=\"All\" class=\"AddDeliveredToHeader\"/>",
                "<mailet match=\"All\" class=\"ToRepository\"><repositoryPath>memory://var/mail/delivered/</repositoryPath>"
                    + "<passThrough>true</passThrough></mailet><mailet match=\"All\" class=\"AddDeliveredToHeader\"/>"));
        webAdmin = james.webAdmin();
        james.probe().provision("james.local", "user1@james.local", "secret");
        james.probe().provision("james.local", "user2@james.local", "secret");
        james.probe().provision("james.local", "user3@james.local", "secret");
        // The predictive filter scores once James has loaded the model.
        Eventually.within(Duration.ofSeconds(30), () -> {
            assertThat(send(PROBE_SENDER, "user3@james.local", message("probe", NORMAL_TEXT)).code).isEqualTo(250);
            Eventually.within(Duration.ofSeconds(3), () -> assertThat(deliveredFrom(PROBE_SENDER))
                .anySatisfy(headers -> assertThat(headers.get("X-Shaping-Score")).doesNotStartWith("not-run")));
        });
    }

    /** A small model in the shared store, trained with the operator's tool, so that the predictive filter scores every message. */
    private void trainModel() throws Exception {
        Path spam = Files.createDirectories(folder.resolve("train/spam"));
        Path ham = Files.createDirectories(folder.resolve("train/ham"));
        for (int i = 0; i < 20; i++) {
            Files.writeString(spam.resolve(i + ".eml"), message("cheap pills " + i, "Buy cheap pills now, best prices online, viagra cialis offer " + i));
            Files.writeString(ham.resolve(i + ".eml"), message("meeting notes " + i, "Notes from the design meeting about the parser refactoring " + i));
        }
        ContentFiltersIT.ToolResult train = ContentFiltersIT.filterTool("train", "--spam", spam.toString(), "--ham", ham.toString(),
            "--mongo-uri", mongo.uri(), "--database", DATABASE);
        assertThat(train.exit).as(train.toString()).isZero();
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
    void aTwoHundredKilobyteOneLinePartGoesThroughBothFiltersToTheMailbox() throws Exception {
        assertThat(send(ONE_LINE_SENDER, "user1@james.local", oneLineMessage(200 * 1024)).code).isEqualTo(250);

        Eventually.within(Duration.ofSeconds(30), () -> assertThat(deliveredFrom(ONE_LINE_SENDER)).singleElement().satisfies(headers -> {
            // No word in one line of x: too short to fingerprint, and scored by the model.
            assertThat(headers.get("X-Shaping-Fingerprint")).isEqualTo("none; reason=short-body");
            assertThat(Double.parseDouble(headers.get("X-Shaping-Score"))).isBetween(0.0, 1.0);
            assertThat(headers.get("X-Shaping-Verdict")).isEqualTo("ham");
        }));
        // The copy is made before local delivery, so the mailbox may lag it by a moment.
        Eventually.within(Duration.ofSeconds(10), () -> assertThat(inbox("user1@james.local")).isEqualTo(1));
        assertThat(errors()).isZero();
    }

    @Test
    void aNormalMessageSentBehindTwentyOneLineMessagesIsDelivered() throws Exception {
        String oneLine = oneLineMessage(200 * 1024);
        for (int i = 0; i < 20; i++) {
            assertThat(send(FLOOD_NET + (10 + i), "user2@james.local", oneLine).code).isEqualTo(250);
        }
        assertThat(send(NORMAL_SENDER, "user3@james.local", message("Re: build", NORMAL_TEXT)).code).isEqualTo(250);

        Eventually.within(Duration.ofSeconds(30), () -> assertThat(deliveredFrom(NORMAL_SENDER)).singleElement().satisfies(headers -> {
            assertThat(headers.get("X-Shaping-Fingerprint")).endsWith("; no-match");
            assertThat(headers.get("X-Shaping-Verdict")).isEqualTo("ham");
        }));
        Eventually.within(Duration.ofSeconds(30), () -> assertThat(inbox("user2@james.local")).isEqualTo(20));
        assertThat(errors()).isZero();
    }

    /** A base64 text/plain part whose text is one line of {@code x}, with no space to split it. */
    private static String oneLineMessage(int textBytes) {
        String body = Base64.getMimeEncoder(76, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString("x".repeat(textBytes).getBytes(StandardCharsets.US_ASCII));
        return "From: <sender@example.net>\nTo: <user@james.local>\nSubject: one line\nMIME-Version: 1.0\n"
            + "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: base64\n\n" + body + "\n";
    }

    private static String message(String subject, String text) {
        return "From: <sam@project.example.org>\nTo: <user@james.local>\nSubject: " + subject + "\nMessage-ID: <"
            + subject.hashCode() + "@project.example.org>\n\n" + text;
    }

    private SmtpClient.Reply send(String source, String recipient, String message) throws IOException {
        return ContentFiltersIT.send(james.smtpPort(), source, recipient, message);
    }

    /** The headers of each delivered mail this address sent. */
    private List<Map<String, String>> deliveredFrom(String address) {
        WebAdminClient.Reply keys = webAdmin.get(DELIVERED + "/mails");
        List<Map<String, String>> found = new ArrayList<>();
        if (keys.status == 404) {
            return found;
        }
        assertThat(keys.status).as(keys.toString()).isEqualTo(200);
        for (JsonNode key : keys.json()) {
            WebAdminClient.Reply mail = webAdmin.get(DELIVERED + "/mails/" + URLEncoder.encode(key.asText(), StandardCharsets.UTF_8)
                + "?additionalFields=headers");
            assertThat(mail.status).as(mail.toString()).isEqualTo(200);
            if (address.equals(mail.json().get("remoteAddr").asText())) {
                Map<String, String> headers = new HashMap<>();
                mail.json().get("headers").fields().forEachRemaining(entry -> headers.put(entry.getKey(),
                    entry.getValue().isArray() ? entry.getValue().get(0).asText() : entry.getValue().asText()));
                found.add(headers);
            }
        }
        return found;
    }

    private int inbox(String user) {
        WebAdminClient.Reply inbox = webAdmin.get("/users/" + user + "/mailboxes/INBOX/messageCount");
        assertThat(inbox.status).as(inbox.toString()).isEqualTo(200);
        return Integer.parseInt(inbox.body.trim());
    }

    private int errors() {
        WebAdminClient.Reply reply = webAdmin.get("/mailRepositories/" + URLEncoder.encode("var/mail/error", StandardCharsets.UTF_8) + "/mails");
        return reply.status == 404 ? 0 : reply.json().size();
    }
}
