package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * With dryRun, operators see every decision in the logs and metrics, and no client is slowed or refused by shaping
 * (an operator's block entry still applies).
 */
class DryRunIT {
    @TempDir
    Path folder;

    @Test
    void dryRunShapesNothingAndLogsEverything() throws Exception {
        Logger shaperLog = (Logger) LoggerFactory.getLogger("org.jamesshaping.smtp.TrafficShaper");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        shaperLog.addAppender(appender);
        try (JamesWithStore james = JamesWithStore.start(folder,
                 settings -> settings.replaceInFile("smtpserver.xml", "<dryRun>false</dryRun>", "<dryRun>true</dryRun>"))) {
            WebAdminClient webAdmin = james.webAdmin();
            assertThat(webAdmin.put("/shaping/reputation/127.0.60.8/status", "{\"class\":8}").status).isEqualTo(204);

            // Class 8 would delay the greeting 20 s and allow one connection per address: in dry run, neither.
            List<SmtpClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    long start = System.nanoTime();
                    SmtpClient client = SmtpClient.connect("127.0.60.8", james.smtpPort());
                    clients.add(client);
                    assertThat(client.readReply().code).isEqualTo(220);
                    assertThat(client.command("EHLO dry.example.org").code).isEqualTo(250);
                    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1000L);
                }
            } finally {
                for (SmtpClient client : clients) {
                    client.close();
                }
            }

            // An operator's block is a decision, not shaping: enforced in dry run too.
            assertThat(webAdmin.put("/shaping/reputation/127.0.60.9/status", "{\"status\":\"block\",\"reason\":\"Spam run\"}").status)
                .isEqualTo(204);
            try (SmtpClient blocked = SmtpClient.connect("127.0.60.9", james.smtpPort())) {
                assertThat(blocked.readReply().code).isEqualTo(220);
                SmtpClient.Reply reply = blocked.command("EHLO blocked.example.org");
                assertThat(reply.code).isEqualTo(554);
                assertThat(reply.text()).isEqualTo("5.7.1 Spam run");
            }

            List<String> lines = appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(line -> line.contains("127.0.60.8")).collect(Collectors.toList());
            assertThat(lines).anySatisfy(line -> assertThat(line).contains("class 8").contains("[dry run: not shaped]"));
            assertThat(lines).anySatisfy(line -> assertThat(line).contains("Too many concurrent connections")
                .contains("[dry run: would answer 421]"));
            Eventually.within(Duration.ofSeconds(5), () ->
                assertThat(webAdmin.get("/metrics").body).containsPattern("shaping_dry_run_would_shape_total [1-9]"));
        } finally {
            shaperLog.detachAppender(appender);
        }
    }
}
