package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.bson.Document;
import org.jamesshaping.launcher.JamesProcess;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

/** James servers sharing one MongoDB, and James riding out a MongoDB outage. */
class FleetAndOutageIT {
    @TempDir
    Path folder;

    @Test
    void twoServersOnOneMongoSeeEachOthersUpdatesWithinTwoRefreshIntervals() throws Exception {
        try (EmbeddedMongo mongo = EmbeddedMongo.inMemory().start(0);
             JamesTestServer serverA = JamesTestServer.start(folder.resolve("a"), mongo.uri());
             JamesProcess serverB = TestEnvironment.fleetMember("b", folder.resolve("b"), mongo.uri())) {
            // cache.refresh.interval=1s and flush.interval=200ms in the test configuration.
            Duration twoRefreshIntervals = Duration.ofSeconds(2);

            assertThat(ehlo(serverB, "127.0.20.9")).isEqualTo(250);
            assertThat(serverA.webAdmin().put("/shaping/reputation/127.0.20.9/status",
                "{\"status\":\"block\",\"reason\":\"seen on A\"}").status).isEqualTo(204);
            long blockedAt = System.nanoTime();
            Eventually.within(twoRefreshIntervals, () -> assertThat(ehlo(serverB, "127.0.20.9")).isEqualTo(554));
            assertThat(Duration.ofNanos(System.nanoTime() - blockedAt)).isLessThan(twoRefreshIntervals.plusMillis(500));

            for (int i = 0; i < 3; i++) {
                assertThat(SmtpClient.sendMail("127.0.20.5", serverA.smtpPort(), "a@example.org", List.of("nobody@james.local")).code)
                    .isEqualTo(550);
            }
            Eventually.within(twoRefreshIntervals.plusMillis(200), () ->
                assertThat(webAdmin(serverB).get("/shaping/reputation/127.0.20.5").json()
                    .get("record").get("counters").get("rcptRejected").get("total").asLong()).isEqualTo(3));

            // A bot running a dictionary attack on A is slowed by B within a few seconds.
            assertThat(greetingMillis(serverB.smtpPort(), "127.0.22.66", 5000)).isLessThan(1000L);
            for (int transaction = 0; transaction < 3; transaction++) {
                try (SmtpClient bot = SmtpClient.connect("127.0.22.66", serverA.smtpPort())) {
                    bot.readReply();
                    bot.command("EHLO bot");
                    bot.command("MAIL FROM:<x@example.net>");
                    for (int i = 0; i < 5; i++) {
                        bot.command("RCPT TO:<guess" + transaction + "x" + i + "@james.local>");
                    }
                }
            }
            long attackEnded = System.nanoTime();
            Eventually.within(Duration.ofSeconds(5), () ->
                assertThat(webAdmin(serverB).get("/shaping/reputation/127.0.22.66").json().get("class").asInt()).isGreaterThanOrEqualTo(7));
            // Class 7 delays the greeting 10 s in the default preset: B no longer greets the bot promptly. B's SMTP
            // path reads its cache, whose entry for the bot is re-read in the background on access after a refresh
            // interval: the bot's next connections see the new class.
            Eventually.within(Duration.ofSeconds(8), () ->
                assertThat(greetingMillis(serverB.smtpPort(), "127.0.22.66", 2500)).isGreaterThanOrEqualTo(2500L));
            assertThat(Duration.ofNanos(System.nanoTime() - attackEnded)).isLessThan(Duration.ofSeconds(15));
        }
    }

    /** Time to the greeting, or {@code timeoutMillis} if none came by then. */
    private static long greetingMillis(int port, String source, int timeoutMillis) throws Exception {
        long start = System.nanoTime();
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.bind(new java.net.InetSocketAddress(java.net.InetAddress.getByName(source), 0));
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
            socket.setSoTimeout(timeoutMillis);
            try {
                int first = socket.getInputStream().read();
                assertThat(first).isEqualTo('2');
            } catch (java.net.SocketTimeoutException e) {
                return timeoutMillis;
            }
        }
        return java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    @Test
    void smtpKeepsServingDuringAMongoOutageAndCountersConvergeToExactTotals() throws Exception {
        EmbeddedMongo mongo = EmbeddedMongo.persistent(folder.resolve("mongo").resolve("store.mv")).start(0);
        int port = mongo.port();
        try (JamesTestServer james = JamesTestServer.start(folder.resolve("james"), mongo.uri())) {
            int sent = 0;
            for (int i = 0; i < 5; i++) {
                assertThat(ehlo(james, "127.0.21.5")).isEqualTo(250);
                sent++;
            }
            Eventually.within(Duration.ofSeconds(5), () -> assertThat(storedConnections(port)).isEqualTo(5));

            mongo.stop();
            for (int i = 0; i < 10; i++) {
                assertThat(ehlo(james, "127.0.21.5")).isEqualTo(250);
                sent++;
            }
            // Updates are held while MongoDB is away; nothing is dropped.
            String metrics = james.webAdmin().get("/metrics").body;
            assertThat(metrics).contains("shaping_dropped_updates_total 0.0");
            // The failed write shows once the held signals are due: clean ones are written every fifth flush.
            Eventually.within(Duration.ofSeconds(10), () ->
                assertThat(james.webAdmin().get("/metrics").body).doesNotContain("shaping_mongo_errors_total 0.0"));

            mongo.start(port);
            for (int i = 0; i < 5; i++) {
                assertThat(ehlo(james, "127.0.21.5")).isEqualTo(250);
                sent++;
            }
            int expected = sent;
            Eventually.within(Duration.ofSeconds(15), () -> assertThat(storedConnections(port)).isEqualTo(expected));
            Thread.sleep(1000);
            assertThat(storedConnections(port)).isEqualTo(expected);
        } finally {
            mongo.stop();
        }
    }

    private static long storedConnections(int mongoPort) {
        try (MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + mongoPort)) {
            Document document = client.getDatabase("james_shaping_it").getCollection("reputation")
                .find(new Document("_id", "127.0.21.5")).first();
            if (document == null) {
                return 0;
            }
            return ((Number) document.get("totals", Document.class).get("connections")).longValue();
        }
    }

    private static int ehlo(JamesTestServer james, String source) throws Exception {
        return ehlo(james.smtpPort(), source);
    }

    private static int ehlo(JamesProcess james, String source) throws Exception {
        return ehlo(james.smtpPort(), source);
    }

    private static int ehlo(int smtpPort, String source) throws Exception {
        try (SmtpClient client = SmtpClient.connect(source, smtpPort)) {
            assertThat(client.readReply().code).isEqualTo(220);
            int code = client.command("EHLO client.example.org").code;
            if (code == 250) {
                client.command("QUIT");
            }
            return code;
        }
    }

    private static WebAdminClient webAdmin(JamesProcess james) {
        return new WebAdminClient(james.webAdminPort());
    }
}
