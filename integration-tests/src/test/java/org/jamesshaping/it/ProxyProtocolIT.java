package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Behind a load balancer speaking the PROXY protocol, decisions use the real client: James only knows it after
 * the PROXY header, so shaping decides at the first command.
 */
class ProxyProtocolIT {
    @TempDir
    Path folder;

    @Test
    void theRealClientIsShapedBlockedAndCountedNotTheProxy() throws Exception {
        try (JamesWithStore james = JamesWithStore.start(folder,
                 settings -> settings.replaceInFile("smtpserver.xml", "<connectionBacklog>200</connectionBacklog>",
                     "<connectionBacklog>200</connectionBacklog>\n        <proxyRequired>true</proxyRequired>"))) {
            WebAdminClient webAdmin = james.webAdmin();
            assertThat(webAdmin.put("/shaping/reputation/127.0.61.7/status", "{\"class\":7}").status).isEqualTo(204);
            assertThat(webAdmin.put("/shaping/reputation/127.0.61.9/status", "{\"status\":\"block\",\"reason\":\"via proxy\"}").status)
                .isEqualTo(204);

            long shaped = ehloMillisThroughProxy(james.smtpPort(), "127.0.61.7");
            long clean = ehloMillisThroughProxy(james.smtpPort(), "127.0.61.2");
            // Class 7's reply delay (2 s in the default preset) applies to the real client only.
            assertThat(shaped).isGreaterThanOrEqualTo(1800L);
            assertThat(clean).isLessThan(1000L);

            try (SmtpClient client = SmtpClient.connect("127.0.0.2", james.smtpPort())) {
                client.send("PROXY TCP4 127.0.61.9 127.0.0.1 40000 25\r\n");
                assertThat(client.readReply().code).isEqualTo(220);
                SmtpClient.Reply reply = client.command("EHLO blocked.example.org");
                assertThat(reply.code).isEqualTo(554);
                assertThat(reply.text()).contains("via proxy");
            }

            Eventually.within(Duration.ofSeconds(5), () -> {
                JsonNode real = webAdmin.get("/shaping/reputation/127.0.61.2").json();
                assertThat(real.get("record").get("counters").get("connections").get("total").asLong()).isEqualTo(1);
                assertThat(webAdmin.get("/shaping/reputation/127.0.0.2").status).isEqualTo(404);
            });
        }
    }

    private static long ehloMillisThroughProxy(int port, String realClient) throws Exception {
        try (SmtpClient client = SmtpClient.connect("127.0.0.2", port)) {
            client.send("PROXY TCP4 " + realClient + " 127.0.0.1 40000 25\r\n");
            assertThat(client.readReply().code).isEqualTo(220);
            long start = System.nanoTime();
            assertThat(client.command("EHLO client.example.org").code).isEqualTo(250);
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
    }
}
