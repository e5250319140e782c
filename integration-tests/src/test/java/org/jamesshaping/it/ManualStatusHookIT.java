package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** In a handler chain without the TrafficShaper, ManualStatusHook alone enforces operators' block entries. */
class ManualStatusHookIT {
    @TempDir
    Path folder;

    @Test
    void withoutTheShaperABlockedAddressGets554WithTheOperatorsReason() throws Exception {
        try (JamesWithStore james = JamesWithStore.start(folder, settings -> settings
                 // James's own core handlers (it writes the greeting) and the hook where the shaper was.
                 .replaceInFile("smtpserver.xml", " coreHandlersPackage=\"org.jamesshaping.smtp.ShapingCoreCmdHandlerLoader\"", "")
                 .replaceInFile("smtpserver.xml", "<handler class=\"org.jamesshaping.smtp.TrafficShaper\">",
                     "<handler class=\"org.jamesshaping.smtp.ManualStatusHook\">"))) {
            assertThat(james.webAdmin().put("/shaping/reputation/127.0.70.9/status",
                "{\"status\":\"block\",\"reason\":\"Spam\\trun\",\"ttl\":\"1d\"}").status).isEqualTo(204);

            try (SmtpClient client = SmtpClient.connect("127.0.70.9", james.smtpPort())) {
                assertThat(client.readReply().code).isEqualTo(220);
                SmtpClient.Reply reply = client.command("EHLO client.example.org");
                assertThat(reply.code).isEqualTo(554);
                assertThat(reply.text()).as("control characters of the reason never reach the wire").isEqualTo("5.7.1 Spam run");
                assertThat(client.isClosedByServer()).isTrue();
            }
            try (SmtpClient client = SmtpClient.connect("127.0.70.2", james.smtpPort())) {
                assertThat(client.readReply().code).isEqualTo(220);
                assertThat(client.command("EHLO client.example.org").code).isEqualTo(250);
            }
        }
    }
}
