package org.jamesshaping.bench.shaping;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Benchmark 2, overhead on clean mail: N concurrent clients (unpinned 127.0.0.x addresses: class 3 or better,
 * unshaped) each send EHLO, MAIL, RCPT user1@james.local, DATA of a few KB, QUIT, in a loop, to James with the
 * extension and to the same James without it, both running, in interleaved rounds (A B [C], then [C] B A, ...).
 * Reports throughput (accepted messages per second), session latency percentiles and James's CPU per message, and
 * their ratios: of the medians over all rounds, and the median (with quartiles) of the ratios of rounds run side by
 * side, which cancels what the machine does meanwhile; and the pooled session p99 ratio with the 5% to 95% range it
 * takes over resamplings of the rounds (a bootstrap), the spread that round-to-round noise alone gives it.
 *
 * <p>Each variant is warmed up, unpaced, for {@code --warmup-seconds} and then until its JIT compilers use under 1% of
 * its CPU (at most {@code --max-warmup-seconds}), and then all variants run one unmeasured round in the first
 * round's order, so that none starts its rounds after a long idle wait. MongoDB runs in a process of its own ({@link StandaloneMongo}), as
 * in production, unless {@code --embedded-mongo}; its CPU per message is reported apart. Unpaced runs end with
 * {@code --side-by-side-rounds} rounds (default 6) in which all variants are loaded at once, which compares their
 * CPU per message under the very same machine state.</p>
 *
 * <p>Variants: A = the extension's SMTP side (shaping handlers, signal recorder, Guice module, WebAdmin routes);
 * B = plain James (no james-shaping handler, James's default core handlers, no module); both with the content-filter
 * mailets removed from mailetcontainer.xml, since those need the extension's module and are measured on their own
 * (docs/benchmarks-filters.md). C (unless --no-filters-variant) = james-conf/ unchanged: extension + content filters.
 * D (with --control) = a second plain James, identical to B: its ratios to B show how far two identical servers
 * differ on this machine in the same run, the resolution of every other ratio. E (with --module-only-variant) = the
 * extension's module, store and WebAdmin routes without its SMTP handlers: what it costs before looking at a connection.
 * N (with --noop-handlers-variant) = the extension with its two SMTP handlers replaced by handlers of the same
 * interfaces that do nothing ({@link NoopShaper}, {@link NoopSignalRecorder}): what James spends on dispatching to
 * them, apart from their own work.
 * In all variants the local-delivery processor discards the mail (Null) instead of LocalDelivery: James memory's
 * delivery searches the whole mailbox (thread-id guessing), so a growing INBOX would make the asynchronous spool
 * work, which competes for the same two cores, grow round after round.</p>
 *
 * <p>With {@code --rate N} the clients are paced to N sessions per second in all (below saturation): each session
 * has an intended start time, and its latency runs from that time, not from when a late client got to it, so a
 * server that falls behind is charged for the wait (no coordinated omission). That gives the latency of each
 * variant at the same load, and CPU per message at the same load; without it the clients loop as fast as the
 * server answers, which measures throughput, and a p99 that is mostly the queueing of a saturated machine.</p>
 *
 * <p>Every James runs with a fixed heap ({@code -Xms3g -Xmx3g}) unless {@code --adaptive-heap}: left to size its own
 * heap, G1 gave identical Jameses young generations of 87 and 108 regions in the same run (their start-ups differ), that
 * is a quarter more young collections in one than in the other: noise between variants that had nothing to do
 * with what they run.</p>
 *
 * <p>With {@code --session-log FILE} every session of the measured interleaved rounds is written to FILE, one
 * tab-separated line each (variant, round, client, wall-clock start in µs since the epoch, session and step times in
 * µs): slow sessions can then be told apart by when they happened, one client's or all clients' at once, and put
 * next to a James's GC or JIT log ({@code JAMES_JVM_ARGS="-Xlog:gc,safepoint,jit+compilation=debug:file=...:timemillis"}).</p>
 *
 * <p>With {@code --forks N} the whole run (start, warm-up, settling round, rounds) is done N times, each time in new
 * JVMs, and a table gives each fork's per-pair ratios and their median over the forks: in one run two JVMs of the
 * same plain James differed by 10% in CPU per message (docs/benchmarks.md, session 9), so a single pair of JVMs
 * cannot resolve 5%. Side-by-side rounds run once, after the last fork.</p>
 *
 * <p>Run: {@code benchmarks/bench/shaping-benchmarks.sh overhead [--clients N] [--rounds N] [--round-seconds S] [--rate N] [--control] [--module-only-variant] [--noop-handlers-variant] [--adaptive-heap] [--session-log FILE] [--forks N]}</p>
 */
public final class OverheadBenchmark {
    /** Every James's heap, the same in all variants. */
    private static final String HEAP = "3g";
    /** The thread table's row for the CPU of threads that ended during a round: the process's, less the live threads'. */
    private static final String ENDED_THREADS = "threads that ended";

    private OverheadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int clients = 8;
        int rounds = 4;
        int roundSeconds = 15;
        int warmupSeconds = 10;
        int messageBytes = 4096;
        boolean filtersVariant = true;
        boolean control = false;
        boolean moduleOnly = false;
        boolean noopHandlers = false;
        boolean embeddedMongo = false;
        boolean adaptiveHeap = false;
        int maxWarmupSeconds = 240;
        int sideBySideRounds = 6;
        double rate = 0;
        Path sessionLog = null;
        int forks = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--clients": clients = Integer.parseInt(args[++i]); break;
                case "--rounds": rounds = Integer.parseInt(args[++i]); break;
                case "--round-seconds": roundSeconds = Integer.parseInt(args[++i]); break;
                case "--warmup-seconds": warmupSeconds = Integer.parseInt(args[++i]); break;
                case "--message-bytes": messageBytes = Integer.parseInt(args[++i]); break;
                case "--no-filters-variant": filtersVariant = false; break;
                case "--control": control = true; break;
                case "--module-only-variant": moduleOnly = true; break;
                case "--noop-handlers-variant": noopHandlers = true; break;
                case "--embedded-mongo": embeddedMongo = true; break;
                case "--adaptive-heap": adaptiveHeap = true; break;
                case "--max-warmup-seconds": maxWarmupSeconds = Integer.parseInt(args[++i]); break;
                case "--side-by-side-rounds": sideBySideRounds = Integer.parseInt(args[++i]); break;
                case "--rate": rate = Double.parseDouble(args[++i]); break;
                case "--session-log": sessionLog = Paths.get(args[++i]); break;
                case "--forks": forks = Integer.parseInt(args[++i]); break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (clients < 1 || clients > 200 || rounds < 1 || rounds > 50 || roundSeconds < 1 || roundSeconds > 300
            || warmupSeconds < 0 || warmupSeconds > 300 || maxWarmupSeconds < warmupSeconds || maxWarmupSeconds > 900 || sideBySideRounds < 0 || sideBySideRounds > 50 || messageBytes < 200 || messageBytes > 10_000_000 || rate < 0 || rate > 100_000 || forks < 1 || forks > 20) {
            throw new IllegalArgumentException("--clients 1..200, --rounds 1..50, --round-seconds 1..300, --warmup-seconds 0..300, "
                + "--max-warmup-seconds (--warmup-seconds)..900, --rate 0..100000, --forks 1..20");
        }
        System.out.printf(Locale.ROOT, "== Overhead: %d concurrent clients%s, %d-byte messages, %d rounds of %ds per variant, interleaved%s ==%n",
            clients, rate > 0 ? String.format(Locale.ROOT, " paced to %.0f sessions/s in all", rate) : " as fast as answered",
            messageBytes, rounds, roundSeconds, forks > 1 ? ", in each of " + forks + " forks (new JVMs)" : "");
        System.out.println("machine: " + BenchSupport.machine());
        System.out.println("James JVMs: " + (adaptiveHeap ? "-Xmx" + HEAP + " (heap sized by G1 in each JVM)"
            : "-Xms" + HEAP + " -Xmx" + HEAP + " (fixed heap)"));

        Path work = BenchSupport.workDir("overhead");
        Map<String, BenchSupport.Conf> confs = new LinkedHashMap<>();
        confs.put("A extension", BenchSupport.Conf.copyOfSample(work.resolve("conf-extension")).withoutContentFilters().discardLocalDelivery());
        confs.put("B plain James", BenchSupport.Conf.copyOfSample(work.resolve("conf-plain")).withoutExtension().discardLocalDelivery());
        if (filtersVariant) {
            confs.put("C extension+filters", BenchSupport.Conf.copyOfSample(work.resolve("conf-full")).discardLocalDelivery());
        }
        if (control) {
            // A second plain James, measured like the others: its ratios to B are what this machine's noise alone
            // gives, the yardstick for the extension's.
            confs.put("D plain James (control)", BenchSupport.Conf.copyOfSample(work.resolve("conf-control")).withoutExtension().discardLocalDelivery());
        }
        if (noopHandlers) {
            confs.put("N no-op handlers", BenchSupport.Conf.copyOfSample(work.resolve("conf-noop")).withNoopShapingHandlers().discardLocalDelivery());
        }
        if (moduleOnly) {
            confs.put("E extension module only", BenchSupport.Conf.copyOfSample(work.resolve("conf-module")).withoutShapingHandlers().discardLocalDelivery());
        }
        Map<String, BenchSupport.JamesChild> servers = new LinkedHashMap<>();
        // As in production, MongoDB runs outside James's JVM (its CPU is not James's), unless --embedded-mongo.
        StandaloneMongo mongo = embeddedMongo ? null : StandaloneMongo.launch(work);
        System.out.println("  MongoDB: " + (mongo == null ? "embedded in the James JVMs of the extension variants"
            : "own process, pid " + mongo.pid() + ", " + mongo.uri));
        try {
            byte[] message = BenchSmtp.message("sender@example.org", "user1@james.local", messageBytes);
            List<String[]> perRound = new ArrayList<>();
            perRound.add(new String[] {"round", "variant", "msgs", "msgs/s", "session p50", "session p99", "end of DATA to 250 p99",
                "James CPU per msg", "errors", "spool drain after"});
            Map<String, List<Round>> results = new LinkedHashMap<>();
            confs.keySet().forEach(name -> results.put(name, new ArrayList<>()));
            long mongoCpuBefore = mongo == null ? 0 : mongo.cpuTicks();
            if (sessionLog != null) {
                Files.writeString(sessionLog, Round.SESSION_LOG_HEADER, StandardCharsets.UTF_8);
            }
            // Each fork runs every variant in new JVMs: two JVMs of the same server differ (JIT decisions, memory
            // layout) by more than the 5% to be resolved, and only ratios taken over several of them average that out.
            for (int fork = 1; fork <= forks; fork++) {
                if (forks > 1) {
                    System.out.printf(Locale.ROOT, "-- fork %d of %d: rounds %d to %d --%n", fork, forks, (fork - 1) * rounds + 1, fork * rounds);
                }
                for (Map.Entry<String, BenchSupport.Conf> entry : confs.entrySet()) {
                    String id = entry.getKey().substring(0, 1);
                    servers.put(entry.getKey(), BenchSupport.JamesChild.start(id, work, entry.getValue(), HEAP, mongo == null ? null : mongo.uri, !adaptiveHeap));
                }
                for (Map.Entry<String, BenchSupport.JamesChild> entry : servers.entrySet()) {
                    System.out.println("  " + entry.getKey() + ": pid " + entry.getValue().pid() + ", conf " + confs.get(entry.getKey()).dir());
                }

                for (Map.Entry<String, BenchSupport.JamesChild> entry : servers.entrySet()) {
                    warmUp(entry.getKey(), entry.getValue(), clients, warmupSeconds, maxWarmupSeconds, message);
                }
                // One unmeasured round each, in the first round's order and at its rate: otherwise the variant warmed up
                // first has sat idle through the other warm-ups (90 s or more) when its first round starts, while in the
                // rounds no variant waits more than a round or two (in both paced runs of 2026-11-27 without this, the
                // extension's first round had a p99 of 7.7 and 6.7 ms, its rounds 2 to 9 2.4 to 5.0 ms).
                for (Map.Entry<String, BenchSupport.JamesChild> entry : servers.entrySet()) {
                    Round settling = Round.run(entry.getValue(), clients, roundSeconds, message, rate);
                    entry.getValue().awaitSpoolEmpty(120);
                    Thread.sleep(1000);
                    System.out.printf(Locale.ROOT, "  settling round %s: %d messages, %d errors (not counted)%n", entry.getKey(),
                        settling.messages, settling.errors);
                }

                for (int r = (fork - 1) * rounds + 1; r <= fork * rounds; r++) {
                    // A B C, then C B A: a machine that speeds up or slows down during the run favours no variant.
                    List<Map.Entry<String, BenchSupport.JamesChild>> order = new ArrayList<>(servers.entrySet());
                    if (r % 2 == 0) {
                        Collections.reverse(order);
                    }
                    for (Map.Entry<String, BenchSupport.JamesChild> entry : order) {
                        // The process's reading outside the threads' at both ends: the threads' window lies within it.
                        long cpuBefore = entry.getValue().cpuTicks();
                        Map<Integer, BenchSupport.ThreadTicks> threadsBefore = entry.getValue().threadTicks();
                        Round round = Round.run(entry.getValue(), clients, roundSeconds, message, rate);
                        if (sessionLog != null) {
                            round.appendSessions(sessionLog, entry.getKey(), r);
                        }
                        long drain = entry.getValue().awaitSpoolEmpty(120);
                        // Until the spool is empty: the asynchronous mail processing of the round's messages is theirs too.
                        Map<Integer, BenchSupport.ThreadTicks> threadsAfter = entry.getValue().threadTicks();
                        long cpuTicks = entry.getValue().cpuTicks() - cpuBefore;
                        round.threadTicks.putAll(BenchSupport.groupDeltas(threadsBefore, threadsAfter));
                        round.threadTicks.put(ENDED_THREADS, cpuTicks - round.threadTicks.values().stream().mapToLong(Long::longValue).sum());
                        round.cpuMicrosPerMessage = microsPerMessage(cpuTicks, round.messages);
                        // A second of rest, so that what one variant leaves behind (GC, background flushes) stays out of the next round.
                        Thread.sleep(1000);
                        results.get(entry.getKey()).add(round);
                        long[] sessions = BenchSupport.sorted(round.sessionNanos);
                        long[] data = BenchSupport.sorted(round.dataNanos);
                        String[] row = {String.valueOf(r), entry.getKey(), String.valueOf(round.messages),
                            String.format(Locale.ROOT, "%.1f", round.throughput()), BenchSupport.micros(BenchSupport.percentile(sessions, 50)),
                            BenchSupport.micros(BenchSupport.percentile(sessions, 99)), BenchSupport.micros(BenchSupport.percentile(data, 99)),
                            String.format(Locale.ROOT, "%.0f us", round.cpuMicrosPerMessage), String.valueOf(round.errors), drain + " ms"};
                        perRound.add(row);
                        System.out.println("  " + String.join("  ", row));
                    }
                }
                if (fork < forks) {
                    for (BenchSupport.JamesChild james : servers.values()) {
                        james.close();
                    }
                    servers.clear();
                }
            }
            System.out.println();
            System.out.println(BenchSupport.table(perRound));

            List<String[]> summary = new ArrayList<>();
            summary.add(new String[] {"variant", "msgs/s (median of rounds)", "vs B", "session p50", "session p99", "p99 vs B",
                "p99 (median of rounds)", "vs B", "CPU per msg (median)", "vs B", "end of DATA to 250 p99", "errors"});
            String baseline = "B plain James";
            double baseThroughput = medianThroughput(results.get(baseline));
            long baseP99 = BenchSupport.percentile(pooled(results.get(baseline), round -> round.sessionNanos), 99);
            double baseRoundP99 = medianRoundP99(results.get(baseline));
            double baseCpu = medianCpu(results.get(baseline));
            for (Map.Entry<String, List<Round>> entry : results.entrySet()) {
                double throughput = medianThroughput(entry.getValue());
                long[] sessions = pooled(entry.getValue(), round -> round.sessionNanos);
                long[] data = pooled(entry.getValue(), round -> round.dataNanos);
                long p99 = BenchSupport.percentile(sessions, 99);
                double roundP99 = medianRoundP99(entry.getValue());
                double cpu = medianCpu(entry.getValue());
                summary.add(new String[] {entry.getKey(), String.format(Locale.ROOT, "%.1f", throughput),
                    String.format(Locale.ROOT, "%.3f", throughput / baseThroughput), BenchSupport.micros(BenchSupport.percentile(sessions, 50)),
                    BenchSupport.micros(p99), String.format(Locale.ROOT, "%.3f", p99 / (double) baseP99),
                    BenchSupport.micros((long) roundP99), String.format(Locale.ROOT, "%.3f", roundP99 / baseRoundP99),
                    String.format(Locale.ROOT, "%.0f us", cpu), String.format(Locale.ROOT, "%.3f", cpu / baseCpu),
                    BenchSupport.micros(BenchSupport.percentile(data, 99)),
                    String.valueOf(entry.getValue().stream().mapToLong(round -> round.errors).sum())});
            }
            System.out.println(BenchSupport.table(summary));
            // Round r of each variant ran next to round r of B: their ratio cancels what the machine did meanwhile.
            List<String[]> paired = new ArrayList<>();
            paired.add(new String[] {"variant", "msgs/s vs B, per round pair: median", "quartiles", "CPU per msg vs B: median",
                "quartiles", "session p99 vs B: median", "quartiles"});
            for (Map.Entry<String, List<Round>> entry : results.entrySet()) {
                if (!entry.getKey().equals(baseline)) {
                    paired.add(ratiosOfRounds(entry.getKey(), entry.getValue(), results.get(baseline)));
                }
            }
            System.out.println(BenchSupport.table(paired));
            System.out.println(BenchSupport.table(pooledP99Intervals(results, baseline)));
            if (forks > 1) {
                System.out.println(BenchSupport.table(forkTable(results, baseline, rounds, forks)));
            }
            System.out.println(BenchSupport.table(stepTable(results)));
            if (rate > 0) {
                System.out.println(BenchSupport.table(spellTable(results)));
            }
            System.out.println(BenchSupport.table(threadTable(results)));
            if (mongo != null) {
                long extensionMessages = results.entrySet().stream().filter(entry -> !entry.getKey().equals(baseline))
                    .flatMap(entry -> entry.getValue().stream()).mapToLong(round -> round.messages).sum();
                System.out.printf(Locale.ROOT, "MongoDB (own process): %.1f us of CPU per message of the extension variants%n",
                    microsPerMessage(mongo.cpuTicks() - mongoCpuBefore, extensionMessages));
            }
            if (sideBySideRounds > 0 && rate == 0) {
                sideBySide(servers, baseline, clients, sideBySideRounds, roundSeconds, message);
            }
            System.out.println("(session: " + (rate > 0 ? "intended start" : "connect") + " to the 221 reply of QUIT, one message per session;"
                + " session percentiles exact, over all"
                + " rounds, and the median of each round's p99; CPU: James's user+system time from the start of a round until its spool"
                + " is empty, per message; vs B: ratio to plain James, throughput higher is better, p99 and CPU lower are better)");
        } finally {
            for (BenchSupport.JamesChild james : servers.values()) {
                james.close();
            }
            if (mongo != null) {
                mongo.close();
            }
        }
    }

    /**
     * Every variant loaded at the same time, each by its own {@code clients} clients: they share the machine's
     * state (its speed, which drifts here from one round to the next), so the ratio of their CPU per message is
     * free of it. Under equal loads the scheduler shares the cores about evenly, so the ratio of their
     * throughputs is about the inverse. Unpaced runs only.
     */
    private static void sideBySide(Map<String, BenchSupport.JamesChild> servers, String baseline, int clients, int rounds,
                                   int roundSeconds, byte[] message) throws Exception {
        System.out.println();
        System.out.printf(Locale.ROOT, "Side by side: all variants loaded at once, %d clients each, %d rounds of %ds%n", clients, rounds, roundSeconds);
        Map<String, List<Round>> results = new LinkedHashMap<>();
        servers.keySet().forEach(name -> results.put(name, new ArrayList<>()));
        for (int r = 1; r <= rounds; r++) {
            Map<String, Long> cpuBefore = new LinkedHashMap<>();
            for (Map.Entry<String, BenchSupport.JamesChild> entry : servers.entrySet()) {
                cpuBefore.put(entry.getKey(), entry.getValue().cpuTicks());
            }
            Map<String, Round> rounded = new java.util.concurrent.ConcurrentHashMap<>();
            List<Thread> drivers = new ArrayList<>();
            for (Map.Entry<String, BenchSupport.JamesChild> entry : servers.entrySet()) {
                Thread driver = new Thread(() -> {
                    try {
                        rounded.put(entry.getKey(), Round.run(entry.getValue(), clients, roundSeconds, message, 0));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                driver.start();
                drivers.add(driver);
            }
            for (Thread driver : drivers) {
                driver.join();
            }
            StringBuilder line = new StringBuilder("  " + r);
            for (Map.Entry<String, BenchSupport.JamesChild> entry : servers.entrySet()) {
                entry.getValue().awaitSpoolEmpty(120);
                Round round = rounded.get(entry.getKey());
                if (round == null) {
                    throw new IllegalStateException("side-by-side round " + r + " of " + entry.getKey() + " did not complete");
                }
                round.cpuMicrosPerMessage = microsPerMessage(entry.getValue().cpuTicks() - cpuBefore.get(entry.getKey()), round.messages);
                results.get(entry.getKey()).add(round);
                line.append(String.format(Locale.ROOT, "  %s %.1f msgs/s %.0f us/msg p99 %s, %d errors", entry.getKey(), round.throughput(),
                    round.cpuMicrosPerMessage, BenchSupport.micros(BenchSupport.percentile(BenchSupport.sorted(round.sessionNanos), 99)), round.errors));
            }
            System.out.println(line);
            Thread.sleep(1000);
        }
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"variant", "msgs/s vs B, same rounds: median", "quartiles", "CPU per msg vs B: median", "quartiles",
            "session p99 vs B: median", "quartiles"});
        for (Map.Entry<String, List<Round>> entry : results.entrySet()) {
            if (!entry.getKey().equals(baseline)) {
                table.add(ratiosOfRounds(entry.getKey(), entry.getValue(), results.get(baseline)));
            }
        }
        System.out.println(BenchSupport.table(table));
    }

    /**
     * Unpaced load for {@code minSeconds}, then in slices of 10 s until the JIT compilers used less than 1% of the
     * JVM's CPU in the last slice (at most {@code maxSeconds} in all): rounds compare steady states, not one
     * variant's late compilation (the extension's store code runs about once a second, so the JIT reaches it late).
     */
    private static void warmUp(String name, BenchSupport.JamesChild james, int clients, int minSeconds, int maxSeconds,
                               byte[] message) throws Exception {
        Round first = Round.run(james, clients, minSeconds, message, 0);
        james.awaitSpoolEmpty(120);
        int seconds = minSeconds;
        double compilerShare = Double.NaN;
        long errors = first.errors;
        while (seconds + 10 <= maxSeconds) {
            long cpuBefore = james.cpuTicks();
            long compilerBefore = james.compilerTicks();
            Round slice = Round.run(james, clients, 10, message, 0);
            james.awaitSpoolEmpty(120);
            seconds += 10;
            errors += slice.errors;
            compilerShare = (james.compilerTicks() - compilerBefore) / (double) Math.max(1, james.cpuTicks() - cpuBefore);
            if (compilerShare < 0.01) {
                break;
            }
        }
        // No 10 s slice when --max-warmup-seconds leaves no room for one: the compilers' share was not measured.
        String compilers = Double.isNaN(compilerShare) ? "JIT compilers not measured (no 10 s slice after the minimum)"
            : String.format(Locale.ROOT, "JIT compilers %.1f%% of the CPU in the last 10 s", compilerShare * 100);
        System.out.printf(Locale.ROOT, "  warm-up %s: %d s, %s, %d errors%n", name, seconds, compilers, errors);
    }

    /** p50 and p99 of each step of the session, pooled over all rounds, per variant: where a longer tail comes from. */
    private static List<String[]> stepTable(Map<String, List<Round>> results) {
        List<String> header = new ArrayList<>(List.of("step: p50 / p99"));
        header.addAll(results.keySet());
        List<String[]> table = new ArrayList<>();
        table.add(header.toArray(new String[0]));
        for (int step = 0; step < Round.STEPS.length; step++) {
            List<String> row = new ArrayList<>(List.of(Round.STEPS[step]));
            for (List<Round> rounds : results.values()) {
                int index = step;
                long[] times = pooled(rounds, round -> round.stepNanos[index]);
                row.add(BenchSupport.micros(BenchSupport.percentile(times, 50)) + " / " + BenchSupport.micros(BenchSupport.percentile(times, 99)));
            }
            table.add(row.toArray(new String[0]));
        }
        return table;
    }

    /**
     * Where each variant's CPU per message goes, by group of threads, over all its rounds: the busiest groups
     * (SMTP IO threads, mail spooler, GC, JIT compilers, the extension's store thread, ...), the rest together, and
     * the threads that ended during a round (James's spooler threads come and go), so that the rows add up to the
     * process's CPU.
     */
    private static List<String[]> threadTable(Map<String, List<Round>> results) {
        Map<String, Map<String, Double>> perVariant = new LinkedHashMap<>();
        Map<String, Double> busiest = new LinkedHashMap<>();
        results.forEach((variant, rounds) -> {
            long messages = rounds.stream().mapToLong(round -> round.messages).sum();
            Map<String, Long> ticks = new LinkedHashMap<>();
            rounds.forEach(round -> round.threadTicks.forEach((group, value) -> ticks.merge(group, value, Long::sum)));
            Map<String, Double> micros = new LinkedHashMap<>();
            ticks.forEach((group, value) -> micros.put(group, microsPerMessage(value, messages)));
            perVariant.put(variant, micros);
            micros.forEach((group, value) -> busiest.merge(group, value, Math::max));
        });
        List<String> groups = busiest.entrySet().stream().filter(entry -> entry.getValue() >= 0.1 && !entry.getKey().equals(ENDED_THREADS))
            .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(12)
            .map(Map.Entry::getKey).collect(Collectors.toList());
        List<String> header = new ArrayList<>(List.of("CPU per msg by threads"));
        header.addAll(results.keySet());
        List<String[]> table = new ArrayList<>();
        table.add(header.toArray(new String[0]));
        List<String> rows = new ArrayList<>(groups);
        rows.add("other threads");
        rows.add(ENDED_THREADS);
        rows.add("all threads");
        for (String group : rows) {
            List<String> row = new ArrayList<>(List.of(group));
            for (Map<String, Double> micros : perVariant.values()) {
                double value;
                if (group.equals("all threads")) {
                    value = micros.values().stream().mapToDouble(Double::doubleValue).sum();
                } else if (group.equals("other threads")) {
                    value = micros.entrySet().stream().filter(entry -> !groups.contains(entry.getKey()) && !entry.getKey().equals(ENDED_THREADS))
                        .mapToDouble(Map.Entry::getValue).sum();
                } else {
                    value = micros.getOrDefault(group, 0.0);
                }
                row.add(String.format(Locale.ROOT, "%.1f us", value));
            }
            table.add(row.toArray(new String[0]));
        }
        return table;
    }

    /** Throughput, CPU per message and p99 of each round over those of the baseline's round r: medians and quartiles. */
    private static String[] ratiosOfRounds(String name, List<Round> own, List<Round> base) {
        double[][] ratios = pairRatios(own, base);
        return new String[] {name, ratio(quantile(ratios[0], 0.5)), quartiles(ratios[0]),
            ratio(quantile(ratios[1], 0.5)), quartiles(ratios[1]), ratio(quantile(ratios[2], 0.5)), quartiles(ratios[2])};
    }

    /** Per round pair: throughput, CPU per message and session p99 of {@code own} over {@code base}, in that order. */
    private static double[][] pairRatios(List<Round> own, List<Round> base) {
        double[][] ratios = new double[3][own.size()];
        for (int i = 0; i < own.size(); i++) {
            ratios[0][i] = own.get(i).throughput() / base.get(i).throughput();
            ratios[1][i] = own.get(i).cpuMicrosPerMessage / base.get(i).cpuMicrosPerMessage;
            ratios[2][i] = BenchSupport.percentile(BenchSupport.sorted(own.get(i).sessionNanos), 99)
                / (double) BenchSupport.percentile(BenchSupport.sorted(base.get(i).sessionNanos), 99);
        }
        return ratios;
    }

    /**
     * Each fork's per-pair medians (as in the per-pair table, over that fork's rounds only), and their median over
     * the forks: a fork's ratio carries the luck of its two JVMs, the median over forks much less of it.
     */
    private static List<String[]> forkTable(Map<String, List<Round>> results, String baseline, int roundsPerFork, int forks) {
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"variant", "fork", "msgs/s vs B, per round pair", "CPU per msg vs B", "session p99 vs B"});
        for (Map.Entry<String, List<Round>> entry : results.entrySet()) {
            if (entry.getKey().equals(baseline)) {
                continue;
            }
            double[][] perFork = new double[3][forks];
            for (int fork = 0; fork < forks; fork++) {
                int from = fork * roundsPerFork;
                int to = from + roundsPerFork;
                double[][] ratios = pairRatios(entry.getValue().subList(from, to), results.get(baseline).subList(from, to));
                for (int kind = 0; kind < 3; kind++) {
                    perFork[kind][fork] = quantile(ratios[kind], 0.5);
                }
                table.add(new String[] {entry.getKey(), String.valueOf(fork + 1), ratio(perFork[0][fork]), ratio(perFork[1][fork]),
                    ratio(perFork[2][fork])});
            }
            table.add(new String[] {entry.getKey(), "median of forks", medianAndQuartiles(perFork[0]), medianAndQuartiles(perFork[1]),
                medianAndQuartiles(perFork[2])});
        }
        return table;
    }

    /** Resamples of the rounds behind each pooled p99 interval. */
    private static final int RESAMPLES = 1000;

    /**
     * The pooled session p99 of each variant over B's, with the range it takes when the rounds are resampled: how
     * much of a ratio the round-to-round noise of this machine can make on its own. The control's range is the
     * one to read the others against.
     */
    private static List<String[]> pooledP99Intervals(Map<String, List<Round>> results, String baseline) {
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"variant", "session p99 vs B, pooled", "5% .. 95% over " + RESAMPLES + " resamplings of the rounds"});
        long[][] base = sortedSessions(results.get(baseline));
        for (Map.Entry<String, List<Round>> entry : results.entrySet()) {
            if (!entry.getKey().equals(baseline)) {
                long[][] own = sortedSessions(entry.getValue());
                double[] interval = pooledP99RatioInterval(own, base, RESAMPLES, new Random(42));
                double pooled = pooledPercentile(own, allRounds(own.length), 99) / (double) pooledPercentile(base, allRounds(base.length), 99);
                table.add(new String[] {entry.getKey(), ratio(pooled), ratio(interval[0]) + " .. " + ratio(interval[1])});
            }
        }
        return table;
    }

    private static long[][] sortedSessions(List<Round> rounds) {
        return rounds.stream().map(round -> BenchSupport.sorted(round.sessionNanos)).toArray(long[][]::new);
    }

    private static int[] allRounds(int count) {
        int[] all = new int[count];
        Arrays.setAll(all, i -> i);
        return all;
    }

    /**
     * The 5th and 95th percentiles of the pooled p99 ratio of {@code own} over {@code base} when the rounds are drawn
     * with replacement (a bootstrap over rounds). Round r of both is drawn together: they ran next to each other, so
     * what the machine did meanwhile stays paired.
     */
    static double[] pooledP99RatioInterval(long[][] own, long[][] base, int resamples, Random random) {
        int rounds = Math.min(own.length, base.length);
        double[] ratios = new double[resamples];
        int[] picks = new int[rounds];
        for (int i = 0; i < resamples; i++) {
            for (int j = 0; j < rounds; j++) {
                picks[j] = random.nextInt(rounds);
            }
            ratios[i] = pooledPercentile(own, picks, 99) / (double) pooledPercentile(base, picks, 99);
        }
        return new double[] {quantile(ratios, 0.05), quantile(ratios, 0.95)};
    }

    /**
     * {@link BenchSupport#percentile} of the rounds {@code picks} names (a round may be named more than once) put
     * together, without putting them together: a binary search for the smallest time that enough sessions do not
     * exceed, counting in each sorted round.
     */
    static long pooledPercentile(long[][] sortedRounds, int[] picks, double p) {
        long total = 0;
        long low = Long.MAX_VALUE;
        long high = Long.MIN_VALUE;
        for (int pick : picks) {
            long[] round = sortedRounds[pick];
            total += round.length;
            if (round.length > 0) {
                low = Math.min(low, round[0]);
                high = Math.max(high, round[round.length - 1]);
            }
        }
        if (total == 0) {
            return -1;
        }
        long rank = Math.min(total, Math.max(1, (long) Math.ceil(p / 100.0 * total)));
        while (low < high) {
            long middle = low + (high - low) / 2;
            long atMost = 0;
            for (int pick : picks) {
                atMost += countAtMost(sortedRounds[pick], middle);
            }
            if (atMost >= rank) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        return low;
    }

    private static int countAtMost(long[] sorted, long value) {
        int low = 0;
        int high = sorted.length;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (sorted[middle] <= value) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }

    private static String ratio(double value) {
        return String.format(Locale.ROOT, "%.3f", value);
    }

    private static String medianAndQuartiles(double[] values) {
        return ratio(quantile(values, 0.5)) + " (" + quartiles(values) + ")";
    }

    private static String quartiles(double[] values) {
        return ratio(quantile(values, 0.25)) + " .. " + ratio(quantile(values, 0.75));
    }

    /** Linear interpolation between the closest ranks. */
    static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double position = q * (sorted.length - 1);
        int lower = (int) Math.floor(position);
        int upper = (int) Math.ceil(position);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
    }

    /** USER_HZ: the unit of /proc/PID/stat times, 100 on every Linux architecture this runs on. */
    private static final double CLOCK_TICKS_PER_SECOND = 100;

    /** CPU clock ticks spent over {@code messages}, in microseconds per message. */
    private static double microsPerMessage(long ticks, long messages) {
        return ticks * 1e6 / CLOCK_TICKS_PER_SECOND / messages;
    }

    private static double medianRoundP99(List<Round> rounds) {
        return BenchSupport.median(rounds.stream()
            .mapToDouble(round -> BenchSupport.percentile(BenchSupport.sorted(round.sessionNanos), 99)).toArray());
    }

    private static double medianCpu(List<Round> rounds) {
        return BenchSupport.median(rounds.stream().mapToDouble(round -> round.cpuMicrosPerMessage).toArray());
    }

    /** A window of a round whose median session took over this many times the variant's median is a slow spell. */
    static final double SPELL_FACTOR = 1.5;
    static final long SPELL_WINDOW_MICROS = 100_000;

    /**
     * Paced runs only: how much of each variant's tail comes from slow spells, stretches of about a second in which
     * one James's sessions all take longer (a JVM picking up after idling through the other variants' rounds,
     * compiling, or losing a core), as seen in the session logs of session 11. Counted in 100-ms windows of each
     * round: those whose median session took over 1.5 times the variant's median, and the share of the variant's
     * sessions beyond its own p99 that started in one. A p99 ratio with most of its tail in a few spells says which
     * James had them, not what each costs per session.
     */
    private static List<String[]> spellTable(Map<String, List<Round>> results) {
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"variant", "100-ms windows", "slow spells (median > 1.5 x the variant's)", "of them in a round's first second",
            "sessions beyond the variant's p99 in a spell"});
        results.forEach((variant, rounds) -> {
            long[] all = pooled(rounds, round -> round.sessionNanos);
            long median = BenchSupport.percentile(all, 50);
            long p99 = BenchSupport.percentile(all, 99);
            Spells spells = new Spells();
            rounds.forEach(round -> spells.add(round.startEpochMicros, round.sessionNanos, median, p99));
            table.add(new String[] {variant, String.valueOf(spells.windows), String.valueOf(spells.slow), String.valueOf(spells.slowEarly),
                String.format(Locale.ROOT, "%d of %d", spells.tailInSlow, spells.tail)});
        });
        return table;
    }

    /** Slow spells of one variant, round by round: see {@link #spellTable}. */
    static final class Spells {
        int windows;
        int slow;
        int slowEarly;
        long tail;
        long tailInSlow;

        /** One round's sessions (intended start, µs since the epoch; session time, ns) against the variant's median and p99. */
        void add(long[] startEpochMicros, long[] sessionNanos, long medianNanos, long p99Nanos) {
            if (startEpochMicros.length == 0) {
                return;
            }
            long first = Arrays.stream(startEpochMicros).min().getAsLong();
            Map<Long, List<Long>> byWindow = new TreeMap<>();
            for (int i = 0; i < startEpochMicros.length; i++) {
                byWindow.computeIfAbsent((startEpochMicros[i] - first) / SPELL_WINDOW_MICROS, k -> new ArrayList<>()).add(sessionNanos[i]);
            }
            Set<Long> slowWindows = new HashSet<>();
            byWindow.forEach((window, times) -> {
                windows++;
                long[] sorted = BenchSupport.sorted(times.stream().mapToLong(Long::longValue).toArray());
                if (BenchSupport.percentile(sorted, 50) > SPELL_FACTOR * medianNanos) {
                    slow++;
                    slowWindows.add(window);
                    if (window * SPELL_WINDOW_MICROS < 1_000_000) {
                        slowEarly++;
                    }
                }
            });
            for (int i = 0; i < startEpochMicros.length; i++) {
                if (sessionNanos[i] > p99Nanos) {
                    tail++;
                    if (slowWindows.contains((startEpochMicros[i] - first) / SPELL_WINDOW_MICROS)) {
                        tailInSlow++;
                    }
                }
            }
        }
    }

    private static double medianThroughput(List<Round> rounds) {
        return BenchSupport.median(rounds.stream().mapToDouble(Round::throughput).toArray());
    }

    /** The times {@code times} picks from each round, all rounds together, sorted. */
    private static long[] pooled(List<Round> rounds, Function<Round, long[]> times) {
        return BenchSupport.sorted(rounds.stream().flatMapToLong(round -> Arrays.stream(times.apply(round))).toArray());
    }

    /**
     * One round against one James: {@code clients} threads sending one message per session until the round ends,
     * as fast as answered, or paced to {@code rate} sessions per second in all when it is positive.
     */
    static final class Round {
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
        /** CPU clock ticks of each group of James's threads from the start of the round until its spool was empty. */
        final Map<String, Long> threadTicks = new LinkedHashMap<>();

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

        static Round run(BenchSupport.JamesChild james, int clients, int seconds, byte[] message, double rate) throws InterruptedException {
            long start = System.nanoTime();
            // Each client starts a session every interval, the clients staggered evenly across it.
            long interval = rate > 0 ? (long) (clients * 1e9 / rate) : 0;
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            AtomicLong messages = new AtomicLong();
            AtomicLong errors = new AtomicLong();
            long[][] sessions = new long[clients][];
            long[][] starts = new long[clients][];
            long[][] data = new long[clients][];
            long[][][] steps = new long[STEPS.length][clients][];
            Thread[] threads = new Thread[clients];
            for (int t = 0; t < clients; t++) {
                int index = t;
                String source = "127.0.0." + (10 + index);
                threads[t] = new Thread(() -> {
                    long[] sessionTimes = new long[1024];
                    long[] startTimes = new long[1024];
                    long[] dataTimes = new long[1024];
                    long[][] stepTimes = new long[STEPS.length][1024];
                    long[] marks = new long[STEPS.length + 1];
                    int count = 0;
                    long intended = start + (interval * index) / clients;
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
                            if (count == sessionTimes.length) {
                                sessionTimes = Arrays.copyOf(sessionTimes, count * 2);
                                startTimes = Arrays.copyOf(startTimes, count * 2);
                                dataTimes = Arrays.copyOf(dataTimes, count * 2);
                                for (int step = 0; step < STEPS.length; step++) {
                                    stepTimes[step] = Arrays.copyOf(stepTimes[step], count * 2);
                                }
                            }
                            sessionTimes[count] = marks[8] - sessionStart;
                            startTimes[count] = EPOCH_MICROS_AT_NANO_TIME_ZERO + sessionStart / 1000;
                            dataTimes[count] = accepted - dataSent;
                            for (int step = 0; step < STEPS.length; step++) {
                                stepTimes[step][count] = marks[step + 1] - marks[step];
                            }
                            count++;
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
                    sessions[index] = Arrays.copyOf(sessionTimes, count);
                    starts[index] = Arrays.copyOf(startTimes, count);
                    data[index] = Arrays.copyOf(dataTimes, count);
                    for (int step = 0; step < STEPS.length; step++) {
                        steps[step][index] = Arrays.copyOf(stepTimes[step], count);
                    }
                }, "client-" + t);
                threads[t].start();
            }
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(seconds + 120L));
            }
            Round round = new Round();
            round.elapsedNanos = System.nanoTime() - start;
            round.messages = messages.get();
            round.errors = errors.get();
            round.sessionNanos = flatten(sessions);
            round.startEpochMicros = flatten(starts);
            round.clientOf = new int[round.sessionNanos.length];
            for (int t = 0, at = 0; t < clients; t++) {
                int count = sessions[t] == null ? 0 : sessions[t].length;
                Arrays.fill(round.clientOf, at, at + count, t);
                at += count;
            }
            round.dataNanos = flatten(data);
            round.stepNanos = new long[STEPS.length][];
            for (int step = 0; step < STEPS.length; step++) {
                round.stepNanos[step] = flatten(steps[step]);
            }
            return round;
        }

        /** The clients' values one after the other, in client order (a client whose thread did not end has none). */
        private static long[] flatten(long[][] perClient) {
            return Arrays.stream(perClient).filter(java.util.Objects::nonNull).flatMapToLong(Arrays::stream).toArray();
        }

        private static void waitUntil(long nanoTime) {
            long wait;
            while ((wait = nanoTime - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
        }
    }
}
