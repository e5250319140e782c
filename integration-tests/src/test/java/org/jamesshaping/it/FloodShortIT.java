package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flood benchmark's claim in a few seconds (the full run: benchmarks/bench/flood-benchmark.sh): the same small
 * flood against a James in dry run and one with shaping on, each with a fresh store, while legitimate senders send
 * at a steady pace. Shaped, the abusive senders get far fewer messages through once their reputation has built
 * up; legitimate senders lose nothing either way. Counts and big ratios only: the machine is shared and noisy.
 */
class FloodShortIT {
    private static final long FLOOD_MILLIS = 12_000;
    private static final int ABUSIVE_THREADS = 6;
    private static final int MESSAGES_PER_CONNECTION = 10;

    @TempDir
    Path folder;

    /** What one run measured. */
    private static final class Outcome {
        final AtomicInteger legitSent = new AtomicInteger();
        final AtomicInteger legitAccepted = new AtomicInteger();
        final ConcurrentLinkedQueue<String> legitFailures = new ConcurrentLinkedQueue<>();
        final AtomicInteger abusiveAccepted = new AtomicInteger();
        /** Abusive messages accepted in the second half of the flood, once reputation has had time to build up. */
        final AtomicInteger abusiveAcceptedLate = new AtomicInteger();
    }

    @Test
    void shapedAbusersGetThroughFarLessThanInDryRunWhileLegitimateSendersLoseNothing() throws Exception {
        Outcome dryRun = run(folder.resolve("dry-run"), true, "127.0.170.", "127.0.171.");
        Outcome shaped = run(folder.resolve("shaped"), false, "127.0.172.", "127.0.173.");

        String figures = String.format(Locale.ROOT, "legitimate accepted/sent: dry run %d/%d, shaped %d/%d; abusive accepted (second half): dry run %d (%d),"
            + " shaped %d (%d)", dryRun.legitAccepted.get(), dryRun.legitSent.get(), shaped.legitAccepted.get(), shaped.legitSent.get(),
            dryRun.abusiveAccepted.get(), dryRun.abusiveAcceptedLate.get(), shaped.abusiveAccepted.get(), shaped.abusiveAcceptedLate.get());
        System.out.println("FloodShortIT: " + figures);
        assertThat(dryRun.legitFailures).as(figures).isEmpty();
        assertThat(dryRun.legitAccepted.get()).as(figures).isEqualTo(dryRun.legitSent.get()).isGreaterThanOrEqualTo(10);
        assertThat(shaped.legitFailures).as(figures).isEmpty();
        assertThat(shaped.legitAccepted.get()).as(figures).isEqualTo(shaped.legitSent.get()).isGreaterThanOrEqualTo(10);
        // The flood ran: in dry run nothing holds it back.
        assertThat(dryRun.abusiveAcceptedLate.get()).as(figures).isGreaterThanOrEqualTo(20);
        // Shaped, at most a third of what the same flood got through in dry run (in practice a few percent).
        assertThat(shaped.abusiveAcceptedLate.get() * 3).as(figures).isLessThanOrEqualTo(dryRun.abusiveAcceptedLate.get());
        assertThat(shaped.abusiveAccepted.get()).as(figures).isLessThan(dryRun.abusiveAccepted.get());
    }

    private static Outcome run(Path folder, boolean dryRun, String legitNet, String abusiveNet) throws Exception {
        Outcome outcome = new Outcome();
        try (JamesWithStore james = JamesWithStore.start(folder, settings -> {
            if (dryRun) {
                settings.replaceInFile("smtpserver.xml", "<dryRun>false</dryRun>", "<dryRun>true</dryRun>");
            }
        })) {
            int port = james.smtpPort();
            long start = System.nanoTime();
            long end = start + TimeUnit.MILLISECONDS.toNanos(FLOOD_MILLIS);
            long half = start + TimeUnit.MILLISECONDS.toNanos(FLOOD_MILLIS / 2);
            Set<SmtpClient> open = ConcurrentHashMap.newKeySet();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < ABUSIVE_THREADS; i++) {
                String source = abusiveNet + (1 + i % 3);
                int thread = i;
                threads.add(new Thread(() -> flood(source, port, thread, end, half, open, outcome), "abusive-" + i));
            }
            for (int i = 0; i < 2; i++) {
                String source = legitNet + (1 + i);
                threads.add(new Thread(() -> legitimate(source, port, end, outcome), "legit-" + i));
            }
            threads.forEach(Thread::start);
            long wait = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
            Thread.sleep(Math.max(0, wait));
            // Tarpitted connections would wait for their reply up to the socket timeout: the flood ends now.
            for (SmtpClient client : open) {
                client.close();
            }
            for (Thread thread : threads) {
                thread.join(60_000);
            }
        }
        return outcome;
    }

    /** One legitimate message every 500 ms, one per connection, to a valid recipient; every one must be accepted. */
    private static void legitimate(String source, int port, long end, Outcome outcome) {
        long next = System.nanoTime();
        while (next < end) {
            long pause = TimeUnit.NANOSECONDS.toMillis(next - System.nanoTime());
            try {
                if (pause > 0) {
                    Thread.sleep(pause);
                }
                outcome.legitSent.incrementAndGet();
                SmtpClient.Reply reply = SmtpClient.sendMail(source, port, "news@legit.example.org", List.of(JamesWithStore.USER));
                if (reply.code == 250) {
                    outcome.legitAccepted.incrementAndGet();
                } else {
                    outcome.legitFailures.add(source + ": " + reply);
                }
            } catch (IOException e) {
                outcome.legitFailures.add(source + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            next += TimeUnit.MILLISECONDS.toNanos(500);
        }
    }

    /**
     * Spam as fast as the server answers: one valid recipient and four unknown ones a message, several messages
     * a connection, reconnecting whenever the server refuses or closes.
     */
    private static void flood(String source, int port, int thread, long end, long half, Set<SmtpClient> open, Outcome outcome) {
        int unknown = 0;
        while (System.nanoTime() < end) {
            SmtpClient client = null;
            try {
                client = SmtpClient.connect(source, port);
                open.add(client);
                if (System.nanoTime() >= end || client.readReply().code != 220 || client.command("EHLO bulk.spam.example").code != 250) {
                    pauseAfterRefusal();
                    continue;
                }
                for (int m = 0; m < MESSAGES_PER_CONNECTION && System.nanoTime() < end; m++) {
                    if (client.command("MAIL FROM:<offers@spam.example>").code != 250) {
                        break;
                    }
                    boolean any = client.command("RCPT TO:<" + JamesWithStore.USER + ">").code == 250;
                    for (int r = 0; r < 4; r++) {
                        any |= client.command("RCPT TO:<nobody" + thread + "x" + unknown++ + "@james.local>").code == 250;
                    }
                    if (!any || client.command("DATA").code != 354) {
                        break;
                    }
                    client.send("From: <offers@spam.example>\r\nSubject: Cheap offers, act now\r\n\r\n"
                        + "Buy now, limited offer, click here to claim your prize: http://spam.example/win\r\n.\r\n");
                    if (client.readReply().code == 250) {
                        outcome.abusiveAccepted.incrementAndGet();
                        if (System.nanoTime() >= half) {
                            outcome.abusiveAcceptedLate.incrementAndGet();
                        }
                    } else {
                        break;
                    }
                }
            } catch (IOException e) {
                pauseAfterRefusal();
            } finally {
                if (client != null) {
                    open.remove(client);
                    try {
                        client.close();
                    } catch (IOException e) {
                        // closing
                    }
                }
            }
        }
    }

    /** A refused connection is retried after a moment, so that the threads do not spin on the two cores. */
    private static void pauseAfterRefusal() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
