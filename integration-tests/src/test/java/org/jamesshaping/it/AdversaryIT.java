package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Attacks by a sender that has read the source, over real SMTP: each test is one way around the shaping, and asserts
 * what the operator needs to hold. Class 6 here answers each reply 300 ms late and takes 2 messages per connection.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdversaryIT {
    static final long REPLY_DELAY_MILLIS = 300;
    static final String CLASSES = "<preset>stage3</preset>\n"
        + "<class level=\"6\"><greetingDelay>0</greetingDelay><replyDelay>" + REPLY_DELAY_MILLIS + "ms</replyDelay>"
        + "<commandReadRate>0</commandReadRate><dataReadRate>0</dataReadRate><maxConnectionsPerIp>0</maxConnectionsPerIp>"
        + "<maxConnectionsPerSubnet>0</maxConnectionsPerSubnet><connectionsPerMinutePerIp>0</connectionsPerMinutePerIp>"
        + "<maxRecipientsPerTransaction>3</maxRecipientsPerTransaction><maxMessagesPerConnection>2</maxMessagesPerConnection>"
        + "<rejectAtData>false</rejectAtData></class>\n"
        + "<class level=\"7\"><greetingDelay>0</greetingDelay><replyDelay>0</replyDelay><commandReadRate>0</commandReadRate>"
        + "<dataReadRate>0</dataReadRate><maxConnectionsPerIp>1</maxConnectionsPerIp></class>\n";

    @TempDir
    static Path folder;
    JamesWithStore running;
    int port;

    @BeforeAll
    void start() throws Exception {
        running = JamesWithStore.start(folder, settings -> settings
            .replaceInFile("smtpserver.xml", "<preset>stage3</preset>", CLASSES));
        port = running.smtpPort();
    }

    @AfterAll
    void stop() {
        if (running != null) {
            running.close();
        }
    }

    private void pin(String ipOrCidr, int level) {
        assertThat(running.webAdmin().put("/shaping/reputation/" + ipOrCidr + "/status",
            "{\"class\":" + level + ",\"reason\":\"test\"}").status).isEqualTo(204);
    }

    private static String transaction(int n, String... recipients) {
        StringBuilder lines = new StringBuilder("MAIL FROM:<bulk@spam.example>\r\n");
        for (String recipient : recipients) {
            lines.append("RCPT TO:<").append(recipient).append(">\r\n");
        }
        return lines.append("DATA\r\nSubject: offer ").append(n).append("\r\n\r\nBuy now ").append(n).append("\r\n.\r\n").toString();
    }

    /** Every reply until the server closes the connection. */
    private static List<SmtpClient.Reply> repliesUntilClosed(SmtpClient client) {
        List<SmtpClient.Reply> replies = new ArrayList<>();
        try {
            while (true) {
                replies.add(client.readReply());
            }
        } catch (IOException | RuntimeException closed) {
            return replies;
        }
    }

    @Test
    void aSenderPipeliningSevenTransactionsGetsTwoMessagesInAtOneReplyDelayPerCommandThenA421() throws Exception {
        pin("127.0.150.7", 6);
        try (SmtpClient bot = SmtpClient.connect("127.0.150.7", port)) {
            assertThat(bot.readReply().code).isEqualTo(220);
            StringBuilder blind = new StringBuilder("EHLO bot.example\r\n");
            for (int n = 1; n <= 7; n++) {
                blind.append(transaction(n, "user1@james.local"));
            }
            long start = System.nanoTime();
            bot.send(blind.toString());
            List<SmtpClient.Reply> replies = repliesUntilClosed(bot);
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            long accepted = replies.stream().filter(reply -> reply.code == 250 && reply.text().contains("Message received")).count();
            assertThat(accepted).as("messages taken, limit 2 per connection: %s", replies).isEqualTo(2);
            assertThat(replies.get(replies.size() - 1).code).as("ends with the limit's 421: %s", replies).isEqualTo(421);
            // EHLO, then per transaction MAIL, RCPT, DATA and the end of DATA, then the third MAIL: 10 replies, each held.
            assertThat(replies).hasSize(10);
            assertThat(elapsed).as("one reply delay per command").isGreaterThanOrEqualTo(10 * REPLY_DELAY_MILLIS - 100);
        }
    }

    @Test
    void aBlockedSenderCannotRunAnyCommandNotEvenOneThatIsNotHeloOrMail() throws Exception {
        assertThat(running.webAdmin().put("/shaping/reputation/127.0.151.9/status", "{\"status\":\"block\",\"reason\":\"abuse\"}").status)
            .isEqualTo(204);
        try (SmtpClient blocked = SmtpClient.connect("127.0.151.9", port)) {
            assertThat(blocked.readReply().code).isEqualTo(220);
            blocked.send("VRFY postmaster\r\nNOOP\r\nNOOP\r\n");
            List<SmtpClient.Reply> replies = repliesUntilClosed(blocked);
            assertThat(replies).as("the first command refused, nothing after it answered").hasSize(1);
            assertThat(replies.get(0).code).isEqualTo(554);
            assertThat(replies.get(0).text()).contains("5.7.1 abuse");
        }
    }

    @Test
    void pipeliningAfterHeloWhichDoesNotOfferItIsAProtocolViolation() throws Exception {
        pin("127.0.152.7", 6);
        try (SmtpClient client = SmtpClient.connect("127.0.152.7", port)) {
            assertThat(client.readReply().code).isEqualTo(220);
            client.send("HELO old.example\r\nNOOP\r\nNOOP\r\nQUIT\r\n");
            assertThat(repliesUntilClosed(client)).extracting(reply -> reply.code).containsExactly(250, 250, 250, 221);
        }
        Eventually.within(java.time.Duration.ofSeconds(5), () ->
            assertThat(running.webAdmin().get("/shaping/reputation/127.0.152.7").json()
                .get("record").get("counters").get("protocolViolations").get("total").asLong()).isGreaterThanOrEqualTo(1));
    }

    private long total(String address, String counter) {
        return running.webAdmin().get("/shaping/reputation/" + address).json().get("record").get("counters").get(counter).get("total").asLong();
    }

    @Test
    void failedAuthenticationIsASignalAgainstTheSender() throws Exception {
        String wrongPassword = java.util.Base64.getEncoder().encodeToString("\0user1@james.local\0guess".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        try (SmtpClient client = SmtpClient.connect("127.0.153.5", port)) {
            assertThat(client.readReply().code).isEqualTo(220);
            assertThat(client.command("EHLO guesser.example").code).isEqualTo(250);
            assertThat(client.command("AUTH PLAIN " + wrongPassword).code).isEqualTo(535);
            assertThat(client.command("AUTH LOGIN").code).isEqualTo(334);
            assertThat(client.command(java.util.Base64.getEncoder().encodeToString("user1@james.local".getBytes())).code).isEqualTo(334);
            assertThat(client.command(java.util.Base64.getEncoder().encodeToString("guess2".getBytes())).code).isEqualTo(535);
        }
        Eventually.within(java.time.Duration.ofSeconds(5), () -> assertThat(total("127.0.153.5", "authFailures")).isEqualTo(2));
    }

    @Test
    void aConnectionReclassifiedMidSessionIsHeldToTheLimitsOfItsNewClass() throws Exception {
        try (SmtpClient first = SmtpClient.connect("127.0.154.7", port);
             SmtpClient second = SmtpClient.connect("127.0.154.7", port)) {
            assertThat(first.readReply().code).isEqualTo(220);
            assertThat(second.readReply().code).isEqualTo(220);
            pin("127.0.154.7", 7);
            assertThat(first.command("EHLO one.example").code).isEqualTo(250);
            SmtpClient.Reply over = second.command("EHLO two.example");
            assertThat(over.code).as("class 7 takes one connection per address: %s", over).isEqualTo(421);
            assertThat(over.text()).contains("Too many concurrent connections from your address");
        }
    }

    private int classOf(String address) {
        return running.webAdmin().get("/shaping/reputation/" + address).json().get("class").asInt();
    }

    /** One transaction guessing {@code guesses} local users, as a dictionary attack does. */
    private void dictionaryAttack(String source, int guesses) throws IOException {
        try (SmtpClient bot = SmtpClient.connect(source, port)) {
            bot.readReply();
            bot.command("EHLO bot.example");
            bot.command("MAIL FROM:<x@spam.example>");
            for (int i = 0; i < guesses; i++) {
                bot.command("RCPT TO:<guess" + i + "@james.local>");
            }
            bot.command("QUIT");
        }
    }

    @Test
    void acceptedRecipientsWithoutAMessageDoNotBuyAGoodName() throws Exception {
        for (int round = 0; round < 3; round++) {
            try (SmtpClient client = SmtpClient.connect("127.0.155.5", port)) {
                client.readReply();
                client.command("EHLO launder.example");
                client.command("MAIL FROM:<a@launder.example>");
                for (int i = 0; i < 50; i++) {
                    assertThat(client.command("RCPT TO:<user1@james.local>").code).isEqualTo(250);
                }
                client.command("RSET");
                client.command("QUIT");
            }
        }
        Eventually.within(java.time.Duration.ofSeconds(5), () -> assertThat(total("127.0.155.5", "rcptAccepted")).isEqualTo(150));
        assertThat(classOf("127.0.155.5")).as("no better than a sender never seen").isGreaterThanOrEqualTo(3);
    }

    @Test
    void oneBadAddressLeavesAFreshNeighbourAtClassFourOrBetterAndItsMessageIsTaken() throws Exception {
        dictionaryAttack("127.0.156.66", 15);
        Eventually.within(java.time.Duration.ofSeconds(5), () -> assertThat(classOf("127.0.156.66")).isGreaterThanOrEqualTo(7));

        assertThat(classOf("127.0.156.10")).isLessThanOrEqualTo(4);
        assertThat(SmtpClient.sendMail("127.0.156.10", port, "alice@neighbour.example", List.of("user1@james.local")).code).isEqualTo(250);
    }

    @Test
    void tenBadAddressesPutAFreshNeighbourAtClassSevenOrWorse() throws Exception {
        for (int bot = 0; bot < 10; bot++) {
            dictionaryAttack("127.0.157." + (20 + bot), 15);
        }
        Eventually.within(java.time.Duration.ofSeconds(5), () -> assertThat(classOf("127.0.157.200")).isGreaterThanOrEqualTo(7));
    }

    @Test
    void aSenderThatWarmsUpWithCleanMailThenSendsKnownSpamIsShapedWithinABoundedNumberOfMessages() throws Exception {
        String spamText = "Exclusive offer for valued members only. Our certified pharmacy ships discreetly to your door, no "
            + "prescription needed, with savings of up to eighty percent on every order placed this week. Reply today to "
            + "secure your personal discount before the stock runs out, as thousands of happy customers already did.";
        assertThat(running.webAdmin().postRaw("/shaping/fingerprints", rfc822("pharmacy@meds.example", "Members only", spamText)).status)
            .isEqualTo(201);
        String sender = "127.0.158.5";
        for (int i = 0; i < 20; i++) {
            assertThat(send(sender, rfc822("news@warm.example", "Notes " + i, "Minutes of meeting number " + i + " are attached."))).isEqualTo(250);
        }
        Eventually.within(java.time.Duration.ofSeconds(10), () -> assertThat(classOf(sender)).isLessThanOrEqualTo(1));
        int spam = 0;
        while (classOf(sender) < 7 && spam < 20) {
            int code = send(sender, rfc822("news@warm.example", "Members only", "Dear friend,\n\n" + spamText));
            spam++;
            if (code != 250) {
                break;
            }
            long expected = spam;
            Eventually.within(java.time.Duration.ofSeconds(10), () -> assertThat(total(sender, "knownSpam")).isEqualTo(expected));
        }
        System.out.printf("after 20 clean messages, class 7 after %d known-spam messages%n", spam);
        assertThat(classOf(sender)).isGreaterThanOrEqualTo(7);
        assertThat(spam).as("about 12 by the arithmetic of the default weights").isLessThanOrEqualTo(14);
    }

    private int send(String source, String message) throws IOException {
        try (SmtpClient client = SmtpClient.connect(source, port)) {
            client.readReply();
            client.command("EHLO sender.example");
            client.command("MAIL FROM:<news@warm.example>");
            client.command("RCPT TO:<user1@james.local>");
            if (client.command("DATA").code != 354) {
                return 0;
            }
            client.send(message.replace("\n", "\r\n") + "\r\n.\r\n");
            int code = client.readReply().code;
            client.command("QUIT");
            return code;
        }
    }

    private static String rfc822(String from, String subject, String body) {
        return "From: <" + from + ">\nTo: <user1@james.local>\nSubject: " + subject + "\nMessage-ID: <" + Math.abs(body.hashCode())
            + "." + System.nanoTime() + "@" + from.substring(from.indexOf('@') + 1) + ">\nMIME-Version: 1.0\n"
            + "Content-Type: text/plain; charset=us-ascii\n\n" + body;
    }

    /** A bot that reconnects at once after each 421 is refused every time, and logged once, not once a connection. */
    @Test
    void aSenderReconnectingAfterEachRefusalIsRefusedEveryTimeAndLoggedOnce() throws Exception {
        Logger shaperLog = (Logger) LoggerFactory.getLogger("org.jamesshaping.smtp.TrafficShaper");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        shaperLog.addAppender(appender);
        pin("127.0.159.7", 7);
        try (SmtpClient held = SmtpClient.connect("127.0.159.7", port)) {
            assertThat(held.readReply().code).isEqualTo(220);
            for (int i = 0; i < 20; i++) {
                try (SmtpClient again = SmtpClient.connect("127.0.159.7", port)) {
                    assertThat(again.readReply().code).as("connection %d over the limit of one", i).isEqualTo(421);
                }
            }
        } finally {
            shaperLog.detachAppender(appender);
        }
        List<String> refusals = appender.list.stream().map(ILoggingEvent::getFormattedMessage)
            .filter(line -> line.contains("127.0.159.7") && line.contains("answered 421")).collect(Collectors.toList());
        assertThat(refusals).hasSize(1);
    }
}
