package org.jamesshaping.bench.shaping;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Benchmark 2, overhead on clean mail: concurrent unshaped clients send one message per session, in a loop, to
 * several Jameses running at once, in interleaved rounds (A B C, then C B A, ...), and the report compares each
 * with plain James (B): throughput, session latency, James's CPU per message. Method, and why each step is there:
 * docs/benchmarks.md, "2. Overhead on clean mail"; flags: {@link OverheadOptions}; the load: {@link OverheadRound};
 * the tables: {@link OverheadReport}.
 *
 * <p>Variants: A = the extension's SMTP side (shaping handlers, signal recorder, Guice module, WebAdmin routes);
 * B = plain James; both without the content-filter mailets, which are measured on their own. C (unless
 * --no-filters-variant) = james-conf/ unchanged. D (--control) = a second plain James: its ratios to B are the
 * resolution of every other ratio. E (--module-only-variant) = the extension's module without its SMTP handlers.
 * N (--noop-handlers-variant) = the extension with handlers that do nothing ({@link NoopShaper},
 * {@link NoopSignalRecorder}). In all of them local delivery discards the mail (see {@link BenchConf#discardLocalDelivery}).</p>
 */
public final class OverheadBenchmark {
    /** Every James's heap, the same in all variants. */
    private static final String HEAP = "3g";

    private OverheadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (Arrays.asList(args).contains("--help")) {
            System.out.println(OverheadOptions.USAGE);
            return;
        }
        OverheadOptions options;
        try {
            options = OverheadOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("overhead: " + e.getMessage());
            System.err.println(OverheadOptions.USAGE);
            System.exit(2);
            return;
        }
        run(options);
    }

    private static void run(OverheadOptions options) throws Exception {
        System.out.println(options.title());
        System.out.println("machine: " + BenchSupport.machine());
        // Left to size its own heap, G1 sizes each JVM's young generation from its own start-up: identical Jameses
        // would then collect at different rates, noise that has nothing to do with what they run.
        System.out.println("James JVMs: " + (options.adaptiveHeap ? "-Xmx" + HEAP + " (heap sized by G1 in each JVM)"
            : "-Xms" + HEAP + " -Xmx" + HEAP + " (fixed heap)"));

        Path work = BenchSupport.workDir("overhead");
        Map<String, BenchConf> confs = variants(options, work);
        Map<String, JamesChild> servers = new LinkedHashMap<>();
        // As in production, MongoDB runs outside James's JVM (its CPU is not James's), unless --embedded-mongo.
        StandaloneMongo mongo = options.embeddedMongo ? null : StandaloneMongo.launch(work);
        System.out.println("  MongoDB: " + (mongo == null ? "embedded in the James JVMs of the extension variants"
            : "own process, pid " + mongo.pid() + ", " + mongo.uri));
        try {
            byte[] message = BenchSmtp.message("sender@example.org", "user1@james.local", options.messageBytes);
            Map<String, List<OverheadRound>> results = new LinkedHashMap<>();
            confs.keySet().forEach(name -> results.put(name, new ArrayList<>()));
            long mongoCpuBefore = mongo == null ? 0 : mongo.cpuTicks();
            if (options.sessionLog != null) {
                Files.writeString(options.sessionLog, OverheadRound.SESSION_LOG_HEADER, StandardCharsets.UTF_8);
            }
            // Two JVMs of the same server differ (JIT decisions, memory layout) by more than the ratios to resolve:
            // each fork runs every variant in new JVMs, and only ratios over several forks average that out.
            for (int fork = 1; fork <= options.forks; fork++) {
                if (options.forks > 1) {
                    System.out.printf(Locale.ROOT, "-- fork %d of %d: rounds %d to %d --%n", fork, options.forks,
                        (fork - 1) * options.rounds + 1, fork * options.rounds);
                }
                runFork(options, fork, work, confs, mongo, servers, message, results);
                if (fork < options.forks) {
                    for (JamesChild james : servers.values()) {
                        james.close();
                    }
                    servers.clear();
                }
            }
            OverheadReport report = new OverheadReport(results);
            report.print(System.out, options.paced(), options.rounds, options.forks);
            if (mongo != null) {
                System.out.printf(Locale.ROOT, "MongoDB (own process): %.1f us of CPU per message of the extension variants%n",
                    ProcCpu.microsPerMessage(mongo.cpuTicks() - mongoCpuBefore, report.extensionMessages()));
            }
            if (options.sideBySideRounds > 0 && !options.paced()) {
                sideBySide(servers, options.clients, options.sideBySideRounds, options.roundSeconds, message);
            }
            System.out.println(OverheadReport.footnote(options.paced()));
        } finally {
            for (JamesChild james : servers.values()) {
                james.close();
            }
            if (mongo != null) {
                mongo.close();
            }
        }
    }

    /** The configuration of each variant the options ask for, by the variant's name (its letter first). */
    private static Map<String, BenchConf> variants(OverheadOptions options, Path work) throws Exception {
        Map<String, BenchConf> confs = new LinkedHashMap<>();
        confs.put("A extension", BenchConf.copyOfSample(work.resolve("conf-extension")).withoutContentFilters().discardLocalDelivery());
        confs.put(OverheadReport.BASELINE, BenchConf.copyOfSample(work.resolve("conf-plain")).withoutExtension().discardLocalDelivery());
        if (options.filtersVariant) {
            confs.put("C extension+filters", BenchConf.copyOfSample(work.resolve("conf-full")).discardLocalDelivery());
        }
        if (options.control) {
            confs.put("D plain James (control)", BenchConf.copyOfSample(work.resolve("conf-control")).withoutExtension().discardLocalDelivery());
        }
        if (options.noopHandlers) {
            confs.put("N no-op handlers", BenchConf.copyOfSample(work.resolve("conf-noop")).withNoopShapingHandlers().discardLocalDelivery());
        }
        if (options.moduleOnly) {
            confs.put("E extension module only", BenchConf.copyOfSample(work.resolve("conf-module")).withoutShapingHandlers().discardLocalDelivery());
        }
        return confs;
    }

    /** One fork: every variant started in new JVMs, warmed up, settled, then this fork's measured rounds. */
    private static void runFork(OverheadOptions options, int fork, Path work, Map<String, BenchConf> confs, StandaloneMongo mongo,
                                Map<String, JamesChild> servers, byte[] message, Map<String, List<OverheadRound>> results) throws Exception {
        for (Map.Entry<String, BenchConf> entry : confs.entrySet()) {
            String id = entry.getKey().substring(0, 1);
            servers.put(entry.getKey(), JamesChild.start(id, work, entry.getValue(), HEAP, mongo == null ? null : mongo.uri, !options.adaptiveHeap));
        }
        for (Map.Entry<String, JamesChild> entry : servers.entrySet()) {
            System.out.println("  " + entry.getKey() + ": pid " + entry.getValue().pid() + ", conf " + confs.get(entry.getKey()).dir());
        }
        for (Map.Entry<String, JamesChild> entry : servers.entrySet()) {
            warmUp(entry.getKey(), entry.getValue(), options.clients, options.warmupSeconds, options.maxWarmupSeconds, message);
        }
        // One unmeasured round each, in the first round's order and at its rate: otherwise the variant warmed up first
        // would start its rounds after idling through the other warm-ups, while in the rounds none waits more than a round or two.
        for (Map.Entry<String, JamesChild> entry : servers.entrySet()) {
            OverheadRound settling = OverheadRound.run(entry.getValue(), options.clients, options.roundSeconds, message, options.rate);
            entry.getValue().awaitSpoolEmpty(120);
            Thread.sleep(1000);
            System.out.printf(Locale.ROOT, "  settling round %s: %d messages, %d errors (not counted)%n", entry.getKey(),
                settling.messages, settling.errors);
        }

        TextTable.Live table = OverheadReport.roundTable(System.out, servers.keySet());
        for (int r = (fork - 1) * options.rounds + 1; r <= fork * options.rounds; r++) {
            // A B C, then C B A: a machine that speeds up or slows down during the run favours no variant.
            List<Map.Entry<String, JamesChild>> order = new ArrayList<>(servers.entrySet());
            if (r % 2 == 0) {
                Collections.reverse(order);
            }
            for (Map.Entry<String, JamesChild> entry : order) {
                OverheadRound round = OverheadRound.measure(entry.getValue(), options.clients, options.roundSeconds, message, options.rate,
                    options.sessionLog, entry.getKey(), r);
                // A second of rest, so that what one variant leaves behind (GC, background flushes) stays out of the next round.
                Thread.sleep(1000);
                results.get(entry.getKey()).add(round);
                table.row(OverheadReport.roundRow(r, entry.getKey(), round));
            }
        }
        System.out.println();
    }

    /**
     * Every variant loaded at the same time, each by its own {@code clients} clients: they share the machine's
     * state, which drifts from one round to the next, so the ratio of their CPU per message is free of it (under
     * equal loads the scheduler shares the cores about evenly, so their throughputs say little). Unpaced runs only.
     */
    private static void sideBySide(Map<String, JamesChild> servers, int clients, int rounds, int roundSeconds, byte[] message)
            throws Exception {
        System.out.println();
        System.out.printf(Locale.ROOT, "Side by side: all variants loaded at once, %d clients each, %d rounds of %ds%n", clients, rounds, roundSeconds);
        Map<String, List<OverheadRound>> results = new LinkedHashMap<>();
        servers.keySet().forEach(name -> results.put(name, new ArrayList<>()));
        TextTable.Live table = OverheadReport.sideBySideTable(System.out, servers.keySet());
        for (int r = 1; r <= rounds; r++) {
            Map<String, Long> cpuBefore = new LinkedHashMap<>();
            for (Map.Entry<String, JamesChild> entry : servers.entrySet()) {
                cpuBefore.put(entry.getKey(), entry.getValue().cpuTicks());
            }
            Map<String, OverheadRound> rounded = new ConcurrentHashMap<>();
            List<Thread> drivers = new ArrayList<>();
            for (Map.Entry<String, JamesChild> entry : servers.entrySet()) {
                Thread driver = new Thread(() -> {
                    try {
                        rounded.put(entry.getKey(), OverheadRound.run(entry.getValue(), clients, roundSeconds, message, 0));
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
            List<String[]> rows = new ArrayList<>();
            for (Map.Entry<String, JamesChild> entry : servers.entrySet()) {
                entry.getValue().awaitSpoolEmpty(120);
                OverheadRound round = rounded.get(entry.getKey());
                if (round == null) {
                    throw new IllegalStateException("side-by-side round " + r + " of " + entry.getKey() + " did not complete");
                }
                round.cpuMicrosPerMessage = ProcCpu.microsPerMessage(entry.getValue().cpuTicks() - cpuBefore.get(entry.getKey()), round.messages);
                results.get(entry.getKey()).add(round);
                rows.add(OverheadReport.sideBySideRow(r, entry.getKey(), round));
            }
            rows.forEach(table::row);
            Thread.sleep(1000);
        }
        System.out.println();
        System.out.println(TextTable.format(new OverheadReport(results).roundPairs("msgs/s vs B, same rounds: median")));
    }

    /**
     * Unpaced load for {@code minSeconds}, then in slices of 10 s until the JIT compilers used less than 1% of the
     * JVM's CPU in the last slice (at most {@code maxSeconds} in all): rounds compare steady states, not one
     * variant's late compilation (code that runs about once a second, like the extension's store, is compiled late).
     */
    private static void warmUp(String name, JamesChild james, int clients, int minSeconds, int maxSeconds, byte[] message) throws Exception {
        OverheadRound first = OverheadRound.run(james, clients, minSeconds, message, 0);
        james.awaitSpoolEmpty(120);
        int seconds = minSeconds;
        double compilerShare = Double.NaN;
        long errors = first.errors;
        while (seconds + 10 <= maxSeconds) {
            long cpuBefore = james.cpuTicks();
            long compilerBefore = james.compilerTicks();
            OverheadRound slice = OverheadRound.run(james, clients, 10, message, 0);
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
}
