package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bson.Document;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

/**
 * A MongoDB outage under SMTP traffic with a small write-behind buffer ({@code buffer.max.keys=20}), then a James
 * restart while MongoDB is still down. Senders of 127.0.140.0/24 are held from the start of the outage (they carry
 * signals against them); 127.0.142.0/24 is a flood of new clean senders past the bound; 127.0.143.0/24 are senders
 * with signals against them arriving once the buffer is full; 127.0.141.9 is blocked by the operator.
 */
class StoreOutageIT {
    /** How long MongoDB stays down under traffic, at least. */
    private static final Duration OUTAGE = Duration.ofSeconds(30);
    private static final String USER = "user1@james.local";
    private static final String BLOCKED = "127.0.141.9";
    private static final int HELD_SENDERS = 5;
    private static final int LATE_BAD_SENDERS = 3;
    private static final int FLOOD = 30;

    @TempDir
    Path folder;

    @Test
    void heldUpdatesAreWrittenOnceSignalsAgainstSendersAreKeptAndTheBlockHoldsThroughoutAndAfterARestart() throws Exception {
        EmbeddedMongo mongo = EmbeddedMongo.persistent(folder.resolve("mongo").resolve("store.mv")).start(0);
        int port = mongo.port();
        Path home = folder.resolve("james");
        try {
            long[] connections = new long[HELD_SENDERS + 1];
            long[] rejected = new long[HELD_SENDERS + 1];
            try (JamesTestServer james = start(home, mongo.uri())) {
                assertThat(james.webAdmin().put("/shaping/reputation/" + BLOCKED + "/status",
                    "{\"status\":\"block\",\"reason\":\"outage test\"}").status).isEqualTo(204);
                assertThat(greeting(james, BLOCKED)).isEqualTo(554);
                for (int i = 1; i <= HELD_SENDERS; i++) {
                    mail(james, "127.0.140." + i, connections, rejected, i);
                }
                Eventually.within(Duration.ofSeconds(10), () -> assertThat(stored(port, "127.0.140.1", "connections")).isEqualTo(1));

                mongo.stop();
                long outageStart = System.nanoTime();
                // First in the outage: the held senders, with a signal against each, so that they are in the buffer at once.
                for (int i = 1; i <= HELD_SENDERS; i++) {
                    mail(james, "127.0.140." + i, connections, rejected, i);
                }
                assertThat(greeting(james, BLOCKED)).isEqualTo(554);
                // Then a flood of new clean senders: past the bound (20 keys, 6 held) most of them are dropped.
                for (int i = 1; i <= FLOOD; i++) {
                    assertThat(greeting(james, "127.0.142." + i)).isEqualTo(220);
                }
                // Clean senders' signals reach the buffer every fifth flush (200 ms each): wait for the flood to arrive.
                Eventually.within(Duration.ofSeconds(15), () -> assertThat(metric(james, "shaping_dropped_updates_total")).isPositive());
                // Senders with signals against them, new while the buffer is full: they take the clean senders' places.
                for (int i = 1; i <= LATE_BAD_SENDERS; i++) {
                    assertThat(SmtpClient.sendMail("127.0.143." + i, james.smtpPort(), "a@example.org",
                        List.of("nobody@james.local")).code).isEqualTo(550);
                }
                // The held senders keep sending through the outage (30 s at least): every one of their updates is merged.
                for (int round = 0; round < 3 || System.nanoTime() - outageStart < OUTAGE.toNanos(); round++) {
                    if (round >= 3) {
                        Thread.sleep(1000);
                    }
                    for (int i = 1; i <= HELD_SENDERS; i++) {
                        mail(james, "127.0.140." + i, connections, rejected, i);
                    }
                    assertThat(greeting(james, BLOCKED)).isEqualTo(554);
                }
                String metrics = james.webAdmin().get("/metrics").body;
                assertThat(value(metrics, "shaping_dropped_updates_against_senders")).isZero();
                assertThat(value(metrics, "shaping_writebehind_evicted")).isGreaterThanOrEqualTo(LATE_BAD_SENDERS + 1);
                assertThat(value(metrics, "shaping_writebehind_depth")).isLessThanOrEqualTo(20);

                mongo.start(port);
                for (int i = 1; i <= HELD_SENDERS; i++) {
                    mail(james, "127.0.140." + i, connections, rejected, i);
                }
                assertThat(greeting(james, BLOCKED)).isEqualTo(554);
                Eventually.within(Duration.ofSeconds(15), () -> {
                    for (int i = 1; i <= HELD_SENDERS; i++) {
                        assertThat(stored(port, "127.0.140." + i, "connections")).isEqualTo(connections[i]);
                        assertThat(stored(port, "127.0.140." + i, "rcptRejected")).isEqualTo(rejected[i]);
                    }
                });
                for (int i = 1; i <= LATE_BAD_SENDERS; i++) {
                    assertThat(stored(port, "127.0.143." + i, "rcptRejected")).isEqualTo(1);
                }
                assertThat(stored(port, "127.0.143.0/24", "rcptRejected")).isEqualTo(LATE_BAD_SENDERS);
                // Written once: later flushes add nothing.
                Thread.sleep(1500);
                for (int i = 1; i <= HELD_SENDERS; i++) {
                    assertThat(stored(port, "127.0.140." + i, "connections")).isEqualTo(connections[i]);
                    assertThat(stored(port, "127.0.140." + i, "rcptRejected")).isEqualTo(rejected[i]);
                }
                long subnet = 0;
                for (int i = 1; i <= HELD_SENDERS; i++) {
                    subnet += rejected[i];
                }
                assertThat(stored(port, "127.0.140.0/24", "rcptRejected")).isEqualTo(subnet);
                mongo.stop();
            }

            // James starts while MongoDB is still down: the block comes from the local copy of the statuses.
            assertThat(home.resolve("var").resolve("shaping").resolve("operator-statuses.json")).exists();
            try (JamesTestServer restarted = start(home, "mongodb://127.0.0.1:" + port)) {
                assertThat(greeting(restarted, BLOCKED)).isEqualTo(554);
                assertThat(greeting(restarted, "127.0.144.1")).isEqualTo(220);
            }
        } finally {
            mongo.stop();
        }
    }

    private static JamesTestServer start(Path home, String mongoUri) throws Exception {
        JamesTestServer james = JamesTestServer.start(home, mongoUri, false, settings -> settings.shapingProperty("buffer.max.keys", "20"));
        james.probe().provision("james.local", USER, "secret");
        return james;
    }

    /** One mail to a user and to an unknown address: a connection and a rejected recipient, counted. */
    private static void mail(JamesTestServer james, String source, long[] connections, long[] rejected, int index) throws Exception {
        assertThat(SmtpClient.sendMail(source, james.smtpPort(), "a@example.org", List.of(USER, "nobody@james.local")).code)
            .isEqualTo(250);
        connections[index]++;
        rejected[index]++;
    }

    /** The greeting's code, or the EHLO reply's when the greeting was 220 (a block answers 554 there). */
    private static int greeting(JamesTestServer james, String source) throws Exception {
        try (SmtpClient client = SmtpClient.connect(source, james.smtpPort())) {
            int greeting = client.readReply().code;
            if (greeting != 220) {
                return greeting;
            }
            int ehlo = client.command("EHLO client.example.org").code;
            if (ehlo != 250) {
                return ehlo;
            }
            client.command("QUIT");
            return greeting;
        }
    }

    private static long stored(int mongoPort, String key, String counter) {
        try (MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + mongoPort)) {
            Document document = client.getDatabase("james_shaping_it").getCollection("reputation")
                .find(new Document("_id", key)).first();
            if (document == null || document.get("totals", Document.class) == null) {
                return 0;
            }
            Number value = (Number) document.get("totals", Document.class).get(counter);
            return value == null ? 0 : value.longValue();
        }
    }

    private static double metric(JamesTestServer james, String name) {
        return value(james.webAdmin().get("/metrics").body, name);
    }

    private static double value(String metrics, String name) {
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? ([-0-9.Ee+]+)$").matcher(metrics);
        assertThat(matcher.find()).as(name + " in /metrics").isTrue();
        return Double.parseDouble(matcher.group(1));
    }
}
