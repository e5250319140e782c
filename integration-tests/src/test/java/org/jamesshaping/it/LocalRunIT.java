package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLSocket;

import org.jamesshaping.launcher.Launcher;
import org.jamesshaping.testsupport.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine;

/**
 * What {@code ./james-shaping run} does, in this JVM: James from james-conf with the jar in extensions-jars and
 * the embedded MongoDB persisting under the data folder, so that blocks and counters survive a restart.
 */
class LocalRunIT {
    @TempDir
    Path data;
    @TempDir
    Path runs;
    int jmxPort;

    private Launcher.Running run(int mongoPort) throws Exception {
        TestEnvironment.init();
        jmxPort = FreePorts.belowEphemeralRange();
        Launcher launcher = new Launcher();
        new CommandLine(launcher).parseArgs(
            "--data", data.toString(),
            "--runs-dir", runs.toString(),
            "--smtp-port", "0",
            "--submission-port", "0",
            "--smtps-port", "0",
            "--imap-port", "0",
            "--imaps-port", "0",
            "--webadmin-port", "0",
            "--jmx-port", String.valueOf(jmxPort),
            "--mongo-port", String.valueOf(mongoPort),
            "--conf", TestEnvironment.sampleConf().toString(),
            "--jar", TestEnvironment.extensionJar().toString());
        return launcher.start();
    }

    @Test
    void aBlockAndTheCountersSurviveARestart() throws Exception {
        int mongoPort = FreePorts.belowEphemeralRange();
        try (Launcher.Running first = run(mongoPort)) {
            assertThat(Files.exists(data.resolve("james/extensions-jars/james-shaping.jar"))).isTrue();
            WebAdminClient webAdmin = new WebAdminClient(first.probe().webAdminPort());
            assertThat(webAdmin.put("/shaping/reputation/127.0.0.9/status", "{\"status\":\"block\",\"reason\":\"restart test\"}").status)
                .isEqualTo(204);
            assertThat(SmtpClient.sendMail("127.0.30.2", first.probe().smtpPort(0), "a@example.org",
                List.of("user1@james.local")).code).isEqualTo(250);
            // Stopped at once: what the write-behind buffer still holds is written on the way down.
        }

        try (Launcher.Running second = run(mongoPort)) {
            WebAdminClient webAdmin = new WebAdminClient(second.probe().webAdminPort());
            JsonNode blocked = webAdmin.get("/shaping/reputation/127.0.0.9").json();
            assertThat(blocked.get("effectiveStatus").asText()).isEqualTo("block");
            assertThat(webAdmin.get("/shaping/reputation/127.0.30.2").json()
                .get("record").get("counters").get("messages").get("total").asLong()).isEqualTo(1);

            int smtpPort = second.probe().smtpPort(0);
            Eventually.within(Duration.ofSeconds(3), () -> {
                try (SmtpClient client = SmtpClient.connect("127.0.0.9", smtpPort)) {
                    client.readReply();
                    assertThat(client.command("EHLO client.example.org").code).isEqualTo(554);
                }
            });
            try (SmtpClient client = SmtpClient.connect("127.0.0.1", smtpPort)) {
                assertThat(client.readReply().code).isEqualTo(220);
                assertThat(client.command("EHLO client.example.org").code).isEqualTo(250);
            }
        }
    }

    @Test
    void theCliScriptFindsTheJmxCredentialsOfARunStartedWithData() throws Exception {
        try (Launcher.Running running = run(FreePorts.belowEphemeralRange())) {
            assertThat(running.credentials()).isEqualTo(data.resolve("james/conf/jmxremote.password")).isRegularFile();
            assertThat(runs.resolve(Launcher.runFileName(jmxPort))).hasContent(running.credentials().toString());
            WebAdminClient webAdmin = new WebAdminClient(running.probe().webAdminPort());
            assertThat(webAdmin.put("/shaping/reputation/127.0.0.9/status", "{\"status\":\"block\",\"reason\":\"cli test\"}").status)
                .isEqualTo(204);

            // As an operator types it, with nothing but the port: the script reads the run's note for that port.
            String[] reply = cli("-p", String.valueOf(jmxPort), "reputation", "127.0.0.9");
            assertThat(reply[0]).as(reply[1]).isEqualTo("0");
            assertThat(reply[1]).contains("block").doesNotContain("Authentication failed");
        }
        assertThat(runs.resolve(Launcher.runFileName(jmxPort))).doesNotExist();
    }

    @Test
    void theCreatedMailboxCanBeReadOverImap() throws Exception {
        try (Launcher.Running running = run(FreePorts.belowEphemeralRange())) {
            assertThat(SmtpClient.sendMail("127.0.30.3", running.probe().smtpPort(0), "a@example.org",
                List.of("user1@james.local")).code).isEqualTo(250);

            // IMAPS with the self-signed keystore the launcher generated, and the user and password it printed.
            try (SSLSocket socket = (SSLSocket) SmtpClient.trustingAnyCertificate().getSocketFactory().createSocket("127.0.0.1", running.probe().imapPort(1))) {
                socket.setSoTimeout(10_000);
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                Writer out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.US_ASCII);
                assertThat(in.readLine()).startsWith("* OK");
                out.write("a LOGIN user1@james.local changeme\r\n");
                out.flush();
                assertThat(untilTagged(in, "a")).endsWith("a OK LOGIN completed.");
                Eventually.within(Duration.ofSeconds(5), () -> {
                    out.write("b STATUS INBOX (MESSAGES)\r\n");
                    out.flush();
                    assertThat(untilTagged(in, "b")).contains("* STATUS \"INBOX\" (MESSAGES 1)");
                });
            }
        }
    }

    private static String untilTagged(BufferedReader in, String tag) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            lines.append(line).append('\n');
            if (line.startsWith(tag + " ")) {
                return lines.toString().trim();
            }
        }
        throw new IOException("connection closed after " + lines);
    }

    /** {@code ./james-shaping cli ARGS} (no build: the reactor built it): exit code, then stdout and stderr. */
    private String[] cli(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", TestEnvironment.repositoryRoot().resolve("james-shaping").toString(), "cli"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("JAMES_SHAPING_NO_BUILD", "1");
        builder.environment().put("JAMES_SHAPING_RUNS", runs.toString());
        builder.environment().remove("SHAPING_JMX_PASSWORD_FILE");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new String[] {String.valueOf(process.exitValue()), output};
    }
}
