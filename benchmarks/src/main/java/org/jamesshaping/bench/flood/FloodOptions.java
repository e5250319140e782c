package org.jamesshaping.bench.flood;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The flood benchmark's command line. */
final class FloodOptions {
    static final String USAGE = String.join("\n",
        "usage: flood-benchmark.sh [--quick] [options]",
        "  --quick                    30 s phases, one run of each, 3 warm-up sessions (the full run: 60 s, 3 runs)",
        "  --seconds S                length of each phase's measurement (60)",
        "  --repeats N                runs of the phase sequence, each phase in new JVMs (3)",
        "  --legit-senders N          legitimate senders, one address each in 127.50.0.0/24 (10)",
        "  --legit-rate R             legitimate messages per second, all senders together (5)",
        "  --abusive-connections N    parallel abusive connections (200)",
        "  --abusive-retry-ms MS      an abusive connection refused at its greeting reconnects after this (1000; 0: at once)",
        "  --capacity N,N,...         then the shaped phase again with these many abusive connections (none)",
        "  --phases L,D,S,P           which phases: L legitimate only, D dry run, S shaping on, P plain James (these four);",
        "                             F: dry run without the content-filter mailets (to see what they cost)",
        "  --drain-seconds S          how long to wait after a phase for legitimate mail to be delivered (60)",
        "  --abusive-warmup-seconds S before every phase's measurement, the same flood from other networks (127.70-74.0.0/24)",
        "                             for this long, so that James's JIT has compiled the flood's paths as in a server that",
        "                             has run for a while (10; --quick: 5; 0: a cold JVM meets the measured flood)",
        "  --quiet-logs               James logs at WARN (default: the sample logback.xml, as operators run it)",
        "  --no-report                print only, do not write docs/flood-report.md",
        "Environment: JAMES_JVM_ARGS adds flags to James's JVMs ({name}: the phase's id), e.g.",
        "  JAMES_JVM_ARGS='-XX:StartFlightRecording=filename=/tmp/james-{name}.jfr' to profile each phase.");

    boolean help;
    boolean quick;
    int seconds = 60;
    int repeats = 3;
    int legitSenders = 10;
    double legitRate = 5;
    int abusiveConnections = 200;
    int abusivePatienceSeconds = 45;
    int abusiveRetryMillis = 1000;
    int legitTimeoutSeconds = 30;
    int warmupSessions = 10;
    int drainSeconds = 60;
    int abusiveWarmupSeconds = 10;
    boolean quietLogs;
    boolean writeReport = true;
    List<Integer> capacity = new ArrayList<>();
    List<FloodBenchmark.Phase> phases = new ArrayList<>(FloodBenchmark.Phase.DEFAULT);
    final List<String> args = new ArrayList<>();

    static FloodOptions parse(String[] args) {
        FloodOptions options = new FloodOptions();
        options.args.addAll(Arrays.asList(args));
        if (options.args.contains("--quick")) {
            options.quick = true;
            options.seconds = 30;
            options.repeats = 1;
            options.warmupSessions = 3;
            options.drainSeconds = 30;
            options.abusiveWarmupSeconds = 5;
        }
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--help":
                case "-h":
                    options.help = true;
                    break;
                case "--quick":
                    break;
                case "--quiet-logs":
                    options.quietLogs = true;
                    break;
                case "--no-report":
                    options.writeReport = false;
                    break;
                case "--seconds":
                    options.seconds = positive(arg, value(args, ++i));
                    break;
                case "--repeats":
                    options.repeats = positive(arg, value(args, ++i));
                    break;
                case "--legit-senders":
                    options.legitSenders = positive(arg, value(args, ++i));
                    if (options.legitSenders > 250) {
                        throw new IllegalArgumentException("--legit-senders: at most 250 (one /24)");
                    }
                    break;
                case "--legit-rate":
                    options.legitRate = Double.parseDouble(value(args, ++i));
                    if (!(options.legitRate > 0)) {
                        throw new IllegalArgumentException("--legit-rate must be positive");
                    }
                    break;
                case "--abusive-connections":
                    options.abusiveConnections = positive(arg, value(args, ++i));
                    break;
                case "--abusive-retry-ms":
                    options.abusiveRetryMillis = Integer.parseInt(value(args, ++i));
                    if (options.abusiveRetryMillis < 0) {
                        throw new IllegalArgumentException("--abusive-retry-ms must be 0 or more");
                    }
                    break;
                case "--drain-seconds":
                    options.drainSeconds = positive(arg, value(args, ++i));
                    break;
                case "--abusive-warmup-seconds":
                    options.abusiveWarmupSeconds = Integer.parseInt(value(args, ++i));
                    if (options.abusiveWarmupSeconds < 0) {
                        throw new IllegalArgumentException("--abusive-warmup-seconds must be 0 or more");
                    }
                    break;
                case "--capacity":
                    options.capacity.clear();
                    for (String count : value(args, ++i).split(",")) {
                        options.capacity.add(positive(arg, count.trim()));
                    }
                    break;
                case "--phases":
                    options.phases.clear();
                    for (String letter : value(args, ++i).split(",")) {
                        options.phases.add(Arrays.stream(FloodBenchmark.Phase.values()).filter(p -> p.letter.equals(letter.trim()))
                            .findFirst().orElseThrow(() -> new IllegalArgumentException("--phases: unknown phase '" + letter + "' (L, D, S, P, F)")));
                    }
                    break;
                default:
                    throw new IllegalArgumentException("unknown option " + arg);
            }
        }
        return options;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static int positive(String option, String value) {
        try {
            int parsed = Integer.parseInt(value);
            if (parsed <= 0) {
                throw new IllegalArgumentException(option + " must be positive, got " + value);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": not a number: " + value);
        }
    }

    String describe() {
        return String.format(Locale.ROOT, "%s%d s per phase, %d run(s); %d legitimate senders at %.1f msg/s in all; "
                + "%d abusive connections (retry after a refusal: %d ms)%s; abusive warm-up %d s; James logging: %s", quick ? "--quick: " : "", seconds, repeats, legitSenders,
            legitRate, abusiveConnections, abusiveRetryMillis, capacity.isEmpty() ? "" : "; capacity " + capacity, abusiveWarmupSeconds,
            quietLogs ? "WARN" : "sample logback.xml (INFO)");
    }

    String commandLine() {
        return "benchmarks/bench/flood-benchmark.sh" + (args.isEmpty() ? "" : " " + String.join(" ", args));
    }
}
