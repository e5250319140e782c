package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An operator looks up and corrects reputation on a running James: WebAdmin over HTTP, the CLI over James's
 * JMX port, and the effect on real SMTP clients from distinct loopback addresses.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReputationOperatorIT {
    @TempDir
    static Path folder;
    JamesWithStore running;
    JamesTestServer james;
    WebAdminClient webAdmin;

    @BeforeAll
    void start() throws Exception {
        running = JamesWithStore.start(folder, true, settings -> { });
        james = running.james();
        webAdmin = james.webAdmin();
    }

    @AfterAll
    void stop() {
        if (running != null) {
            running.close();
        }
    }

    private SmtpClient.Reply ehloFrom(String source) throws Exception {
        try (SmtpClient client = SmtpClient.connect(source, james.smtpPort())) {
            assertThat(client.readReply().code).isEqualTo(220);
            return client.command("EHLO client.example.org");
        }
    }

    @Test
    void aBlockedAddressGets554AtEhloWhileOthersAreServed() throws Exception {
        assertThat(webAdmin.put("/shaping/reputation/127.0.0.9/status",
            "{\"status\":\"block\",\"reason\":\"Spam run from your host\",\"ttl\":\"1d\"}").status).isEqualTo(204);

        try (SmtpClient client = SmtpClient.connect("127.0.0.9", james.smtpPort())) {
            assertThat(client.readReply().code).isEqualTo(220);
            SmtpClient.Reply reply = client.command("EHLO client.example.org");
            assertThat(reply.code).isEqualTo(554);
            assertThat(reply.text()).isEqualTo("5.7.1 Spam run from your host");
            assertThat(client.isClosedByServer()).isTrue();
        }
        assertThat(ehloFrom("127.0.0.1").code).isEqualTo(250);
        assertThat(ehloFrom("127.0.0.12").code).isEqualTo(250);

        JsonNode report = webAdmin.get("/shaping/reputation/127.0.0.9").json();
        assertThat(report.get("effectiveStatus").asText()).isEqualTo("block");
        assertThat(report.get("why").asText()).contains("Spam run from your host").contains("webadmin");
        assertThat(report.get("status").get("expiresAt").asText()).isNotEmpty();
    }

    @Test
    void aBlockEntryAppliesToARelayNetworkAddressThatIsNeverShaped() throws Exception {
        // 127.0.0.1/32 is the sample authorizedAddresses: exempt from shaping, not from an explicit block.
        assertThat(webAdmin.put("/shaping/reputation/127.0.0.1/status", "{\"status\":\"block\",\"reason\":\"compromised relay\"}").status)
            .isEqualTo(204);
        try {
            SmtpClient.Reply reply = ehloFrom("127.0.0.1");
            assertThat(reply.code).isEqualTo(554);
            assertThat(reply.text()).isEqualTo("5.7.1 compromised relay");
        } finally {
            assertThat(webAdmin.delete("/shaping/reputation/127.0.0.1").status).isEqualTo(204);
        }
        assertThat(ehloFrom("127.0.0.1").code).isEqualTo(250);
    }

    @Test
    void aBlockedNetworkCoversItsAddressesAndAnAllowedAddressInsideItIsServed() throws Exception {
        assertThat(webAdmin.put("/shaping/reputation/127.0.3.0/24/status", "{\"status\":\"block\",\"reason\":\"botnet\"}").status)
            .isEqualTo(204);
        assertThat(webAdmin.put("/shaping/reputation/127.0.3.7/status", "{\"status\":\"allow\",\"reason\":\"partner\"}").status)
            .isEqualTo(204);

        assertThat(ehloFrom("127.0.3.20").code).isEqualTo(554);
        assertThat(ehloFrom("127.0.3.7").code).isEqualTo(250);

        JsonNode report = webAdmin.get("/shaping/reputation/127.0.3.20").json();
        assertThat(report.get("why").asText()).contains("entry for 127.0.3.0/24");
        assertThat(webAdmin.get("/shaping/reputation/127.0.3.0%2F24").json().get("effectiveStatus").asText()).isEqualTo("block");

        assertThat(webAdmin.delete("/shaping/reputation/127.0.3.0/24").status).isEqualTo(204);
        assertThat(ehloFrom("127.0.3.20").code).isEqualTo(250);
    }

    @Test
    void smtpTrafficShowsUpAsCountersOfTheAddressAndItsSubnet() throws Exception {
        SmtpClient.Reply accepted = SmtpClient.sendMail("127.0.4.2", james.smtpPort(), "sender@example.org",
            List.of("user1@james.local", "nobody@james.local"));
        assertThat(accepted.code).isEqualTo(250);

        Eventually.within(Duration.ofSeconds(10), () -> {
            JsonNode report = webAdmin.get("/shaping/reputation/127.0.4.2").json();
            JsonNode counters = report.get("record").get("counters");
            assertThat(counters.get("connections").get("total").asLong()).isEqualTo(1);
            assertThat(counters.get("messages").get("total").asLong()).isEqualTo(1);
            assertThat(counters.get("rcptAccepted").get("total").asLong()).isEqualTo(1);
            assertThat(counters.get("rcptRejected").get("total").asLong()).isEqualTo(1);
            assertThat(report.get("subnet").get("key").asText()).isEqualTo("127.0.4.0/24");
            assertThat(report.get("subnet").get("counters").get("connections").get("total").asLong()).isEqualTo(1);
        });
    }

    @Test
    void topListsTheWorstScoredSendersFirst() throws Exception {
        for (int i = 0; i < 4; i++) {
            try (SmtpClient client = SmtpClient.connect("127.0.5.66", james.smtpPort())) {
                client.readReply();
                client.command("EHLO bot.example");
                client.command("XSPAM please");
                client.command("WHATEVER");
                client.command("QUIT");
            }
        }
        SmtpClient.sendMail("127.0.5.10", james.smtpPort(), "a@example.org", List.of("user1@james.local"));

        Eventually.within(Duration.ofSeconds(10), () -> {
            JsonNode top = webAdmin.get("/shaping/reputation?sort=score&limit=3").json();
            assertThat(top.isArray()).isTrue();
            assertThat(top.size()).isLessThanOrEqualTo(3);
            assertThat(top.get(0).get("key").asText()).isEqualTo("127.0.5.66");
            assertThat(top.get(0).get("counters").get("protocolViolations").get("total").asLong()).isEqualTo(8);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"not-an-ip", "127.0.0.300", "mail.example.com", "127.0.0.1%3B%20drop", "%7B%22%24gt%22%3A%22%22%7D"})
    void aBadAddressGets400WithAClearMessage(String bad) {
        WebAdminClient.Reply get = webAdmin.get("/shaping/reputation/" + bad);
        assertThat(get.status).isEqualTo(400);
        assertThat(get.json().get("type").asText()).isEqualTo("InvalidArgument");
        assertThat(get.json().get("message").asText()).contains("is not an IP address or CIDR");

        assertThat(webAdmin.put("/shaping/reputation/" + bad + "/status", "{\"status\":\"block\"}").status).isEqualTo(400);
        assertThat(webAdmin.delete("/shaping/reputation/" + bad).status).isEqualTo(400);
    }

    @Test
    void badStatusBodiesAndCidrsGet400() {
        assertThat(webAdmin.put("/shaping/reputation/127.0.6.1/status", "{\"status\":\"maybe\"}").json().get("message").asText())
            .contains("'allow' or 'block'");
        assertThat(webAdmin.put("/shaping/reputation/127.0.6.1/status", "{\"status\":\"block\",\"ttl\":\"soon\"}").status).isEqualTo(400);
        assertThat(webAdmin.put("/shaping/reputation/127.0.6.1/status", "{\"status\":\"block\",\"extra\":1}").status).isEqualTo(400);
        assertThat(webAdmin.put("/shaping/reputation/127.0.6.1/status", "not json").status).isEqualTo(400);
        assertThat(webAdmin.put("/shaping/reputation/127.0.6.1/8/status", "{\"status\":\"block\"}").json().get("message").asText())
            .contains("did you mean 127.0.0.0/8");
        assertThat(webAdmin.get("/shaping/reputation?limit=0").status).isEqualTo(400);
        assertThat(webAdmin.get("/shaping/reputation?sort=random").status).isEqualTo(400);
    }

    @Test
    void anUnknownAddressIs404() {
        WebAdminClient.Reply reply = webAdmin.get("/shaping/reputation/192.0.2.77");
        assertThat(reply.status).isEqualTo(404);
        assertThat(reply.json().get("type").asText()).isEqualTo("notFound");
    }

    @Test
    void storeMetricsAreExposedAtMetrics() throws Exception {
        ehloFrom("127.0.7.1");
        Eventually.within(Duration.ofSeconds(5), () -> {
            String metrics = webAdmin.get("/metrics").body;
            assertThat(metrics).contains("shaping_cache_hits_total", "shaping_cache_misses_total", "shaping_writebehind_depth",
                "shaping_flush_seconds_count", "shaping_mongo_errors_total", "shaping_dropped_updates_total");
        });
    }

    @Test
    void theCliShowsTheSameRecordOverJmxWithJamesCredentials() throws Exception {
        SmtpClient.sendMail("127.0.8.3", james.smtpPort(), "a@example.org", List.of("user1@james.local"));
        Eventually.within(Duration.ofSeconds(10), () ->
            assertThat(webAdmin.get("/shaping/reputation/127.0.8.3").json().get("record").get("counters").has("messages")).isTrue());

        ShapingCliProcess shown = cli("reputation", "127.0.8.3");
        assertThat(shown.exit).isZero();
        JsonNode viaCli = new com.fasterxml.jackson.databind.ObjectMapper().readTree(shown.out);
        JsonNode viaWebAdmin = webAdmin.get("/shaping/reputation/127.0.8.3").json();
        assertThat(viaCli.get("record").get("counters")).isEqualTo(viaWebAdmin.get("record").get("counters"));

        assertThat(cli("block", "127.0.8.4", "--reason", "cli test", "--ttl", "30m").exit).isZero();
        assertThat(ehloFrom("127.0.8.4").code).isEqualTo(554);
        assertThat(cli("forget", "127.0.8.4").exit).isZero();
        assertThat(ehloFrom("127.0.8.4").code).isEqualTo(250);

        assertThat(cli("pin", "127.0.8.5", "7", "--reason", "snowshoe").exit).isZero();
        assertThat(webAdmin.get("/shaping/reputation/127.0.8.5").json().get("class").asInt()).isEqualTo(7);
        assertThat(cli("report", "127.0.8.6", "spam").exit).isZero();
        Eventually.within(Duration.ofSeconds(5), () -> assertThat(webAdmin.get("/shaping/reputation/127.0.8.6").json()
            .get("record").get("counters").get("reportedSpam").get("total").asLong()).isEqualTo(1));
        assertThat(cli("pin", "127.0.8.5", "12").exit).isEqualTo(2);

        assertThat(cli("reputation", "192.0.2.99").exit).isEqualTo(1);
        ShapingCliProcess bad = cli("block", "999.1.1.1");
        assertThat(bad.exit).isEqualTo(2);
        assertThat(bad.err).contains("is not an IP address or CIDR");
        assertThat(cli("top", "200", "--json").out).contains("\"key\" : \"127.0.8.3\"");
        assertThat(cli("top", "200").out).startsWith("KEY").contains("127.0.8.3");
        assertThat(cli().exit).isEqualTo(2);
    }

    private ShapingCliProcess cli(String... args) throws Exception {
        return ShapingCliProcess.run(james, args);
    }
}
