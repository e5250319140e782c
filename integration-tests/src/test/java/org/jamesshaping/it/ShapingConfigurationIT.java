package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an operator's configuration of the shaper does to a real James: the delay cap, and scoring set once. */
class ShapingConfigurationIT {
    @TempDir
    Path folder;

    @Test
    void maxDelayCapsTheGreetingAndEveryReplyOfAClassThatAsksForMore() throws Exception {
        try (JamesWithStore running = JamesWithStore.start(folder, settings -> settings
                .replaceInFile("smtpserver.xml", "<maxDelay>30s</maxDelay>", "<maxDelay>1s</maxDelay>")
                .replaceInFile("smtpserver.xml", "<preset>stage3</preset>", "<preset>stage3</preset>\n"
                    + "<class level=\"8\"><greetingDelay>20s</greetingDelay><replyDelay>20s</replyDelay></class>"))) {
            assertThat(running.webAdmin().put("/shaping/reputation/127.0.110.8/status", "{\"class\":8,\"reason\":\"test\"}").status)
                .isEqualTo(204);

            long start = System.nanoTime();
            try (SmtpClient client = SmtpClient.connect("127.0.110.8", running.smtpPort())) {
                assertThat(client.readReply().code).isEqualTo(220);
                long greeting = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertThat(client.command("EHLO held.example.org").code).isEqualTo(250);
                long reply = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) - greeting;

                assertThat(greeting).as("greeting, class 8 asks for 20 s").isBetween(900L, 5000L);
                assertThat(reply).as("EHLO reply, class 8 asks for 20 s").isBetween(900L, 5000L);
            }
        }
    }

    @Test
    void thePregreetTestCatchesANewSenderThatTalksFirstAndAPatientOneWaitsOnlyOnce() throws Exception {
        try (JamesWithStore running = JamesWithStore.start(folder, settings -> settings
                .replaceInFile("smtpserver.xml", TestEnvironment.NO_PREGREET, "<pregreet>800ms</pregreet>"))) {
            try (SmtpClient bot = SmtpClient.connect("127.0.111.66", running.smtpPort())) {
                bot.send("EHLO eager.example\r\n");
                SmtpClient.Reply greeting = bot.readReply();
                assertThat(greeting.code).isEqualTo(220);
                assertThat(greeting.lines).as("a multi-line greeting").hasSize(2);
            }
            Eventually.within(java.time.Duration.ofSeconds(5), () -> assertThat(running.webAdmin().get("/shaping/reputation/127.0.111.66")
                .json().get("record").get("counters").get("earlyTalk").get("total").asLong()).isEqualTo(1));
            // Its next connection starts shaped (class 6 on one early talk; the talking connection itself ran as class 7).
            assertThat(running.webAdmin().get("/shaping/reputation/127.0.111.66").json().get("class").asInt()).isGreaterThanOrEqualTo(6);

            assertThat(greetingMillis(running, "127.0.111.10")).as("first contact waits").isBetween(700L, 5000L);
            // The store writes what speaks for a sender within a few flushes: then the next connection is greeted at once.
            Eventually.within(java.time.Duration.ofSeconds(15), () ->
                assertThat(greetingMillis(running, "127.0.111.10")).as("remembered").isLessThan(500L));
        }
    }

    /** How long a patient client waits for the whole greeting, then sends a command. */
    private static long greetingMillis(JamesWithStore running, String source) throws Exception {
        long start = System.nanoTime();
        try (SmtpClient client = SmtpClient.connect(source, running.smtpPort())) {
            assertThat(client.readReply().code).isEqualTo(220);
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(client.command("EHLO patient.example").code).isEqualTo(250);
            client.command("QUIT");
            return waited;
        }
    }

    @Test
    void twoSmtpServersWhoseReputationBlocksDisagreeStopJamesAtStartSayingSo() throws Exception {
        String sample = Files.readString(TestEnvironment.sampleConf().resolve("smtpserver.xml"));
        String server = sample.substring(sample.indexOf("<smtpserver enabled=\"true\">"), sample.indexOf("</smtpserver>") + "</smtpserver>".length())
            .replace("<bind>0.0.0.0:25</bind>", "<bind>127.0.0.1:0</bind>");
        String first = server.replace("<preset>stage3</preset>",
            "<preset>stage3</preset><reputation><weight signal=\"unknownRecipients\">6</weight></reputation>");
        String second = server.replace("<jmxName>smtpserver-global</jmxName>", "<jmxName>smtpserver-b</jmxName>")
            .replace("<preset>stage3</preset>", "<preset>stage3</preset><reputation><weight signal=\"unknownRecipients\">1</weight></reputation>");
        String twoServers = "<?xml version=\"1.0\"?>\n<smtpservers>\n" + first + "\n" + second + "\n</smtpservers>\n";

        assertThatThrownBy(() -> JamesWithStore.start(folder, settings -> settings.confFile("smtpserver.xml", twoServers)).close())
            .satisfies(error -> assertThat(messages(error))
                .contains("disagrees with the <reputation> block of a TrafficShaper handler of smtpserver.xml")
                .contains("shaping.properties"));
    }

    private static String messages(Throwable error) {
        StringBuilder all = new StringBuilder();
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            all.append(cause.getMessage()).append('\n');
        }
        return all.toString();
    }
}
