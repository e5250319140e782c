package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scripted mixed workload over real SMTP: bots (dictionary attack, spamtrap hits, early talk, addresses rotating
 * within one /24) and legitimate senders (occasional typos, one high-volume address standing for many users
 * behind NAT). Prints a confusion table and how many transactions each bot needed to reach class 7.
 */
class DetectionQualityIT {
    /** Short delays and no limits: this test measures judgement, not shaping. Unknown senders wait 500 ms for
     *  the greeting (a pregreet test, as postscreen's), which is what catches early talkers. */
    static final String CLASSES = "<preset>stage3</preset>\n"
        + classBlock(2, "500ms", "0") + classBlock(3, "500ms", "0")
        + classBlock(4, "100ms", "50ms") + classBlock(5, "100ms", "50ms") + classBlock(6, "150ms", "50ms")
        + classBlock(7, "200ms", "50ms") + classBlock(8, "200ms", "50ms");

    static String classBlock(int level, String greeting, String reply) {
        return "<class level=\"" + level + "\"><greetingDelay>" + greeting + "</greetingDelay><replyDelay>" + reply + "</replyDelay>"
            + "<commandReadRate>0</commandReadRate><dataReadRate>0</dataReadRate><maxConnectionsPerIp>0</maxConnectionsPerIp>"
            + "<maxConnectionsPerSubnet>0</maxConnectionsPerSubnet><connectionsPerMinutePerIp>0</connectionsPerMinutePerIp>"
            + "<maxRecipientsPerTransaction>0</maxRecipientsPerTransaction><maxMessagesPerConnection>0</maxMessagesPerConnection></class>\n";
    }

    @TempDir
    Path folder;
    JamesWithStore james;
    WebAdminClient webAdmin;

    interface Transaction {
        void run(String source, int index) throws Exception;
    }

    static final class Sender {
        final String name;
        final boolean bot;
        final List<Integer> classes = new ArrayList<>();
        int transactionsToClass7 = -1;

        Sender(String name, boolean bot) {
            this.name = name;
            this.bot = bot;
        }

        int finalClass() {
            return classes.get(classes.size() - 1);
        }

        int worstClass() {
            return classes.stream().mapToInt(Integer::intValue).max().orElse(-1);
        }
    }

    private int classOf(String address) {
        return webAdmin.get("/shaping/reputation/" + address).json().get("class").asInt();
    }

    private Sender run(String name, boolean bot, int transactions, Transaction transaction, java.util.function.IntFunction<String> source,
                       java.util.function.IntFunction<String> judged) throws Exception {
        Sender sender = new Sender(name, bot);
        for (int i = 0; i < transactions; i++) {
            transaction.run(source.apply(i), i);
            int level = classOf(judged.apply(i));
            sender.classes.add(level);
            if (level >= 7 && sender.transactionsToClass7 < 0) {
                sender.transactionsToClass7 = i + 1;
            }
        }
        return sender;
    }

    private void legitMessage(String source, String... recipients) throws Exception {
        try (SmtpClient client = SmtpClient.connect(source, james.smtpPort())) {
            assertThat(client.readReply().code).isEqualTo(220);
            client.command("EHLO mail.legit-" + source.replace('.', '-') + ".example.org");
            client.command("MAIL FROM:<news@legit.example.org>");
            boolean any = false;
            for (String recipient : recipients) {
                any |= client.command("RCPT TO:<" + recipient + ">").code == 250;
            }
            if (any) {
                assertThat(client.command("DATA").code).isEqualTo(354);
                client.send("Subject: hello\r\n\r\nRegular mail.\r\n.\r\n");
                assertThat(client.readReply().code).isEqualTo(250);
            }
            client.command("QUIT");
        }
    }

    private void dictionaryAttack(String source, int index) throws Exception {
        try (SmtpClient client = SmtpClient.connect(source, james.smtpPort())) {
            client.readReply();
            client.command("EHLO bot");
            client.command("MAIL FROM:<offers@spam.example.net>");
            for (int i = 0; i < 5; i++) {
                client.command("RCPT TO:<" + "guess" + index + "x" + i + "@james.local>");
            }
            client.command("QUIT");
        }
    }

    private void spamtrapRun(String source, int index) throws Exception {
        try (SmtpClient client = SmtpClient.connect(source, james.smtpPort())) {
            client.readReply();
            client.command("EHLO spam.example.net");
            client.command("MAIL FROM:<offers@spam.example.net>");
            client.command("RCPT TO:<trap@james.local>");
            client.command("RCPT TO:<user1@james.local>");
            if (client.command("DATA").code == 354) {
                client.send("Subject: cheap pills\r\n\r\nBuy now.\r\n.\r\n");
                client.readReply();
            }
            client.command("QUIT");
        }
    }

    private void earlyTalker(String source, int index) throws Exception {
        try (SmtpClient client = SmtpClient.connect(source, james.smtpPort())) {
            client.send("EHLO fast.example.net\r\nMAIL FROM:<offers@spam.example.net>\r\nRCPT TO:<user1@james.local>\r\nDATA\r\n");
            client.readReply();
            for (int i = 0; i < 4; i++) {
                client.readReply();
            }
            client.send("Subject: offer\r\n\r\nBuy now.\r\n.\r\nQUIT\r\n");
            client.readReply();
        }
    }

    /** A bot that pipelines blindly: EHLO and three transactions to guessed users in one write. */
    private void blindPipeliner(String source, int index) throws Exception {
        try (SmtpClient client = SmtpClient.connect(source, james.smtpPort())) {
            client.readReply();
            StringBuilder blind = new StringBuilder("EHLO blind.example.net\r\n");
            for (int t = 0; t < 3; t++) {
                blind.append("MAIL FROM:<offers@spam.example.net>\r\n");
                for (int i = 0; i < 3; i++) {
                    blind.append("RCPT TO:<blind").append(index).append('x').append(t).append('x').append(i).append("@james.local>\r\n");
                }
                blind.append("RSET\r\n");
            }
            client.send(blind.append("QUIT\r\n").toString());
            try {
                while (true) {
                    client.readReply();
                }
            } catch (java.io.IOException closed) {
                // Read to the end.
            }
        }
    }

    /** A bot that first names a valid recipient many times to look good, then guesses users. */
    private void launderThenGuess(String source, int index) throws Exception {
        try (SmtpClient client = SmtpClient.connect(source, james.smtpPort())) {
            client.readReply();
            client.command("EHLO launder.example.net");
            client.command("MAIL FROM:<offers@spam.example.net>");
            for (int i = 0; i < 20; i++) {
                client.command("RCPT TO:<user1@james.local>");
            }
            client.command("RSET");
            client.command("MAIL FROM:<offers@spam.example.net>");
            for (int i = 0; i < 3; i++) {
                client.command("RCPT TO:<launder" + index + "x" + i + "@james.local>");
            }
            client.command("QUIT");
        }
    }

    @Test
    void botsReachClassSevenWithinTenTransactionsAndNoLegitimateSenderGoesAboveClassThree() throws Exception {
        {
            james = JamesWithStore.start(folder, settings -> settings
                .replaceInFile("smtpserver.xml", JamesWithStore.COMMENTED_SPAMTRAP, JamesWithStore.SPAMTRAP)
                .replaceInFile("smtpserver.xml", "<preset>stage3</preset>", CLASSES));
            webAdmin = james.webAdmin();
            james.james().probe().provision("james.local", "user2@james.local", "secret");
            for (int user = 1; user <= 12; user++) {
                james.james().probe().provision("james.local", "member" + user + "@james.local", "secret");
            }
            try {
                List<Sender> senders = new ArrayList<>();
                senders.add(run("bot: dictionary attack", true, 10, this::dictionaryAttack, i -> "127.0.90.10", i -> "127.0.90.10"));
                senders.add(run("bot: spamtrap hits", true, 10, this::spamtrapRun, i -> "127.0.91.10", i -> "127.0.91.10"));
                senders.add(run("bot: early talker", true, 10, this::earlyTalker, i -> "127.0.92.10", i -> "127.0.92.10"));
                // Each transaction from a new address of the /24; judged: the next, never-seen address.
                senders.add(run("bot: rotating in a /24", true, 10, this::dictionaryAttack, i -> "127.0.93." + (10 + i),
                    i -> "127.0.93." + (11 + i)));

                senders.add(run("bot: blind pipeliner", true, 10, this::blindPipeliner, i -> "127.0.94.10", i -> "127.0.94.10"));
                senders.add(run("bot: launders, then guesses", true, 10, this::launderThenGuess, i -> "127.0.96.10", i -> "127.0.96.10"));
                // A legitimate MTA whose /24 neighbour runs a dictionary attack between each of its messages.
                senders.add(run("legit: next to a bot in its /24", false, 10, (source, i) -> {
                    dictionaryAttack("127.0.95.66", 100 + i);
                    legitMessage(source, "user1@james.local");
                }, i -> "127.0.95.10", i -> "127.0.95.10"));
                // A newsletter to twelve subscribers, one of whom has left each time, and two every third time.
                senders.add(run("legit: bulk list, some dead", false, 10, (source, i) -> {
                    List<String> list = new ArrayList<>();
                    for (int user = 1; user <= 12; user++) {
                        list.add("member" + user + "@james.local");
                    }
                    list.add("gone" + i + "@james.local");
                    if (i % 3 == 0) {
                        list.add("left" + i + "@james.local");
                    }
                    legitMessage(source, list.toArray(String[]::new));
                }, i -> "127.0.97.10", i -> "127.0.97.10"));
                senders.add(run("legit: newcomer, one message", false, 1, (source, i) -> legitMessage(source, "user2@james.local"),
                    i -> "127.0.98.10", i -> "127.0.98.10"));
                senders.add(run("legit: occasional typo", false, 20, (source, i) ->
                    legitMessage(source, i == 4 ? "usr1@james.local" : "user1@james.local"), i -> "127.0.100.10", i -> "127.0.100.10"));
                senders.add(run("legit: two recipients, two typos", false, 10, (source, i) ->
                    legitMessage(source, "user1@james.local", i == 2 || i == 7 ? "usre2@james.local" : "user2@james.local"),
                    i -> "127.0.101.10", i -> "127.0.101.10"));
                senders.add(run("legit: NAT, high volume", false, 60, (source, i) ->
                    legitMessage(source, i % 20 == 7 ? "uesr1@james.local" : (i % 2 == 0 ? "user1@james.local" : "user2@james.local")),
                    i -> "127.0.102.10", i -> "127.0.102.10"));
                senders.add(run("legit: first message has a typo", false, 1, (source, i) ->
                    legitMessage(source, "user1@james.local", "usr2@james.local"), i -> "127.0.103.10", i -> "127.0.103.10"));

                printReport(senders);
                for (Sender sender : senders) {
                    if (sender.bot) {
                        assertThat(sender.transactionsToClass7).as(sender.name).isBetween(1, 10);
                        assertThat(sender.finalClass()).as(sender.name).isGreaterThanOrEqualTo(7);
                    } else {
                        assertThat(sender.worstClass()).as(sender.name + " " + sender.classes).isLessThanOrEqualTo(3);
                    }
                }
            } finally {
                james.close();
            }
        }
    }

    private static void printReport(List<Sender> senders) {
        StringBuilder out = new StringBuilder("\nDetection quality: final class per sender against its true kind\n");
        out.append(String.format("%-8s", "kind"));
        for (int level = 0; level <= 9; level++) {
            out.append(String.format("%4d", level));
        }
        out.append('\n');
        Map<String, int[]> confusion = new LinkedHashMap<>();
        confusion.put("bot", new int[10]);
        confusion.put("legit", new int[10]);
        for (Sender sender : senders) {
            confusion.get(sender.bot ? "bot" : "legit")[sender.finalClass()]++;
        }
        confusion.forEach((kind, counts) -> {
            out.append(String.format("%-8s", kind));
            for (int count : counts) {
                out.append(String.format("%4d", count));
            }
            out.append('\n');
        });
        out.append("\nper sender (class after each transaction)\n");
        for (Sender sender : senders) {
            out.append(String.format("%-36s final %d, worst %d%s  %s%n", sender.name, sender.finalClass(), sender.worstClass(),
                sender.bot ? ", transactions to class 7: " + sender.transactionsToClass7 : "", sender.classes));
        }
        System.out.println(out);
    }
}
