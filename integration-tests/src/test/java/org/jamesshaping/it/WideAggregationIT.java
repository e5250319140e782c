package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Bots rotating through /24s of one /16, over real SMTP: each new /24 starts fresh, its /16 does not. A fresh
 * address in another /24 of that /16 starts in a worse class than one in another /16, while a clean sender of the
 * same /16 stays in class 3 or better and its mail is taken. Uses 127.16.0.0/16 and 127.17.0.0/16 only.
 */
class WideAggregationIT {
    private static final int BOT_SUBNETS = 25;

    @TempDir
    static Path folder;

    private JamesWithStore james;
    private WebAdminClient webAdmin;

    private int classOf(String address) {
        return webAdmin.get("/shaping/reputation/" + address).json().get("class").asInt();
    }

    /** A fresh address connects once and quits (nothing for or against it), then its class is read. */
    private int freshClass(String address) throws Exception {
        try (SmtpClient client = SmtpClient.connect(address, james.smtpPort())) {
            assertThat(client.readReply().code).isEqualTo(220);
            client.command("QUIT");
        }
        int[] level = new int[1];
        Eventually.within(Duration.ofSeconds(5), () -> {
            JsonNode report = webAdmin.get("/shaping/reputation/" + address).json();
            assertThat(report.has("class")).as("known once it connected: %s", report).isTrue();
            level[0] = report.get("class").asInt();
        });
        return level[0];
    }

    private void cleanMessage(String source) throws Exception {
        SmtpClient.Reply reply = SmtpClient.sendMail(source, james.smtpPort(), "news@clean.example.org", List.of("user1@james.local"));
        assertThat(reply.code).as("the clean sender's message taken: %s", reply).isEqualTo(250);
    }

    /** One connection, three transactions each guessing five local users, as a dictionary attack does. */
    private void dictionaryAttack(String source) throws Exception {
        try (SmtpClient bot = SmtpClient.connect(source, james.smtpPort())) {
            bot.readReply();
            bot.command("EHLO bot.example");
            for (int transaction = 0; transaction < 3; transaction++) {
                bot.command("MAIL FROM:<offers@spam.example.net>");
                for (int i = 0; i < 5; i++) {
                    bot.command("RCPT TO:<guess" + transaction + "x" + i + "@james.local>");
                }
                bot.command("RSET");
            }
            bot.command("QUIT");
        }
    }

    @Test
    void botsRotatingThroughSlash24sOfASlash16ShapeAFreshAddressThereButNotItsCleanSenderNorAnotherSlash16() throws Exception {
        james = JamesWithStore.start(folder, settings -> settings
            .replaceInFile("smtpserver.xml", "<preset>stage3</preset>", DetectionQualityIT.CLASSES));
        webAdmin = james.webAdmin();
        try {
            String clean = "127.16.5.10";
            String freshThere = "127.16.200.7";
            String freshElsewhere = "127.17.200.7";
            assertThat(freshClass("127.16.201.7")).as("before the bots").isEqualTo(freshClass("127.17.201.7")).isEqualTo(3);
            List<Integer> cleanClasses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                cleanMessage(clean);
                cleanClasses.add(classOf(clean));
            }

            for (int subnet = 0; subnet < BOT_SUBNETS; subnet++) {
                dictionaryAttack("127.16." + (10 + subnet) + ".66");
            }
            // A second bot in one of their /24s: the /16 counts /24s, not addresses.
            dictionaryAttack("127.16.10.67");

            int there = freshClass(freshThere);
            int elsewhere = freshClass(freshElsewhere);
            JsonNode wide = webAdmin.get("/shaping/reputation/127.16.0.0/16").json().get("record").get("counters");
            System.out.printf("%nWide aggregation: %d bot /24s in 127.16/16; fresh address in 127.16.200.0/24: class %d, "
                + "in 127.17.200.0/24: class %d; 127.16.0.0/16 counters %s%n", BOT_SUBNETS, there, elsewhere, wide);
            assertThat(there).isGreaterThan(elsewhere);
            assertThat(elsewhere).isEqualTo(3);
            assertThat(there).as("shaped by its /16, never beyond class 6 by it alone").isBetween(5, 6);
            assertThat(wide.get("badAddresses").get("total").asInt()).as("bad /24s, each once").isEqualTo(BOT_SUBNETS);
            assertThat(wide.has("unknownRecipients")).as("the /16 keeps standings only").isFalse();

            cleanMessage(clean);
            cleanClasses.add(classOf(clean));
            System.out.printf("clean sender %s, class after each message: %s%n", clean, cleanClasses);
            assertThat(cleanClasses).as("the clean sender of the same /16").allSatisfy(level -> assertThat(level).isLessThanOrEqualTo(3));
        } finally {
            james.close();
        }
    }
}
