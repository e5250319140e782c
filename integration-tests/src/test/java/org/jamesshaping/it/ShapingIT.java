package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Traffic shaping seen from real SMTP clients on distinct loopback addresses. James runs with a single IO thread,
 * so any blocked thread would show up as every other connection stalling.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ShapingIT {
    static final long DATA_RATE = 262_144;
    static final String CLASSES = "<preset>stage3</preset>\n"
        + "<class level=\"4\"><greetingDelay>1s</greetingDelay><replyDelay>0</replyDelay><commandReadRate>0</commandReadRate>"
        + "<dataReadRate>0</dataReadRate><maxConnectionsPerIp>0</maxConnectionsPerIp><maxConnectionsPerSubnet>0</maxConnectionsPerSubnet>"
        + "<connectionsPerMinutePerIp>0</connectionsPerMinutePerIp><maxRecipientsPerTransaction>0</maxRecipientsPerTransaction>"
        + "<maxMessagesPerConnection>0</maxMessagesPerConnection></class>\n"
        + "<class level=\"5\"><greetingDelay>0</greetingDelay><replyDelay>0</replyDelay><commandReadRate>0</commandReadRate>"
        + "<dataReadRate>0</dataReadRate><maxConnectionsPerIp>0</maxConnectionsPerIp><maxConnectionsPerSubnet>0</maxConnectionsPerSubnet>"
        + "<connectionsPerMinutePerIp>3</connectionsPerMinutePerIp><maxRecipientsPerTransaction>2</maxRecipientsPerTransaction>"
        + "<maxMessagesPerConnection>1</maxMessagesPerConnection></class>\n"
        + "<class level=\"6\"><greetingDelay>0</greetingDelay><replyDelay>0</replyDelay><commandReadRate>0</commandReadRate>"
        + "<dataReadRate>0</dataReadRate><maxConnectionsPerIp>1</maxConnectionsPerIp><maxConnectionsPerSubnet>0</maxConnectionsPerSubnet>"
        + "<connectionsPerMinutePerIp>0</connectionsPerMinutePerIp><maxRecipientsPerTransaction>0</maxRecipientsPerTransaction>"
        + "<maxMessagesPerConnection>0</maxMessagesPerConnection><rejectAtData>true</rejectAtData></class>\n"
        + "<class level=\"7\"><greetingDelay>1s</greetingDelay><replyDelay>1s</replyDelay><commandReadRate>0</commandReadRate>"
        + "<dataReadRate>" + DATA_RATE + "</dataReadRate><maxConnectionsPerIp>0</maxConnectionsPerIp><maxConnectionsPerSubnet>0</maxConnectionsPerSubnet>"
        + "<connectionsPerMinutePerIp>0</connectionsPerMinutePerIp><maxRecipientsPerTransaction>0</maxRecipientsPerTransaction>"
        + "<maxMessagesPerConnection>0</maxMessagesPerConnection></class>\n"
        + "<class level=\"8\"><greetingDelay>20s</greetingDelay><replyDelay>0</replyDelay><commandReadRate>0</commandReadRate>"
        + "<dataReadRate>0</dataReadRate><maxConnectionsPerIp>0</maxConnectionsPerIp><maxConnectionsPerSubnet>0</maxConnectionsPerSubnet>"
        + "<connectionsPerMinutePerIp>0</connectionsPerMinutePerIp><maxRecipientsPerTransaction>0</maxRecipientsPerTransaction>"
        + "<maxMessagesPerConnection>0</maxMessagesPerConnection></class>\n";

    @TempDir
    static Path folder;
    JamesWithStore running;
    JamesTestServer james;
    WebAdminClient webAdmin;
    int port;

    @BeforeAll
    void start() throws Exception {
        running = JamesWithStore.start(folder, settings -> settings
            .replaceInFile("smtpserver.xml", "<connectionBacklog>200</connectionBacklog>",
                "<connectionBacklog>200</connectionBacklog>\n        <ioWorkerCount>1</ioWorkerCount>")
            .replaceInFile("smtpserver.xml", "<preset>stage3</preset>", CLASSES)
            .replaceInFile("smtpserver.xml", "<maxHeldConnections>20000</maxHeldConnections>", "<maxHeldConnections>4</maxHeldConnections>"));
        james = running.james();
        webAdmin = james.webAdmin();
        port = james.smtpPort();
    }

    @AfterAll
    void stop() {
        if (running != null) {
            running.close();
        }
    }

    private void pin(String ipOrCidr, int level) {
        assertThat(webAdmin.put("/shaping/reputation/" + ipOrCidr + "/status", "{\"class\":" + level + ",\"reason\":\"test\"}").status)
            .isEqualTo(204);
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** Connect, greeting, EHLO, QUIT: how long a clean sender waits for a short session. */
    private long cleanSessionMillis(String source) throws IOException {
        long start = System.nanoTime();
        try (SmtpClient client = SmtpClient.connect(source, port)) {
            assertThat(client.readReply().code).isEqualTo(220);
            assertThat(client.command("EHLO clean.example.org").code).isEqualTo(250);
            assertThat(client.command("QUIT").code).isEqualTo(221);
        }
        return millisSince(start);
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    @Test
    void aTarpittedAndACleanSenderSideBySideTheCleanOneKeepsItsUnshapedLatency() throws Exception {
        pin("127.0.40.7", 7);
        List<Long> baseline = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            baseline.add(cleanSessionMillis("127.0.40.2"));
        }

        CompletableFuture<List<Long>> tarpitted = CompletableFuture.supplyAsync(() -> {
            List<Long> replyTimes = new ArrayList<>();
            long start = System.nanoTime();
            try (SmtpClient client = SmtpClient.connect("127.0.40.7", port)) {
                assertThat(client.readReply().code).isEqualTo(220);
                replyTimes.add(millisSince(start));
                assertThat(client.command("EHLO bot.example.org").code).isEqualTo(250);
                replyTimes.add(millisSince(start));
                // Pipelined: answered in order, each a reply delay after the previous one.
                client.send("NOOP\r\nRSET\r\nNOOP\r\n");
                for (int i = 0; i < 3; i++) {
                    SmtpClient.Reply reply = client.readReply();
                    assertThat(reply.code).isEqualTo(250);
                    replyTimes.add(millisSince(start));
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return replyTimes;
        });

        List<Long> during = new ArrayList<>();
        while (!tarpitted.isDone()) {
            during.add(cleanSessionMillis("127.0.40.2"));
        }
        List<Long> replyTimes = tarpitted.get();

        // Greeting after 1 s, then one reply per second, in order. A client that reads a reply late shortens the
        // next gap it sees but cannot see a reply early, so the lower bound is on the time since the start.
        assertThat(replyTimes.get(0)).isBetween(900L, 2000L);
        for (int i = 1; i < replyTimes.size(); i++) {
            assertThat(replyTimes.get(i)).as("reply %d since the start", i).isGreaterThanOrEqualTo(1000L * (i + 1) - 100);
            assertThat(replyTimes.get(i) - replyTimes.get(i - 1)).as("gap before reply %d", i).isLessThan(2000L);
        }
        assertThat(during).hasSizeGreaterThan(10);
        assertThat(median(during)).as("clean sender's median while the bot is held, baseline %s", baseline)
            .isLessThanOrEqualTo(Math.max(median(baseline) * 2, median(baseline) + 50));
        assertThat(Collections.max(during)).isLessThan(800L);
    }

    @Test
    void aClassSevenSenderIsHeldToItsReadRateAndItsUnsentBytesStayInItsOwnSocket() throws Exception {
        pin("127.0.41.7", 7);
        int size = 2 * 1024 * 1024;
        byte[] line = ("X".repeat(998) + "\r\n").getBytes(StandardCharsets.US_ASCII);

        Socket socket = new Socket();
        socket.setSendBufferSize(64 * 1024);
        socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.41.7"), 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        socket.setSoTimeout(120_000);
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        OutputStream out = socket.getOutputStream();
        try (socket) {
            assertThat(in.readLine()).startsWith("220");
            out.write("EHLO bulk.example.org\r\n".getBytes(StandardCharsets.US_ASCII));
            String ehlo;
            do {
                ehlo = in.readLine();
            } while (ehlo.startsWith("250-"));
            out.write("MAIL FROM:<bulk@example.org>\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).startsWith("250");
            out.write("RCPT TO:<user1@james.local>\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).startsWith("250");
            out.write("DATA\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).startsWith("354");

            AtomicLong accepted = new AtomicLong();
            long start = System.nanoTime();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    out.write("Subject: bulk\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    for (int written = 0; written < size; written += line.length) {
                        out.write(line);
                        accepted.addAndGet(line.length);
                    }
                    out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });

            Thread.sleep(2000);
            long acceptedAfterTwoSeconds = accepted.get();
            double elapsed = (System.nanoTime() - start) / 1e9;
            // The client's socket took only what James read plus the two sockets' buffers: its writes block and
            // the rest of the message waits on the sender's side, not in James's memory.
            assertThat(writer.isDone()).isFalse();
            assertThat(acceptedAfterTwoSeconds).isLessThan((long) (DATA_RATE * elapsed) + 1024 * 1024);
            assertThat(acceptedAfterTwoSeconds).isLessThan(size / 2);

            String reply = in.readLine();
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(reply).startsWith("250");
            writer.get();
            double measured = size / seconds;
            assertThat(measured).as("bytes/s read by James").isBetween(DATA_RATE * 0.85, DATA_RATE * 1.15);
        }
    }

    @Test
    void anEarlyTalkerIsCaughtRecordedAndShapedAsClassSevenForTheRestOfTheConnection() throws Exception {
        pin("127.0.42.7", 4);
        pin("127.0.42.8", 4);
        long start = System.nanoTime();
        try (SmtpClient bot = SmtpClient.connect("127.0.42.7", port)) {
            bot.send("EHLO early.example.org\r\n");
            assertThat(bot.readReply().code).isEqualTo(220);
            long greeting = millisSince(start);
            assertThat(bot.readReply().code).isEqualTo(250);
            // Class 4 answers at once; class 7, where early talkers go, waits a second.
            assertThat(millisSince(start) - greeting).isGreaterThanOrEqualTo(900L);
        }
        try (SmtpClient polite = SmtpClient.connect("127.0.42.8", port)) {
            assertThat(polite.readReply().code).isEqualTo(220);
            long before = System.nanoTime();
            assertThat(polite.command("EHLO polite.example.org").code).isEqualTo(250);
            assertThat(millisSince(before)).isLessThan(500L);
        }
        Eventually.within(Duration.ofSeconds(10), () -> {
            assertThat(webAdmin.get("/shaping/reputation/127.0.42.7").json().get("record").get("counters")
                .get("earlyTalk").get("total").asLong()).isEqualTo(1);
            assertThat(webAdmin.get("/shaping/reputation/127.0.42.8").json().get("record").get("counters").has("earlyTalk")).isFalse();
            assertThat(webAdmin.get("/metrics").body).contains("shaping_early_talkers_total 1.0");
        });
    }

    @Test
    void overAConnectionLimitTheClientGets421WithTheReasonNotASilentClose() throws Exception {
        pin("127.0.43.6", 6);
        try (SmtpClient first = SmtpClient.connect("127.0.43.6", port)) {
            assertThat(first.readReply().code).isEqualTo(220);
            try (SmtpClient second = SmtpClient.connect("127.0.43.6", port)) {
                SmtpClient.Reply refused = second.readReply();
                assertThat(refused.code).isEqualTo(421);
                assertThat(refused.text()).startsWith("4.7.0 Too many concurrent connections from your address");
                assertThat(second.isClosedByServer()).isTrue();
            }
        }
        Eventually.within(Duration.ofSeconds(3), () -> {
            try (SmtpClient again = SmtpClient.connect("127.0.43.6", port)) {
                assertThat(again.readReply().code).isEqualTo(220);
            }
        });
    }

    /**
     * Connection limits count the connections in shaped classes: one opened while its address was unshaped counts
     * once a later decision (here at EHLO) shapes it, not before.
     */
    @Test
    void connectionLimitsCountConnectionsFromTheDecisionThatShapesThem() throws Exception {
        try (SmtpClient unshaped = SmtpClient.connect("127.0.43.7", port)) {
            assertThat(unshaped.readReply().code).isEqualTo(220);
            pin("127.0.43.7", 6);
            try (SmtpClient first = SmtpClient.connect("127.0.43.7", port)) {
                assertThat(first.readReply().code).as("the unshaped connection does not count").isEqualTo(220);
            }
            // The server sees that close on its own time, maybe after the next command on another connection.
            Eventually.within(Duration.ofSeconds(3), () ->
                assertThat(webAdmin.get("/metrics").body).contains("shaping_held_connections 0.0"));
            assertThat(unshaped.command("EHLO mail.example.org").code).isEqualTo(250);
            Eventually.within(Duration.ofSeconds(3), () -> {
                try (SmtpClient second = SmtpClient.connect("127.0.43.7", port)) {
                    SmtpClient.Reply refused = second.readReply();
                    assertThat(refused.code).as("the connection shaped at EHLO counts").isEqualTo(421);
                    assertThat(refused.text()).startsWith("4.7.0 Too many concurrent connections from your address");
                }
            });
        }
    }

    @Test
    void aClassThatRefusesAtDataAnswersAPermanent550AfterTheMessage() throws Exception {
        pin("127.0.43.60", 6);
        SmtpClient.Reply reply = SmtpClient.sendMail("127.0.43.60", port, "bulk@example.net", List.of("user1@james.local"));
        assertThat(reply.code).isEqualTo(550);
        assertThat(reply.text()).startsWith("5.7.1 Message refused");
        // Refused, so not counted as accepted (which would speak for the sender); the connection itself is.
        Eventually.within(Duration.ofSeconds(10), () -> {
            var counters = webAdmin.get("/shaping/reputation/127.0.43.60").json().get("record").get("counters");
            assertThat(counters.has("connections")).as(counters.toString()).isTrue();
            assertThat(counters.has("messages")).as(counters.toString()).isFalse();
        });
    }

    @Test
    void recipientAndMessageLimitsAnswer452And421() throws Exception {
        pin("127.0.43.5", 5);
        try (SmtpClient client = SmtpClient.connect("127.0.43.5", port)) {
            assertThat(client.readReply().code).isEqualTo(220);
            assertThat(client.command("EHLO limited.example.org").code).isEqualTo(250);
            assertThat(client.command("MAIL FROM:<a@example.org>").code).isEqualTo(250);
            assertThat(client.command("RCPT TO:<user1@james.local>").code).isEqualTo(250);
            assertThat(client.command("RCPT TO:<user1@james.local>").code).isEqualTo(250);
            SmtpClient.Reply third = client.command("RCPT TO:<user1@james.local>");
            assertThat(third.code).isEqualTo(452);
            assertThat(third.text()).startsWith("4.5.3");
            assertThat(client.command("DATA").code).isEqualTo(354);
            client.send("Subject: one\r\n\r\nbody\r\n.\r\n");
            assertThat(client.readReply().code).isEqualTo(250);
            SmtpClient.Reply secondMessage = client.command("MAIL FROM:<a@example.org>");
            assertThat(secondMessage.code).isEqualTo(421);
            assertThat(secondMessage.text()).startsWith("4.7.0 Too many messages in one connection");
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    @Test
    void overTheConnectionRateTheClientGets421() throws Exception {
        pin("127.0.43.50", 5);
        for (int i = 0; i < 3; i++) {
            try (SmtpClient client = SmtpClient.connect("127.0.43.50", port)) {
                assertThat(client.readReply().code).isEqualTo(220);
                client.command("QUIT");
            }
        }
        try (SmtpClient fourth = SmtpClient.connect("127.0.43.50", port)) {
            SmtpClient.Reply refused = fourth.readReply();
            assertThat(refused.code).isEqualTo(421);
            assertThat(refused.text()).startsWith("4.7.0 Too many connections per minute from your address");
        }
    }

    @Test
    void beyondTheHeldConnectionCapNewHeldConnectionsGet421AtOnce() throws Exception {
        pin("127.0.44.0/24", 8);
        List<SmtpClient> held = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                held.add(SmtpClient.connect("127.0.44." + (10 + i), port));
            }
            Thread.sleep(300);
            long start = System.nanoTime();
            try (SmtpClient overflow = SmtpClient.connect("127.0.44.99", port)) {
                SmtpClient.Reply reply = overflow.readReply();
                assertThat(reply.code).isEqualTo(421);
                assertThat(reply.text()).startsWith("4.7.0 Server busy");
                assertThat(millisSince(start)).isLessThan(1000L);
            }
            // Unshaped senders are not held, so the cap does not apply to them.
            assertThat(cleanSessionMillis("127.0.44.200".replace("44", "45"))).isLessThan(1000L);
        } finally {
            for (SmtpClient client : held) {
                client.close();
            }
            // The server sees the closes asynchronously; other tests need the held slots back.
            Eventually.within(Duration.ofSeconds(5), () ->
                assertThat(webAdmin.get("/metrics").body).contains("shaping_held_connections 0.0"));
        }
    }

    @Test
    void relayNetworksAllowedSendersAndAuthenticatedSessionsAreNeverShaped() throws Exception {
        pin("127.0.0.1", 8);
        pin("127.0.46.0/24", 8);
        assertThat(webAdmin.put("/shaping/reputation/127.0.46.9/status", "{\"status\":\"allow\"}").status).isEqualTo(204);
        assertThat(cleanSessionMillis("127.0.0.1")).isLessThan(1000L);
        assertThat(cleanSessionMillis("127.0.46.9")).isLessThan(1000L);

        pin("127.0.47.7", 7);
        try (SmtpClient client = SmtpClient.connect("127.0.47.7", port)) {
            assertThat(client.readReply().code).isEqualTo(220);
            assertThat(client.command("EHLO user.example.org").code).isEqualTo(250);
            String credentials = Base64.getEncoder().encodeToString("\0user1@james.local\0secret".getBytes(StandardCharsets.UTF_8));
            assertThat(client.command("AUTH PLAIN " + credentials).code).isEqualTo(235);
            long start = System.nanoTime();
            assertThat(client.command("NOOP").code).isEqualTo(250);
            assertThat(client.command("NOOP").code).isEqualTo(250);
            assertThat(millisSince(start)).isLessThan(500L);
        }
        assertThat(webAdmin.delete("/shaping/reputation/127.0.0.1").status).isEqualTo(204);
    }

    @Test
    void theOperatorApiShowsTheEffectiveClassWithItsReasons() {
        pin("127.0.48.7", 7);
        var report = webAdmin.get("/shaping/reputation/127.0.48.7").json();
        assertThat(report.get("class").asInt()).isEqualTo(7);
        assertThat(report.get("classReasons").toString()).contains("pinned");
        assertThat(report.get("status").get("class").asInt()).isEqualTo(7);
        assertThat(webAdmin.put("/shaping/reputation/127.0.48.7/status", "{\"class\":12}").status).isEqualTo(400);
        assertThat(webAdmin.put("/shaping/reputation/127.0.48.7/status", "{\"class\":3,\"status\":\"block\"}").status).isEqualTo(400);
        var fresh = webAdmin.get("/shaping/reputation/127.0.48.8");
        assertThat(fresh.status).isEqualTo(404);
    }

    /**
     * The class is decided again at HELO/EHLO and MAIL FROM: a sender that turns bad while connected is treated by
     * its new class at its next command (here pinned to 9 by an operator, refused with 554 at MAIL FROM), and
     * one that merely keeps sending clean mail is left alone.
     */
    @Test
    void aSenderThatTurnsBadMidConnectionIsTreatedByItsNewClassAtItsNextCommand() throws Exception {
        try (SmtpClient client = SmtpClient.connect("127.0.49.9", port)) {
            assertThat(client.readReply().code).isEqualTo(220);
            assertThat(client.command("EHLO mail.example.org").code).isEqualTo(250);
            assertThat(client.command("MAIL FROM:<a@example.org>").code).isEqualTo(250);
            assertThat(client.command("RSET").code).isEqualTo(250);
            assertThat(client.command("MAIL FROM:<a@example.org>").code).isEqualTo(250);
            assertThat(client.command("RSET").code).isEqualTo(250);

            pin("127.0.49.9", 9);
            SmtpClient.Reply refused = client.command("MAIL FROM:<a@example.org>");
            assertThat(refused.code).isEqualTo(554);
        }
        assertThat(webAdmin.delete("/shaping/reputation/127.0.49.9").status).isEqualTo(204);
    }
}
