package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/** James's health checks over WebAdmin, as a Kubernetes probe reads them, with MongoDB up, then down, then back. */
class HealthCheckIT {
    private static final String MONGO = "james-shaping-mongodb";
    private static final String WRITE_BEHIND = "james-shaping-write-behind";

    @TempDir
    Path folder;

    @Test
    void mongoIsUnhealthyAndWritesDegradedWhileMongoIsDownAndBothHealthyOnceItIsBack() throws Exception {
        EmbeddedMongo mongo = EmbeddedMongo.persistent(folder.resolve("mongo").resolve("store.mv")).start(0);
        int port = mongo.port();
        try (JamesTestServer james = JamesTestServer.start(folder.resolve("james"), mongo.uri())) {
            WebAdminClient webAdmin = james.webAdmin();
            assertThat(webAdmin.get("/healthcheck/checks").body).contains(MONGO, WRITE_BEHIND);
            WebAdminClient.Reply all = webAdmin.get("/healthcheck");
            assertThat(all.status).as(all.body).isEqualTo(200);
            assertThat(check(all.json(), MONGO).get("status").asText()).isEqualTo("healthy");
            assertThat(check(all.json(), WRITE_BEHIND).get("status").asText()).isEqualTo("healthy");
            assertThat(webAdmin.get("/healthcheck/checks/" + MONGO).status).isEqualTo(200);

            mongo.stop();
            WebAdminClient.Reply mongoDown = webAdmin.get("/healthcheck/checks/" + MONGO);
            assertThat(mongoDown.status).as(mongoDown.body).isEqualTo(503);
            assertThat(mongoDown.json().get("status").asText()).isEqualTo("unhealthy");
            assertThat(mongoDown.json().get("cause").asText()).contains("does not answer");
            // A spam verdict against the sender is written at the next flush, which MongoDB now refuses.
            for (int i = 0; i < 3; i++) {
                assertThat(SmtpClient.sendMail("127.0.210.5", james.smtpPort(), "a@example.org", List.of("nobody@james.local")).code)
                    .isEqualTo(550);
            }
            Eventually.within(Duration.ofSeconds(10), () -> {
                WebAdminClient.Reply writes = webAdmin.get("/healthcheck/checks/" + WRITE_BEHIND);
                // Degraded is still 200: a probe must not restart James and lose the held updates.
                assertThat(writes.status).as(writes.body).isEqualTo(200);
                assertThat(writes.json().get("status").asText()).isEqualTo("degraded");
                assertThat(writes.json().get("cause").asText()).contains("held in memory");
            });
            WebAdminClient.Reply aggregate = webAdmin.get("/healthcheck");
            assertThat(aggregate.status).isEqualTo(503);
            assertThat(aggregate.json().get("status").asText()).isEqualTo("unhealthy");

            mongo.start(port);
            Eventually.within(Duration.ofSeconds(15), () -> {
                WebAdminClient.Reply back = webAdmin.get("/healthcheck");
                assertThat(back.status).as(back.body).isEqualTo(200);
                assertThat(check(back.json(), MONGO).get("status").asText()).isEqualTo("healthy");
                assertThat(check(back.json(), WRITE_BEHIND).get("status").asText()).isEqualTo("healthy");
            });
        } finally {
            mongo.stop();
        }
    }

    private static JsonNode check(JsonNode aggregate, String name) {
        for (JsonNode check : aggregate.get("checks")) {
            if (check.get("componentName").asText().equals(name)) {
                return check;
            }
        }
        throw new AssertionError(name + " not in " + aggregate);
    }
}
