package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An operator lists, exports and imports the allow, block and pin entries of a running James: over WebAdmin and
 * with the CLI over JMX, and the imported entries apply to real SMTP clients.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorListsIT {
    private static final Map<String, String> CSV = Map.of("Content-Type", "text/csv");

    @TempDir
    static Path folder;
    JamesWithStore running;
    WebAdminClient webAdmin;

    @BeforeAll
    void start() throws Exception {
        running = JamesWithStore.start(folder, true, settings -> { });
        webAdmin = running.webAdmin();
    }

    @AfterAll
    void stop() {
        if (running != null) {
            running.close();
        }
    }

    @BeforeEach
    void noEntries() {
        for (String status : new String[] {"block", "allow", "pin"}) {
            for (JsonNode page = list(status, 1000, 0); page.size() > 0; page = list(status, 1000, 0)) {
                page.forEach(entry -> webAdmin.delete("/shaping/reputation/" + entry.get("key").asText()));
            }
        }
    }

    private JsonNode list(String status, int limit, int offset) {
        WebAdminClient.Reply reply = webAdmin.get("/shaping/reputation?status=" + status + "&limit=" + limit + "&offset=" + offset);
        assertThat(reply.status).as(reply.toString()).isEqualTo(200);
        return reply.json();
    }

    private List<String> keys(JsonNode entries) {
        List<String> keys = new ArrayList<>();
        entries.forEach(entry -> keys.add(entry.get("key").asText()));
        return keys;
    }

    private void put(String key, String body) {
        assertThat(webAdmin.put("/shaping/reputation/" + key + "/status", body).status).isEqualTo(204);
    }

    @Test
    void entriesAreListedByStatusInAddressOrderAndPaged() {
        put("203.0.113.0/24", "{\"status\":\"block\",\"reason\":\"botnet\",\"ttl\":\"12h\"}");
        put("2001:db8::/48", "{\"status\":\"block\"}");
        put("10.0.0.0/8", "{\"status\":\"block\"}");
        put("9.9.9.9", "{\"status\":\"block\"}");
        put("198.51.100.25", "{\"status\":\"allow\",\"reason\":\"partner MTA\"}");
        put("192.0.2.7", "{\"class\":7,\"reason\":\"snowshoe\"}");

        assertThat(keys(list("block", 100, 0))).containsExactly("9.9.9.9", "10.0.0.0/8", "203.0.113.0/24", "2001:db8::/48");
        assertThat(keys(list("block", 2, 1))).containsExactly("10.0.0.0/8", "203.0.113.0/24");
        assertThat(keys(list("block", 100, 4))).isEmpty();
        JsonNode allowed = list("allow", 100, 0);
        assertThat(keys(allowed)).containsExactly("198.51.100.25");
        assertThat(allowed.get(0).get("reason").asText()).isEqualTo("partner MTA");
        assertThat(allowed.get(0).get("setBy").asText()).isEqualTo("webadmin");
        JsonNode pinned = list("pin", 100, 0);
        assertThat(pinned.get(0).get("class").asInt()).isEqualTo(7);
        assertThat(list("block", 100, 0).get(2).get("expiresAt").asText()).isNotEmpty();

        assertThat(webAdmin.get("/shaping/reputation?status=maybe").status).isEqualTo(400);
        assertThat(webAdmin.get("/shaping/reputation?status=block&limit=0").status).isEqualTo(400);
        assertThat(webAdmin.get("/shaping/reputation?status=block&offset=-1").status).isEqualTo(400);
        assertThat(webAdmin.get("/shaping/reputation?status=block&offset=x").status).isEqualTo(400);
    }

    @Test
    void anExportImportedElsewhereSetsTheSameEntriesAndTheyApplyToSmtp() throws Exception {
        put("127.0.121.0/24", "{\"status\":\"block\",\"reason\":\"imported botnet, wave 2\",\"ttl\":\"1d\"}");
        put("127.0.121.7", "{\"status\":\"allow\",\"reason\":\"partner\"}");
        put("192.0.2.7", "{\"class\":7}");
        WebAdminClient.Reply export = webAdmin.get("/shaping/statuses");
        assertThat(export.status).isEqualTo(200);
        assertThat(export.body).contains("127.0.121.0/24,block,").contains(",imported botnet, wave 2\n")
            .contains("127.0.121.7,allow,,partner\n").contains("192.0.2.7,7,,");

        noEntries();
        assertThat(webAdmin.get("/shaping/statuses").body.lines().count()).isEqualTo(1);
        try (SmtpClient client = SmtpClient.connect("127.0.121.20", running.smtpPort())) {
            client.readReply();
            assertThat(client.command("EHLO client.example.org").code).isEqualTo(250);
        }

        WebAdminClient.Reply imported = webAdmin.send("POST", "/shaping/statuses", CSV, export.body);
        assertThat(imported.status).as(imported.toString()).isEqualTo(200);
        assertThat(imported.json().get("imported").asInt()).isEqualTo(3);
        assertThat(keys(list("block", 100, 0))).containsExactly("127.0.121.0/24");
        assertThat(list("block", 100, 0).get(0).get("expiresAt").asText()).isNotEmpty();
        try (SmtpClient client = SmtpClient.connect("127.0.121.20", running.smtpPort())) {
            client.readReply();
            SmtpClient.Reply reply = client.command("EHLO client.example.org");
            assertThat(reply.code).isEqualTo(554);
            assertThat(reply.text()).isEqualTo("5.7.1 imported botnet, wave 2");
        }
        try (SmtpClient client = SmtpClient.connect("127.0.121.7", running.smtpPort())) {
            client.readReply();
            assertThat(client.command("EHLO client.example.org").code).isEqualTo(250);
        }
    }

    @Test
    void aFileWithOneBadLineImportsNothing() {
        String file = "198.51.100.0/24,block,,fine\n0.0.0.0/0,block,,everything\n192.0.2.1,block,soon\n";
        WebAdminClient.Reply refused = webAdmin.send("POST", "/shaping/statuses", CSV, file);
        assertThat(refused.status).isEqualTo(400);
        assertThat(refused.json().get("message").asText()).contains("2 lines are wrong, nothing was imported")
            .contains("line 2: ").contains("force").contains("line 3: ");
        assertThat(list("block", 100, 0)).isEmpty();

        assertThat(webAdmin.send("POST", "/shaping/statuses", Map.of("Content-Type", "text/plain"), file).status).isEqualTo(415);
        assertThat(webAdmin.send("POST", "/shaping/statuses", Map.of("Content-Type", "text/csv", "Origin", "http://evil.example"),
            "198.51.100.0/24,allow\n").status).isEqualTo(403);
        assertThat(list("allow", 100, 0)).isEmpty();

        WebAdminClient.Reply forced = webAdmin.send("POST", "/shaping/statuses?force=true", CSV, "0.0.0.0/0,allow,1h,test\n");
        assertThat(forced.status).isEqualTo(200);
        assertThat(keys(list("allow", 100, 0))).containsExactly("0.0.0.0/0");
    }

    /** Last: its 10,000 entries stay (deleting them one by one would take longer than the test). */
    @Test
    @Order(Integer.MAX_VALUE)
    void aFileOfTheMostEntriesIsImportedAndListed() {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < 10_000; i++) {
            file.append("10.").append(i >> 8 & 255).append('.').append(i & 255).append(".0/24,block,1h,bulk ").append(i).append('\n');
        }
        long start = System.nanoTime();
        WebAdminClient.Reply imported = webAdmin.send("POST", "/shaping/statuses", CSV, file.toString(), Duration.ofMinutes(3));
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("import of 10000 entries (%d KB): %d ms%n", file.length() >> 10, millis);
        assertThat(imported.status).as(imported.toString()).isEqualTo(200);
        assertThat(imported.json().get("imported").asInt()).isEqualTo(10_000);
        assertThat(keys(list("block", 2, 9_998))).containsExactly("10.39.14.0/24", "10.39.15.0/24");
        assertThat(webAdmin.get("/shaping/statuses").body.lines().count()).isEqualTo(10_001);
        assertThat(webAdmin.send("POST", "/shaping/statuses", CSV, file + "10.200.0.0/24,block\n").status).isEqualTo(400);
    }

    @Test
    void theCliPrintsTablesListsExportsAndImports() throws Exception {
        put("203.0.113.0/24", "{\"status\":\"block\",\"reason\":\"botnet\"}");
        put("192.0.2.7", "{\"class\":7,\"reason\":\"snowshoe\"}");
        SmtpClient.sendMail("127.0.121.30", running.smtpPort(), "a@example.org", List.of("user1@james.local"));

        ShapingCliProcess list = cli("list");
        assertThat(list.exit).isZero();
        List<String> lines = list.out.lines().toList();
        assertThat(lines.get(0)).matches("KEY +STATUS +CLASS +EXPIRES +SET BY +REASON");
        assertThat(lines.get(1)).matches("192\\.0\\.2\\.7 +pin +7 +- +webadmin +snowshoe");
        assertThat(lines.get(2)).matches("203\\.0\\.113\\.0/24 +block +- +- +webadmin +botnet");
        assertThat(cli("list", "pin").out.lines().count()).isEqualTo(2);
        assertThat(cli("list", "allow").out).contains("(none)");
        assertThat(cli("list", "--json").out).contains("\"key\" : \"192.0.2.7\"");
        assertThat(cli("list", "maybe").exit).isEqualTo(2);

        Eventually.within(Duration.ofSeconds(10), () ->
            assertThat(cli("top", "50").out).startsWith("KEY").contains("127.0.121.30").contains("messages=1"));
        assertThat(cli("top", "50", "--json").out).contains("\"key\" : \"127.0.121.30\"");

        Path exported = folder.resolve("statuses.csv");
        assertThat(cli("export", exported.toString()).exit).isZero();
        assertThat(Files.readString(exported)).contains("203.0.113.0/24,block,,botnet");
        noEntries();
        ShapingCliProcess imported = cli("import", exported.toString());
        assertThat(imported.exit).as(imported.err).isZero();
        assertThat(imported.out).contains("\"imported\" : 2");
        assertThat(keys(list("block", 100, 0))).containsExactly("203.0.113.0/24");

        Path bad = folder.resolve("bad.csv");
        Files.writeString(bad, "0.0.0.0/0,block,,everything\n", StandardCharsets.UTF_8);
        ShapingCliProcess refused = cli("import", bad.toString());
        assertThat(refused.exit).isEqualTo(2);
        assertThat(refused.err).contains("line 1: ").contains("--force");
        assertThat(cli("block", "0.0.0.0/0").exit).isEqualTo(2);
        assertThat(keys(list("block", 100, 0))).containsExactly("203.0.113.0/24");
        assertThat(cli("import", bad.toString(), "--force").exit).isZero();
        assertThat(keys(list("block", 100, 0))).containsExactly("0.0.0.0/0", "203.0.113.0/24");
        assertThat(cli("forget", "0.0.0.0/0").exit).isZero();
        assertThat(cli("import", folder.resolve("missing.csv").toString()).exit).isEqualTo(2);
    }

    private ShapingCliProcess cli(String... args) throws Exception {
        return ShapingCliProcess.run(running.james(), args);
    }
}
