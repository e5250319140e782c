package org.jamesshaping.bench.shaping;

import java.nio.file.Path;
import java.util.Locale;

import org.jamesshaping.bench.Stats;

/**
 * Benchmark 3, DATA read rate: configured {@code dataReadRate} against measured bytes per second. Classes 4 to 7
 * get 16 KB/s, 64 KB/s, 256 KB/s and 1 MB/s (no delays, no command throttle, no limits); one address per class,
 * each in its own /24, is pinned to it. Each message is sized for about S seconds at its rate (default 5);
 * measured = message bytes / time from the first byte after the 354 to the 250 reply. A half-size message is sent
 * too: (bytes difference) / (time difference) is the marginal rate, free of the fixed start and end effects
 * (the initial token burst, and the last chunk read whose debt is never waited for).
 *
 * <p>Run: {@code benchmarks/bench/shaping-benchmarks.sh readrate [--seconds S] [--repeats N]}</p>
 */
public final class ReadRateBenchmark {
    private static final long[] RATES = {16_384, 65_536, 262_144, 1_048_576};

    private ReadRateBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = 5;
        int repeats = 2;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds": seconds = Double.parseDouble(args[++i]); break;
                case "--repeats": repeats = Integer.parseInt(args[++i]); break;
                default: throw new IllegalArgumentException("unknown option " + args[i] + " (--seconds S, --repeats N)");
            }
        }
        if (seconds < 0.5 || seconds > 30 || repeats < 1 || repeats > 10) {
            throw new IllegalArgumentException("--seconds 0.5..30, --repeats 1..10");
        }
        System.out.printf(Locale.ROOT, "== Read rate: messages of ~%.1fs and ~%.1fs at each configured dataReadRate, %d each ==%n",
            seconds, seconds / 2, repeats);
        System.out.println("machine: " + BenchSupport.machine());

        Path work = BenchSupport.workDir("readrate");
        BenchConf conf = BenchConf.copyOfSample(work.resolve("conf"));
        StringBuilder classes = new StringBuilder();
        for (int i = 0; i < RATES.length; i++) {
            classes.append(BenchConf.classBlock(4 + i, "0", "0", 0, RATES[i], 0, 0, 0, 0, 0));
        }
        conf.shaperClasses(classes.toString());
        String receiveBuffer = conf.read("smtpserver.xml").replaceAll("(?s).*<receiveBuffer>(\\d+)</receiveBuffer>.*", "$1");
        System.out.println("conf: james-conf/ with classes 4..7: dataReadRate " + java.util.Arrays.toString(RATES)
            + ", no delays or limits; receiveBuffer " + receiveBuffer + " (as shipped); James -Xmx1g");

        // A row per message size as each rate is done: progress, and each figure printed once.
        TextTable.Live rows = new TextTable.Live(System.out,
            new String[] {"configured", "message", "measured (median)", "error", "runs", "marginal rate", "marginal error"},
            new String[] {widestLabel(), "10485760 B in 10.00s", "1048576 B/s", "+10.0%",
                "1048576, ".repeat(repeats - 1) + "1048576", "1048576 B/s", "+10.0%"});
        try (JamesChild james = JamesChild.start("readrate", work, conf, "1g")) {
            for (int i = 0; i < RATES.length; i++) {
                james.pin("127.0." + (50 + i) + ".2", 4 + i);
            }
            // Warm-up: one small message per class (JIT, connection set-up paths).
            for (int i = 0; i < RATES.length; i++) {
                send("127.0." + (50 + i) + ".2", james.smtpPort, BenchSmtp.message("sender@example.org", "user1@james.local", 2048));
            }
            for (int i = 0; i < RATES.length; i++) {
                long rate = RATES[i];
                String source = "127.0." + (50 + i) + ".2";
                int fullBytes = (int) (rate * seconds);
                int halfBytes = fullBytes / 2;
                byte[] full = BenchSmtp.message("sender@example.org", "user1@james.local", fullBytes);
                byte[] half = BenchSmtp.message("sender@example.org", "user1@james.local", halfBytes);
                double[] fullTimes = new double[repeats];
                double[] halfTimes = new double[repeats];
                StringBuilder runs = new StringBuilder();
                for (int r = 0; r < repeats; r++) {
                    halfTimes[r] = send(source, james.smtpPort, half);
                    fullTimes[r] = send(source, james.smtpPort, full);
                    runs.append(r == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", full.length / fullTimes[r]));
                }
                double fullTime = Stats.median(fullTimes);
                double halfTime = Stats.median(halfTimes);
                double measured = full.length / fullTime;
                double measuredHalf = half.length / halfTime;
                double marginal = (full.length - half.length) / (fullTime - halfTime);
                rows.row(label(rate), String.format(Locale.ROOT, "%d B in %.2fs", full.length, fullTime),
                    String.format(Locale.ROOT, "%.0f B/s", measured), percent(measured, rate), runs.toString(),
                    String.format(Locale.ROOT, "%.0f B/s", marginal), percent(marginal, rate));
                rows.row("", String.format(Locale.ROOT, "%d B in %.2fs", half.length, halfTime),
                    String.format(Locale.ROOT, "%.0f B/s", measuredHalf), percent(measuredHalf, rate), "", "", "");
            }
        }
        System.out.println();
        System.out.println("(measured: bytes / time from the first DATA byte written to the 250 reply; error = measured / configured - 1)");
    }

    private static String widestLabel() {
        return java.util.Arrays.stream(RATES).mapToObj(ReadRateBenchmark::label).reduce("", (a, b) -> a.length() >= b.length() ? a : b);
    }

    private static String label(long rate) {
        return rate >= 1_048_576 ? (rate / 1_048_576) + " MB/s (" + rate + ")" : (rate / 1024) + " KB/s (" + rate + ")";
    }

    private static String percent(double measured, long configured) {
        return String.format(Locale.ROOT, "%+.1f%%", (measured / configured - 1) * 100);
    }

    /** One message; returns seconds from the first byte after 354 to the 250 reply. */
    static double send(String source, int port, byte[] message) throws Exception {
        try (BenchSmtp client = new BenchSmtp(source, port, 120_000)) {
            BenchSmtp.expect(220, client.reply(), client, "greeting");
            BenchSmtp.expect(250, client.command("EHLO rate.example.org"), client, "EHLO");
            BenchSmtp.expect(250, client.command("MAIL FROM:<sender@example.org>"), client, "MAIL");
            BenchSmtp.expect(250, client.command("RCPT TO:<user1@james.local>"), client, "RCPT");
            BenchSmtp.expect(354, client.command("DATA"), client, "DATA");
            long start = System.nanoTime();
            client.send(message);
            BenchSmtp.expect(250, client.reply(), client, "end of DATA");
            double elapsed = (System.nanoTime() - start) / 1e9;
            client.command("QUIT");
            return elapsed;
        }
    }
}
