package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.bson.Document;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

/**
 * An attacker's requests to WebAdmin, over real HTTP to a real James: a web page the operator opens (cross-origin,
 * {@code text/plain}, DNS rebinding), bodies far over the limits, and operator input that would do harm (a block on
 * every address, a reason that forges log lines, an overflowing ttl). Each is refused before anything is stored, and
 * the refusal is checked from the outside: nothing shows in the reputation and SMTP still serves the address.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebAdminSecurityIT {
    /** Far below HugeBody.SIZE, above what loopback socket buffers can hold on both sides. */
    private static final long READ_AT_MOST = 64L * 1024 * 1024;
    private static final Map<String, String> JSON = Map.of("Content-Type", "application/json");

    @TempDir
    static Path folder;
    JamesWithStore running;
    WebAdminClient webAdmin;
    int webAdminPort;

    @BeforeAll
    void start() throws Exception {
        running = JamesWithStore.start(folder, settings -> { });
        webAdmin = running.webAdmin();
        webAdminPort = running.james().probe().webAdminPort();
    }

    @AfterAll
    void stop() {
        if (running != null) {
            running.close();
        }
    }

    private int ehloFrom(String source) throws Exception {
        try (SmtpClient client = SmtpClient.connect(source, running.smtpPort())) {
            assertThat(client.readReply().code).isEqualTo(220);
            return client.command("EHLO client.example.org").code;
        }
    }

    @Test
    void aCrossOriginTextPlainReportIsRefusedAndNothingIsStored() throws Exception {
        String attacked = "127.0.120.77";
        for (int i = 0; i < 3; i++) {
            WebAdminClient.Reply reply = webAdmin.send("POST", "/shaping/reputation/" + attacked + "/reports",
                Map.of("Content-Type", "text/plain", "Origin", "http://evil.example"), "{\"verdict\":\"spam\"}");
            assertThat(reply.status).isEqualTo(403);
            assertThat(reply.json().get("type").asText()).isEqualTo("InvalidArgument");
            assertThat(reply.json().get("message").asText()).contains("Cross-origin");
        }
        // Without the Origin (a non-browser client), text/plain is still not JSON.
        assertThat(webAdmin.send("POST", "/shaping/reputation/" + attacked + "/reports", Map.of("Content-Type", "text/plain"),
            "{\"verdict\":\"spam\"}").status).isEqualTo(415);

        // A report made properly, to a neighbour /24, shows once written: the refused ones would have shown by then.
        String control = "127.0.121.5";
        assertThat(webAdmin.post("/shaping/reputation/" + control + "/reports", "{\"verdict\":\"spam\"}").status).isEqualTo(204);
        Eventually.within(Duration.ofSeconds(10), () -> assertThat(webAdmin.get("/shaping/reputation/" + control).json()
            .get("record").get("counters").get("reportedSpam").get("total").asLong()).isEqualTo(1));

        assertThat(ehloFrom(attacked)).isEqualTo(250);
        Eventually.within(Duration.ofSeconds(10), () -> {
            JsonNode report = webAdmin.get("/shaping/reputation/" + attacked).json();
            assertThat(report.get("class").asInt()).isLessThanOrEqualTo(4);
            assertThat(report.get("record").get("counters").has("reportedSpam")).isFalse();
            assertThat(report.get("subnet").get("counters").has("reportedSpam")).isFalse();
        });
    }

    @Test
    void aBodyOfTheWrongTypeIs415() {
        String path = "/shaping/reputation/127.0.124.10/status";
        String body = "{\"status\":\"block\"}";
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/jsonx"}) {
            WebAdminClient.Reply reply = webAdmin.send("PUT", path, Map.of("Content-Type", type), body);
            assertThat(reply.status).as(type).isEqualTo(415);
            assertThat(reply.json().get("message").asText()).contains("application/json");
        }
        assertThat(webAdmin.send("PUT", path, Map.of(), body).status).isEqualTo(415);
        // A raw-message route takes no JSON; a JSON route no message.
        assertThat(webAdmin.send("POST", "/shaping/reports/spam", JSON, "Subject: hi\r\n\r\nbody").status).isEqualTo(415);
        assertThat(webAdmin.send("POST", "/shaping/fingerprints", Map.of("Content-Type", "text/plain"), "Subject: hi\r\n\r\nbody").status)
            .isEqualTo(415);
        assertThat(webAdmin.send("PUT", path, Map.of("Content-Type", "message/rfc822"), body).status).isEqualTo(415);
        assertThat(webAdmin.get("/shaping/reputation/127.0.124.10").status).isEqualTo(404);

        assertThat(webAdmin.send("PUT", path, Map.of("Content-Type", "application/json; charset=UTF-8"), body).status).isEqualTo(204);
        assertThat(webAdmin.delete("/shaping/reputation/127.0.124.10").status).isEqualTo(204);
    }

    @Test
    void aForeignOriginIs403OnEveryMethodWhileTheServersOwnIsServed() throws Exception {
        String path = "/shaping/reputation/127.0.124.20";
        assertThat(webAdmin.send("GET", path, Map.of("Origin", "http://evil.example"), null).status).isEqualTo(403);
        assertThat(webAdmin.send("DELETE", path, Map.of("Origin", "https://evil.example"), null).status).isEqualTo(403);
        assertThat(webAdmin.send("PUT", path + "/status", Map.of("Content-Type", "application/json", "Origin", "null"),
            "{\"status\":\"allow\"}").status).isEqualTo(403);
        assertThat(webAdmin.send("POST", "/shaping/reports/spam", Map.of("Content-Type", "message/rfc822", "Origin", "http://evil.example"),
            "Subject: x\r\n\r\ny").status).isEqualTo(403);
        assertThat(webAdmin.get(path).status).isEqualTo(404);

        String own = "http://127.0.0.1:" + webAdminPort;
        assertThat(webAdmin.send("PUT", path + "/status", Map.of("Content-Type", "application/json", "Origin", own),
            "{\"status\":\"allow\",\"reason\":\"same origin\"}").status).isEqualTo(204);
        assertThat(webAdmin.get(path).json().get("effectiveStatus").asText()).isEqualTo("allow");
        assertThat(webAdmin.delete(path).status).isEqualTo(204);

        // DNS rebinding: the attacker's name now resolves to this server, so the browser sees one origin.
        String rebound = "rebind.evil.example:" + webAdminPort;
        String reply = rawExchange("PUT " + path + "/status HTTP/1.1\r\nHost: " + rebound + "\r\nOrigin: http://" + rebound
            + "\r\nContent-Type: application/json\r\nContent-Length: 19\r\nConnection: close\r\n\r\n{\"status\":\"allow\"}\n");
        assertThat(reply).startsWith("HTTP/1.1 403");
        assertThat(webAdmin.get(path).status).isEqualTo(404);
    }

    @Test
    void aHugeDeclaredBodyIs413BeforeItIsRead() throws Exception {
        HugeBody message = stream("/shaping/reports/spam", "message/rfc822", false);
        assertThat(message.status).isEqualTo(413);
        assertThat(message.sentWhenAnswered).isLessThan(READ_AT_MOST);

        HugeBody json = stream("/shaping/reputation/127.0.124.30/reports", "application/json", false);
        assertThat(json.status).isEqualTo(413);
        assertThat(json.sentWhenAnswered).isLessThan(READ_AT_MOST);
    }

    @Test
    void aHugeChunkedBodyIsCutAtTheLimit() throws Exception {
        long heapBefore = usedHeapAfterGc();
        HugeBody message = stream("/shaping/reports/spam", "message/rfc822", true);
        assertThat(message.status).isEqualTo(413);
        assertThat(message.rest).contains("larger than 4194304 bytes");
        assertThat(message.sentWhenAnswered).isLessThan(READ_AT_MOST);

        HugeBody json = stream("/shaping/reputation/127.0.124.31/reports", "application/json", true);
        assertThat(json.status).isEqualTo(413);
        assertThat(json.sentWhenAnswered).isLessThan(READ_AT_MOST);
        long heapAfter = usedHeapAfterGc();
        // James runs in this JVM: had it kept a 700 MB body, the heap would show it (its -Xmx is below that anyway).
        System.out.printf("heap used after GC: %d MB before, %d MB after two 700 MB chunked bodies%n",
            heapBefore >> 20, heapAfter >> 20);
        assertThat(heapAfter - heapBefore).isLessThan(READ_AT_MOST);
        assertThat(webAdmin.get("/shaping/reputation/127.0.124.31").status).isEqualTo(404);
    }

    @Test
    void aStatusOnEveryAddressNeedsForce() throws Exception {
        for (String everything : new String[] {"0.0.0.0/0", "::/0", "10.0.0.0/7", "2001:d00::/24"}) {
            WebAdminClient.Reply reply = webAdmin.put("/shaping/reputation/" + everything.replace("/", "%2F") + "/status",
                "{\"status\":\"block\",\"reason\":\"oops\"}");
            assertThat(reply.status).as(everything).isEqualTo(400);
            assertThat(reply.json().get("message").asText()).contains("force");
        }
        assertThat(webAdmin.put("/shaping/reputation/0.0.0.0/0/status", "{\"class\":8}").status).isEqualTo(400);
        assertThat(webAdmin.put("/shaping/reputation/0.0.0.0/0/status?force=maybe", "{\"status\":\"block\"}").status).isEqualTo(400);
        assertThat(ehloFrom("127.0.122.9")).isEqualTo(250);
        assertThat(webAdmin.get("/shaping/reputation/0.0.0.0/0").status).isEqualTo(404);

        try {
            assertThat(webAdmin.put("/shaping/reputation/0.0.0.0/0/status?force=true", "{\"status\":\"block\",\"reason\":\"lockdown\"}").status)
                .isEqualTo(204);
            assertThat(ehloFrom("127.0.122.9")).isEqualTo(554);
        } finally {
            assertThat(webAdmin.delete("/shaping/reputation/0.0.0.0/0").status).isEqualTo(204);
        }
        assertThat(ehloFrom("127.0.122.9")).isEqualTo(250);
        assertThat(webAdmin.put("/shaping/reputation/10.0.0.0/8/status", "{\"status\":\"block\"}").status).isEqualTo(204);
        assertThat(webAdmin.delete("/shaping/reputation/10.0.0.0/8").status).isEqualTo(204);
    }

    @Test
    void aReasonThatWouldForgeALogLineOrIsTooLongIs400AndNothingIsStored() throws Exception {
        String path = "/shaping/reputation/127.0.123.4";
        String[] bad = {
            "{\"status\":\"block\",\"reason\":\"botnet\\r\\n2026-01-01 INFO allowed 127.0.123.4\"}",
            "{\"status\":\"block\",\"reason\":\"\\u001b[2Jcleared\"}",
            "{\"status\":\"block\",\"reason\":\"abc\\u202edcba\"}",
            "{\"status\":\"block\",\"reason\":\"" + "x".repeat(201) + "\"}",
            "{\"class\":7,\"reason\":\"" + "x".repeat(5000) + "\"}",
        };
        for (String body : bad) {
            WebAdminClient.Reply reply = webAdmin.put(path + "/status", body);
            assertThat(reply.status).as(body).isEqualTo(400);
            assertThat(reply.json().get("message").asText()).containsAnyOf("control characters", "at most 200");
        }
        assertNoStatusOn(path);
        assertThat(ehloFrom("127.0.123.4")).isEqualTo(250);

        assertThat(webAdmin.put(path + "/status", "{\"status\":\"block\",\"reason\":\"" + "x".repeat(200) + "\"}").status).isEqualTo(204);
        assertThat(webAdmin.delete(path).status).isEqualTo(204);
    }

    @Test
    void aReasonWithLineBreaksFromTheSharedStoreIsLoggedEscaped() throws Exception {
        // Written by another server of the fleet (or an older version), not through these routes.
        String forged = "botnet\r\n2026-01-01 12:00:00 INFO Shaping 127.0.123.40: class 0 (allowed)\u001b[2J";
        try (MongoClient client = MongoClients.create(running.mongo().uri())) {
            client.getDatabase("james_shaping_it").getCollection("reputation").insertOne(new Document("_id", "127.0.123.40")
                .append("kind", "ip")
                .append("status", new Document("value", "block").append("reason", forged).append("setAt", new Date())
                    .append("expiresAt", null).append("setBy", "another-server"))
                .append("expireAt", Date.from(Instant.parse("9999-12-31T00:00:00Z"))));
        }
        Logger shaperLog = (Logger) LoggerFactory.getLogger("org.jamesshaping.smtp.TrafficShaper");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        shaperLog.addAppender(appender);
        try {
            Eventually.within(Duration.ofSeconds(10), () -> {
                try (SmtpClient smtp = SmtpClient.connect("127.0.123.40", running.smtpPort())) {
                    smtp.readReply();
                    SmtpClient.Reply reply = smtp.command("EHLO client.example.org");
                    assertThat(reply.code).isEqualTo(554);
                    assertThat(reply.text()).startsWith("5.7.1 botnet").doesNotContain("\u001b");
                }
            });
            List<String> lines = appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(line -> line.contains("botnet")).collect(Collectors.toList());
            assertThat(lines).isNotEmpty();
            assertThat(lines).allSatisfy(line -> assertThat(line)
                .doesNotContain("\r").doesNotContain("\n").doesNotContain("\u001b")
                .contains("botnet\\r\\n2026-01-01").contains("\\u001b[2J"));
        } finally {
            shaperLog.detachAppender(appender);
            assertThat(webAdmin.delete("/shaping/reputation/127.0.123.40").status).isEqualTo(204);
        }
    }

    @Test
    void otherBadInputIsAClear400() {
        String path = "/shaping/reputation/127.0.124.40/status";
        WebAdminClient.Reply ttl = webAdmin.put(path, "{\"status\":\"block\",\"ttl\":\"100000000000000d\"}");
        assertThat(ttl.status).isEqualTo(400);
        assertThat(ttl.json().get("message").asText()).contains("100000000000000d");
        assertThat(webAdmin.put(path, "{\"status\":\"block\",\"ttl\":\"P99999999999999999D\"}").status).isEqualTo(400);
        assertThat(webAdmin.put(path, "{\"status\":\"allow\",\"status\":\"block\"}").status).isEqualTo(400);
        assertThat(webAdmin.put(path, "[\"block\"]").status).isEqualTo(400);
        assertThat(webAdmin.put(path, "").status).isEqualTo(400);
        assertThat(webAdmin.put(path, "{\"status\":\"block\",\"reason\":7}").status).isEqualTo(400);
        assertThat(webAdmin.get("/shaping/reputation/127.0.124.40").status).isEqualTo(404);
    }

    /** Nothing known (404), or known from its neighbours' traffic but with no status of its own. */
    private void assertNoStatusOn(String path) {
        WebAdminClient.Reply reply = webAdmin.get(path);
        assertThat(reply.status).as(reply.toString()).isIn(200, 404);
        if (reply.status == 200) {
            assertThat(reply.json().get("effectiveStatus").asText()).isEqualTo("none");
        }
    }

    private HugeBody stream(String path, String contentType, boolean chunked) throws Exception {
        return HugeBody.post(webAdminPort, path, contentType, chunked, Map.of());
    }

    /** One request as raw bytes (e.g. with a Host header no HTTP client library lets one set); the whole reply. */
    private String rawExchange(String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", webAdminPort)) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static long usedHeapAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        System.gc();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
