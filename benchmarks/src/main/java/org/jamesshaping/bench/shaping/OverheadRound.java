package org.jamesshaping.bench.shaping;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The overhead benchmark's load round against one James: {@code clients} threads sending one message per session
 * until the round ends, as fast as answered, or paced to {@code rate} sessions per second in all when it is positive,
 * and the timings of each session.
 */
final class OverheadRound {
    long messages;
    long errors;
    long elapsedNanos;
    long[] sessionNanos;
    /** For each session of {@link #sessionNanos}: its intended start, wall clock, µs since the epoch, and its client. */
    long[] startEpochMicros;
    int[] clientOf;
    long[] dataNanos;
    /** Per {@link #STEPS} entry, the time each session spent in it. */
    long[][] stepNanos;
    double cpuMicrosPerMessage;
    /** How long James took to empty its spool after the load, in ms. */
    long drainMillis;
    /** CPU clock ticks of each group of James's threads from the start of the round until its spool was empty. */
    final Map<String, Long> threadTicks = new LinkedHashMap<>();

    /** The thread table's row for the CPU of threads that ended during a round: the process's, less the live threads'. */
    static final String ENDED_THREADS = "threads that ended";

    /**
     * Where a session's time goes: its start behind the intended time (a paced client still busy with its
     * previous session), then each command to its reply.
     */
    static final String[] STEPS = {"late start", "connect to 220", "EHLO", "MAIL", "RCPT", "DATA to 354", "message to 250", "QUIT to 221"};

    static final String SESSION_LOG_HEADER = "variant\tround\tclient\tstart_epoch_us\tsession_us\t"
        + Arrays.stream(STEPS).map(step -> step.replace(' ', '_') + "_us").collect(Collectors.joining("\t")) + "\n";
    /** Wall-clock µs at {@code System.nanoTime() == 0}, to put session start times next to a JVM's log times. */
    private static final long EPOCH_MICROS_AT_NANO_TIME_ZERO = System.currentTimeMillis() * 1000 - System.nanoTime() / 1000;

    double throughput() {
        return messages / (elapsedNanos / 1e9);
    }

    void appendSessions(Path file, String variant, int roundNumber) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
            for (int i = 0; i < sessionNanos.length; i++) {
                out.write(variant + '\t' + roundNumber + '\t' + clientOf[i] + '\t' + startEpochMicros[i] + '\t' + sessionNanos[i] / 1000);
                for (long[] step : stepNanos) {
                    out.write("\t" + step[i] / 1000);
                }
                out.write('\n');
            }
        }
    }

    /**
     * A measured round: the clients' load, then James's CPU until its spool is empty (the asynchronous processing of
     * the round's messages is theirs too), in all and by group of threads. The process's readings lie outside the
     * threads' at both ends, so that the threads' window lies within it.
     */
    static OverheadRound measure(JamesChild james, int clients, int seconds, byte[] message, double rate, Path sessionLog,
                                 String variant, int roundNumber) throws Exception {
        long cpuBefore = james.cpuTicks();
        Map<Integer, ProcCpu.ThreadTicks> threadsBefore = james.threadTicks();
        OverheadRound round = run(james, clients, seconds, message, rate);
        if (sessionLog != null) {
            round.appendSessions(sessionLog, variant, roundNumber);
        }
        round.drainMillis = james.awaitSpoolEmpty(120);
        Map<Integer, ProcCpu.ThreadTicks> threadsAfter = james.threadTicks();
        long cpuTicks = james.cpuTicks() - cpuBefore;
        round.threadTicks.putAll(ProcCpu.groupDeltas(threadsBefore, threadsAfter));
        round.threadTicks.put(ENDED_THREADS, cpuTicks - round.threadTicks.values().stream().mapToLong(Long::longValue).sum());
        round.cpuMicrosPerMessage = ProcCpu.microsPerMessage(cpuTicks, round.messages);
        return round;
    }

    /** The clients' load alone: sessions and their timings, no CPU reading. */
    static OverheadRound run(JamesChild james, int clients, int seconds, byte[] message, double rate) throws InterruptedException {
        long start = System.nanoTime();
        // Each client starts a session every interval, the clients staggered evenly across it.
        long interval = rate > 0 ? (long) (clients * 1e9 / rate) : 0;
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        AtomicLong messages = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        Client[] load = new Client[clients];
        Thread[] threads = new Thread[clients];
        for (int t = 0; t < clients; t++) {
            load[t] = new Client(james, t, start + (interval * t) / clients, interval, end, message, messages, errors);
            threads[t] = new Thread(load[t], "client-" + t);
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(seconds + 120L));
        }
        OverheadRound round = new OverheadRound();
        round.elapsedNanos = System.nanoTime() - start;
        round.messages = messages.get();
        round.errors = errors.get();
        // A client whose thread did not end has no timings: the others' are taken one after the other, in client order.
        Timings[] done = Arrays.stream(load).map(client -> client.result).filter(Objects::nonNull).toArray(Timings[]::new);
        round.sessionNanos = flatten(done, timings -> timings.session);
        round.startEpochMicros = flatten(done, timings -> timings.start);
        round.dataNanos = flatten(done, timings -> timings.data);
        round.clientOf = new int[round.sessionNanos.length];
        for (int t = 0, at = 0; t < clients; t++) {
            int count = load[t].result == null ? 0 : load[t].result.count;
            Arrays.fill(round.clientOf, at, at + count, t);
            at += count;
        }
        round.stepNanos = new long[STEPS.length][];
        for (int step = 0; step < STEPS.length; step++) {
            int index = step;
            round.stepNanos[step] = flatten(done, timings -> timings.steps[index]);
        }
        return round;
    }

    private static long[] flatten(Timings[] done, Function<Timings, long[]> values) {
        return Arrays.stream(done).flatMapToLong(timings -> Arrays.stream(values.apply(timings), 0, timings.count)).toArray();
    }

    /** One client's sessions, in arrays that grow as it goes. */
    private static final class Timings {
        long[] session = new long[1024];
        long[] start = new long[1024];
        long[] data = new long[1024];
        final long[][] steps = new long[STEPS.length][1024];
        int count;

        /** {@code marks}: the intended start, then the time at which each step of {@link #STEPS} ended. */
        void add(long[] marks, long startEpochMicros, long dataNanos) {
            if (count == session.length) {
                session = Arrays.copyOf(session, count * 2);
                start = Arrays.copyOf(start, count * 2);
                data = Arrays.copyOf(data, count * 2);
                for (int step = 0; step < STEPS.length; step++) {
                    steps[step] = Arrays.copyOf(steps[step], count * 2);
                }
            }
            session[count] = marks[STEPS.length] - marks[0];
            start[count] = startEpochMicros;
            data[count] = dataNanos;
            for (int step = 0; step < STEPS.length; step++) {
                steps[step][count] = marks[step + 1] - marks[step];
            }
            count++;
        }
    }

    /** One client: a session after the other from its own loopback address until the round ends. */
    private static final class Client implements Runnable {
        private final JamesChild james;
        private final int index;
        private final String source;
        private final long firstStart;
        private final long interval;
        private final long end;
        private final byte[] message;
        private final AtomicLong messages;
        private final AtomicLong errors;
        /** Set when the client is done; read by the round once the client's thread has ended. */
        volatile Timings result;

        Client(JamesChild james, int index, long firstStart, long interval, long end, byte[] message, AtomicLong messages,
               AtomicLong errors) {
            this.james = james;
            this.index = index;
            this.source = "127.0.0." + (10 + index);
            this.firstStart = firstStart;
            this.interval = interval;
            this.end = end;
            this.message = message;
            this.messages = messages;
            this.errors = errors;
        }

        @Override
        public void run() {
            Timings timings = new Timings();
            long[] marks = new long[STEPS.length + 1];
            long intended = firstStart;
            while (System.nanoTime() < end) {
                long sessionStart;
                if (interval > 0) {
                    if (intended >= end) {
                        break;
                    }
                    waitUntil(intended);
                    sessionStart = intended;
                    intended += interval;
                } else {
                    sessionStart = System.nanoTime();
                }
                marks[0] = sessionStart;
                marks[1] = System.nanoTime();
                try (BenchSmtp client = new BenchSmtp(source, james.smtpPort, 30_000)) {
                    BenchSmtp.expect(220, client.reply(), client, "greeting");
                    marks[2] = System.nanoTime();
                    BenchSmtp.expect(250, client.command("EHLO client" + index + ".example.org"), client, "EHLO");
                    marks[3] = System.nanoTime();
                    BenchSmtp.expect(250, client.command("MAIL FROM:<sender@example.org>"), client, "MAIL");
                    marks[4] = System.nanoTime();
                    BenchSmtp.expect(250, client.command("RCPT TO:<user1@james.local>"), client, "RCPT");
                    marks[5] = System.nanoTime();
                    BenchSmtp.expect(354, client.command("DATA"), client, "DATA");
                    marks[6] = System.nanoTime();
                    client.send(message);
                    long dataSent = System.nanoTime();
                    BenchSmtp.expect(250, client.reply(), client, "end of DATA");
                    long accepted = System.nanoTime();
                    marks[7] = accepted;
                    messages.incrementAndGet();
                    BenchSmtp.expect(221, client.command("QUIT"), client, "QUIT");
                    marks[8] = System.nanoTime();
                    timings.add(marks, EPOCH_MICROS_AT_NANO_TIME_ZERO + sessionStart / 1000, accepted - dataSent);
                } catch (Exception e) {
                    if (errors.incrementAndGet() <= 5) {
                        System.out.println("    " + james.name + " " + source + ": " + e.getMessage());
                    }
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
            }
            result = timings;
        }
    }

    private static void waitUntil(long nanoTime) {
        long wait;
        while ((wait = nanoTime - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }
}
