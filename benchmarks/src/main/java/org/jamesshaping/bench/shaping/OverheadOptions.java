package org.jamesshaping.bench.shaping;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/** The overhead benchmark's command-line flags, parsed and checked before any James starts. */
final class OverheadOptions {
    static final String USAGE = String.join("\n",
        "usage: shaping-benchmarks.sh overhead [flags]",
        "  --clients N               concurrent clients per variant, 1..200 (8)",
        "  --rounds N                measured rounds per variant (per fork), 1..50 (4)",
        "  --round-seconds S         length of a round, 1..300 (15)",
        "  --warmup-seconds S        unpaced warm-up before the JIT check, 0..300 (10)",
        "  --max-warmup-seconds S    warm-up limit while the JIT compilers are busy, warm-up..900 (240)",
        "  --message-bytes N         message size, 200..10000000 (4096)",
        "  --rate N                  paced to N sessions/s in all, 0 = as fast as answered, 0..100000 (0)",
        "  --side-by-side-rounds N   unpaced runs: rounds with every variant loaded at once, 0..50 (6)",
        "  --forks N                 the whole run N times in new JVMs, 1..20 (1)",
        "  --session-log FILE        one line per session of the measured rounds",
        "  --no-filters-variant      without C (extension + content filters)",
        "  --control                 with D, a second plain James",
        "  --module-only-variant     with E, the extension's module without its SMTP handlers",
        "  --noop-handlers-variant   with N, the extension's handlers replaced by no-op ones",
        "  --embedded-mongo          MongoDB inside James's JVM instead of a process of its own",
        "  --adaptive-heap           -Xmx only, G1 sizes the heap (default: fixed heap)");

    int clients = 8;
    int rounds = 4;
    int roundSeconds = 15;
    int warmupSeconds = 10;
    int maxWarmupSeconds = 240;
    int messageBytes = 4096;
    int sideBySideRounds = 6;
    double rate = 0;
    int forks = 1;
    Path sessionLog;
    boolean filtersVariant = true;
    boolean control;
    boolean moduleOnly;
    boolean noopHandlers;
    boolean embeddedMongo;
    boolean adaptiveHeap;

    private OverheadOptions() {
    }

    /** The options {@code args} give; an {@link IllegalArgumentException} names the first bad flag and why. */
    static OverheadOptions parse(String... args) {
        OverheadOptions options = new OverheadOptions();
        Args in = new Args(args);
        while (in.hasNext()) {
            String flag = in.next();
            switch (flag) {
                case "--clients": options.clients = in.intValue(flag, 1, 200); break;
                case "--rounds": options.rounds = in.intValue(flag, 1, 50); break;
                case "--round-seconds": options.roundSeconds = in.intValue(flag, 1, 300); break;
                case "--warmup-seconds": options.warmupSeconds = in.intValue(flag, 0, 300); break;
                case "--max-warmup-seconds": options.maxWarmupSeconds = in.intValue(flag, 0, 900); break;
                case "--message-bytes": options.messageBytes = in.intValue(flag, 200, 10_000_000); break;
                case "--side-by-side-rounds": options.sideBySideRounds = in.intValue(flag, 0, 50); break;
                case "--rate": options.rate = in.doubleValue(flag, 0, 100_000); break;
                case "--forks": options.forks = in.intValue(flag, 1, 20); break;
                case "--session-log": options.sessionLog = Paths.get(in.value(flag)); break;
                case "--no-filters-variant": options.filtersVariant = false; break;
                case "--control": options.control = true; break;
                case "--module-only-variant": options.moduleOnly = true; break;
                case "--noop-handlers-variant": options.noopHandlers = true; break;
                case "--embedded-mongo": options.embeddedMongo = true; break;
                case "--adaptive-heap": options.adaptiveHeap = true; break;
                default: throw new IllegalArgumentException("unknown flag " + flag);
            }
        }
        // Checked once all flags are read: they may come in any order.
        if (options.maxWarmupSeconds < options.warmupSeconds) {
            throw new IllegalArgumentException("--max-warmup-seconds " + options.maxWarmupSeconds + " is below --warmup-seconds "
                + options.warmupSeconds);
        }
        return options;
    }

    /** Paced to {@link #rate} sessions per second rather than as fast as James answers. */
    boolean paced() {
        return rate > 0;
    }

    /** The run's title line. */
    String title() {
        return String.format(Locale.ROOT, "== Overhead: %d concurrent clients%s, %d-byte messages, %d rounds of %ds per variant, interleaved%s ==",
            clients, paced() ? String.format(Locale.ROOT, " paced to %.0f sessions/s in all", rate) : " as fast as answered",
            messageBytes, rounds, roundSeconds, forks > 1 ? ", in each of " + forks + " forks (new JVMs)" : "");
    }

    /** The flags one after the other, each value checked as it is read. */
    private static final class Args {
        private final String[] args;
        private int next;

        Args(String[] args) {
            this.args = args;
        }

        boolean hasNext() {
            return next < args.length;
        }

        String next() {
            return args[next++];
        }

        String value(String flag) {
            if (!hasNext()) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            return next();
        }

        int intValue(String flag, int min, int max) {
            String text = value(flag);
            int value;
            try {
                value = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " takes a whole number, not '" + text + "'");
            }
            if (value < min || value > max) {
                throw new IllegalArgumentException(flag + " must be " + min + ".." + max + ", not " + value);
            }
            return value;
        }

        double doubleValue(String flag, double min, double max) {
            String text = value(flag);
            double value;
            try {
                value = Double.parseDouble(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " takes a number, not '" + text + "'");
            }
            if (!(value >= min && value <= max)) {
                throw new IllegalArgumentException(flag + " must be " + fmt(min) + ".." + fmt(max) + ", not " + text);
            }
            return value;
        }

        private static String fmt(double value) {
            return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
        }
    }
}
