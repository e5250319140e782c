package org.jamesshaping.bench.shaping;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

import org.jamesshaping.bench.Stats;

/**
 * The overhead benchmark's tables: one row per round as it ends, then over all rounds of each variant its figures
 * and their ratios to plain James (B), per round pair, pooled with a resampled range, per fork, by session step,
 * by slow spell and by group of threads.
 */
final class OverheadReport {
    /** The variant every ratio is taken to. */
    static final String BASELINE = "B plain James";
    /** Resamples of the rounds behind each pooled p99 interval. */
    private static final int RESAMPLES = 1000;

    private final Map<String, List<OverheadRound>> results;

    /** {@code results}: each variant's rounds, round r of every variant run next to the others' round r. */
    OverheadReport(Map<String, List<OverheadRound>> results) {
        this.results = results;
    }

    // ------------------------------------------------------------------ printed as the rounds run

    /** The per-round table, its columns sized for {@code variants}' names. */
    static TextTable.Live roundTable(PrintStream out, Collection<String> variants) {
        return new TextTable.Live(out,
            new String[] {"round", "variant", "msgs", "msgs/s", "session p50", "session p99", "end of DATA to 250 p99",
                "James CPU per msg", "errors", "spool drain after"},
            new String[] {"10", longest(variants), "100000", "10000.0", "1000.00 ms", "1000.00 ms", "1000.00 ms", "10000 us", "1000", "10000 ms"});
    }

    static String[] roundRow(int roundNumber, String variant, OverheadRound round) {
        long[] sessions = Stats.sorted(round.sessionNanos);
        long[] data = Stats.sorted(round.dataNanos);
        return new String[] {String.valueOf(roundNumber), variant, String.valueOf(round.messages),
            String.format(Locale.ROOT, "%.1f", round.throughput()), BenchSupport.millis(Stats.percentile(sessions, 50)),
            BenchSupport.millis(Stats.percentile(sessions, 99)), BenchSupport.millis(Stats.percentile(data, 99)),
            cpu(round.cpuMicrosPerMessage), String.valueOf(round.errors), round.drainMillis + " ms"};
    }

    /** The side-by-side rounds' table: every variant loaded at once, a row per variant and round. */
    static TextTable.Live sideBySideTable(PrintStream out, Collection<String> variants) {
        return new TextTable.Live(out, new String[] {"round", "variant", "msgs/s", "James CPU per msg", "session p99", "errors"},
            new String[] {"10", longest(variants), "10000.0", "10000 us", "1000.00 ms", "1000"});
    }

    static String[] sideBySideRow(int roundNumber, String variant, OverheadRound round) {
        return new String[] {String.valueOf(roundNumber), variant, String.format(Locale.ROOT, "%.1f", round.throughput()),
            cpu(round.cpuMicrosPerMessage), BenchSupport.millis(p99(round)), String.valueOf(round.errors)};
    }

    // ------------------------------------------------------------------ over all rounds

    /** The tables over all rounds, in the order they are read: each variant's figures first, then where they come from. */
    void print(PrintStream out, boolean paced, int roundsPerFork, int forks) {
        out.println(TextTable.format(summary()));
        out.println(TextTable.format(roundPairs("msgs/s vs B, per round pair: median")));
        out.println(TextTable.format(pooledP99Intervals()));
        if (forks > 1) {
            out.println(TextTable.format(forkTable(roundsPerFork, forks)));
        }
        out.println(TextTable.format(stepTable()));
        if (paced) {
            out.println(TextTable.format(spellTable()));
        }
        out.println(TextTable.format(threadTable()));
    }

    /** Medians over the rounds and pooled percentiles, each with its ratio to B. */
    List<String[]> summary() {
        List<String[]> summary = new ArrayList<>();
        summary.add(new String[] {"variant", "msgs/s (median of rounds)", "vs B", "session p50", "session p99", "p99 vs B",
            "p99 (median of rounds)", "vs B", "CPU per msg (median)", "vs B", "end of DATA to 250 p99", "errors"});
        List<OverheadRound> base = results.get(BASELINE);
        double baseThroughput = median(base, OverheadRound::throughput);
        long baseP99 = Stats.percentile(pooled(base, round -> round.sessionNanos), 99);
        double baseRoundP99 = median(base, OverheadReport::p99);
        double baseCpu = median(base, round -> round.cpuMicrosPerMessage);
        results.forEach((variant, rounds) -> {
            double throughput = median(rounds, OverheadRound::throughput);
            long[] sessions = pooled(rounds, round -> round.sessionNanos);
            long[] data = pooled(rounds, round -> round.dataNanos);
            long p99 = Stats.percentile(sessions, 99);
            double roundP99 = median(rounds, OverheadReport::p99);
            double cpu = median(rounds, round -> round.cpuMicrosPerMessage);
            summary.add(new String[] {variant, String.format(Locale.ROOT, "%.1f", throughput), ratio(throughput / baseThroughput),
                BenchSupport.millis(Stats.percentile(sessions, 50)), BenchSupport.millis(p99), ratio(p99 / (double) baseP99),
                BenchSupport.millis((long) roundP99), ratio(roundP99 / baseRoundP99), cpu(cpu), ratio(cpu / baseCpu),
                BenchSupport.millis(Stats.percentile(data, 99)), String.valueOf(rounds.stream().mapToLong(round -> round.errors).sum())});
        });
        return summary;
    }

    /**
     * Per pair of rounds run next to each other (round r of a variant and of B), throughput, CPU per message and
     * session p99 over B's: median and quartiles. The pair cancels what the machine did meanwhile.
     */
    List<String[]> roundPairs(String firstHeader) {
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"variant", firstHeader, "quartiles", "CPU per msg vs B: median", "quartiles",
            "session p99 vs B: median", "quartiles"});
        others().forEach((variant, rounds) -> {
            double[][] ratios = pairRatios(rounds, results.get(BASELINE));
            table.add(new String[] {variant, ratio(Stats.quantile(ratios[0], 0.5)), quartiles(ratios[0]),
                ratio(Stats.quantile(ratios[1], 0.5)), quartiles(ratios[1]), ratio(Stats.quantile(ratios[2], 0.5)), quartiles(ratios[2])});
        });
        return table;
    }

    /**
     * The pooled session p99 of each variant over B's, with the range it takes when the rounds are resampled: how
     * much of a ratio round-to-round noise can make on its own (the control's range is the one to read others against).
     */
    List<String[]> pooledP99Intervals() {
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"variant", "session p99 vs B, pooled", "5% .. 95% over " + RESAMPLES + " resamplings of the rounds"});
        long[][] base = sortedSessions(results.get(BASELINE));
        others().forEach((variant, rounds) -> {
            long[][] own = sortedSessions(rounds);
            double[] interval = Stats.pooledRatioInterval(own, base, 99, RESAMPLES, new Random(42));
            double pooled = Stats.pooledPercentile(own, Stats.everyRound(own.length), 99)
                / (double) Stats.pooledPercentile(base, Stats.everyRound(base.length), 99);
            table.add(new String[] {variant, ratio(pooled), ratio(interval[0]) + " .. " + ratio(interval[1])});
        });
        return table;
    }

    /**
     * Each fork's per-pair medians (over that fork's rounds only) and their median over the forks: a fork's ratio
     * carries the luck of its pair of JVMs, the median over forks much less of it.
     */
    List<String[]> forkTable(int roundsPerFork, int forks) {
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"variant", "fork", "msgs/s vs B, per round pair", "CPU per msg vs B", "session p99 vs B"});
        others().forEach((variant, rounds) -> {
            double[][] perFork = new double[3][forks];
            for (int fork = 0; fork < forks; fork++) {
                int from = fork * roundsPerFork;
                int to = from + roundsPerFork;
                double[][] ratios = pairRatios(rounds.subList(from, to), results.get(BASELINE).subList(from, to));
                for (int kind = 0; kind < 3; kind++) {
                    perFork[kind][fork] = Stats.quantile(ratios[kind], 0.5);
                }
                table.add(new String[] {variant, String.valueOf(fork + 1), ratio(perFork[0][fork]), ratio(perFork[1][fork]),
                    ratio(perFork[2][fork])});
            }
            table.add(new String[] {variant, "median of forks", medianAndQuartiles(perFork[0]), medianAndQuartiles(perFork[1]),
                medianAndQuartiles(perFork[2])});
        });
        return table;
    }

    /** p50 and p99 of each step of the session, pooled over all rounds, per variant: where a longer tail comes from. */
    List<String[]> stepTable() {
        List<String> header = new ArrayList<>(List.of("step: p50 / p99"));
        header.addAll(results.keySet());
        List<String[]> table = new ArrayList<>();
        table.add(header.toArray(new String[0]));
        for (int step = 0; step < OverheadRound.STEPS.length; step++) {
            List<String> row = new ArrayList<>(List.of(OverheadRound.STEPS[step]));
            for (List<OverheadRound> rounds : results.values()) {
                int index = step;
                long[] times = pooled(rounds, round -> round.stepNanos[index]);
                row.add(BenchSupport.millis(Stats.percentile(times, 50)) + " / " + BenchSupport.millis(Stats.percentile(times, 99)));
            }
            table.add(row.toArray(new String[0]));
        }
        return table;
    }

    /** Paced runs: each variant's {@link SlowSpells}, against its own median and p99 over all rounds. */
    List<String[]> spellTable() {
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"variant", "100-ms windows", "slow spells (median > 1.5 x the variant's)", "of them in a round's first second",
            "sessions beyond the variant's p99 in a spell"});
        results.forEach((variant, rounds) -> {
            long[] all = pooled(rounds, round -> round.sessionNanos);
            long median = Stats.percentile(all, 50);
            long p99 = Stats.percentile(all, 99);
            SlowSpells spells = new SlowSpells();
            rounds.forEach(round -> spells.add(round.startEpochMicros, round.sessionNanos, median, p99));
            table.add(new String[] {variant, String.valueOf(spells.windows), String.valueOf(spells.slow), String.valueOf(spells.slowEarly),
                String.format(Locale.ROOT, "%d of %d", spells.tailInSlow, spells.tail)});
        });
        return table;
    }

    /**
     * Where each variant's CPU per message goes, by group of threads, over all its rounds: the busiest groups, the
     * rest together, and the threads that ended during a round, so that the rows add up to the process's CPU.
     */
    List<String[]> threadTable() {
        Map<String, Map<String, Double>> perVariant = new LinkedHashMap<>();
        Map<String, Double> busiest = new LinkedHashMap<>();
        results.forEach((variant, rounds) -> {
            long messages = rounds.stream().mapToLong(round -> round.messages).sum();
            Map<String, Long> ticks = new LinkedHashMap<>();
            rounds.forEach(round -> round.threadTicks.forEach((group, value) -> ticks.merge(group, value, Long::sum)));
            Map<String, Double> micros = new LinkedHashMap<>();
            ticks.forEach((group, value) -> micros.put(group, ProcCpu.microsPerMessage(value, messages)));
            perVariant.put(variant, micros);
            micros.forEach((group, value) -> busiest.merge(group, value, Math::max));
        });
        String ended = OverheadRound.ENDED_THREADS;
        List<String> groups = busiest.entrySet().stream().filter(entry -> entry.getValue() >= 0.1 && !entry.getKey().equals(ended))
            .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(12)
            .map(Map.Entry::getKey).collect(Collectors.toList());
        List<String> header = new ArrayList<>(List.of("CPU per msg by threads"));
        header.addAll(results.keySet());
        List<String[]> table = new ArrayList<>();
        table.add(header.toArray(new String[0]));
        List<String> rows = new ArrayList<>(groups);
        rows.add("other threads");
        rows.add(ended);
        rows.add("all threads");
        for (String group : rows) {
            List<String> row = new ArrayList<>(List.of(group));
            for (Map<String, Double> micros : perVariant.values()) {
                double value;
                if (group.equals("all threads")) {
                    value = micros.values().stream().mapToDouble(Double::doubleValue).sum();
                } else if (group.equals("other threads")) {
                    value = micros.entrySet().stream().filter(entry -> !groups.contains(entry.getKey()) && !entry.getKey().equals(ended))
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

    /** Messages of every variant but B: what MongoDB's CPU is shared over (B does not use it). */
    long extensionMessages() {
        return others().values().stream().flatMap(List::stream).mapToLong(round -> round.messages).sum();
    }

    static String footnote(boolean paced) {
        return "(session: " + (paced ? "intended start" : "connect") + " to the 221 reply of QUIT, one message per session;"
            + " session percentiles exact, over all"
            + " rounds, and the median of each round's p99; CPU: James's user+system time from the start of a round until its spool"
            + " is empty, per message; vs B: ratio to plain James, throughput higher is better, p99 and CPU lower are better)";
    }

    // ------------------------------------------------------------------ figures

    /** Every variant but B, in order. */
    private Map<String, List<OverheadRound>> others() {
        Map<String, List<OverheadRound>> others = new LinkedHashMap<>(results);
        others.remove(BASELINE);
        return others;
    }

    /** Per round pair: throughput, CPU per message and session p99 of {@code own} over {@code base}, in that order. */
    private static double[][] pairRatios(List<OverheadRound> own, List<OverheadRound> base) {
        return new double[][] {
            Stats.ratios(values(own, OverheadRound::throughput), values(base, OverheadRound::throughput)),
            Stats.ratios(values(own, round -> round.cpuMicrosPerMessage), values(base, round -> round.cpuMicrosPerMessage)),
            Stats.ratios(values(own, OverheadReport::p99), values(base, OverheadReport::p99))};
    }

    private static double[] values(List<OverheadRound> rounds, ToDoubleFunction<OverheadRound> value) {
        return rounds.stream().mapToDouble(value).toArray();
    }

    private static double median(List<OverheadRound> rounds, ToDoubleFunction<OverheadRound> value) {
        return Stats.median(values(rounds, value));
    }

    /** One round's session p99. */
    private static long p99(OverheadRound round) {
        return Stats.percentile(Stats.sorted(round.sessionNanos), 99);
    }

    /** The times {@code times} picks from each round, all rounds together, sorted. */
    private static long[] pooled(List<OverheadRound> rounds, Function<OverheadRound, long[]> times) {
        return Stats.sorted(rounds.stream().flatMapToLong(round -> Arrays.stream(times.apply(round))).toArray());
    }

    private static long[][] sortedSessions(List<OverheadRound> rounds) {
        return rounds.stream().map(round -> Stats.sorted(round.sessionNanos)).toArray(long[][]::new);
    }

    private static String longest(Collection<String> names) {
        return names.stream().reduce("", (a, b) -> a.length() >= b.length() ? a : b);
    }

    private static String cpu(double micros) {
        return String.format(Locale.ROOT, "%.0f us", micros);
    }

    private static String ratio(double value) {
        return String.format(Locale.ROOT, "%.3f", value);
    }

    private static String medianAndQuartiles(double[] values) {
        return ratio(Stats.quantile(values, 0.5)) + " (" + quartiles(values) + ")";
    }

    private static String quartiles(double[] values) {
        return ratio(Stats.quantile(values, 0.25)) + " .. " + ratio(Stats.quantile(values, 0.75));
    }
}
