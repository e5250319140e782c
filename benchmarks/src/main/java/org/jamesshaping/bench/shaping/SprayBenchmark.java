package org.jamesshaping.bench.shaping;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark 5, memory under spraying: connect-and-quit sessions from many distinct loopback addresses (default
 * 20,000, cycled) for two minutes while tarpitted connections (default 300) open one after another and stay open.
 * James's heap after full GC is read every 10 s. The baseline, in the same run, is a second James given the same
 * spray without the held connections: what grows in both (records of new senders) is the store's; what grows only
 * with the held connections is what each of them keeps reachable. MongoDB runs in a process of its own.
 *
 * <p>Run: {@code benchmarks/bench/shaping-benchmarks.sh spray [--seconds S] [--rate N] [--addresses N] [--held N]}</p>
 */
public final class SprayBenchmark {
    private static final int SAMPLE_SECONDS = 10;
    /** What a decision and its reuse window are made of: kept reachable by a connection that holds them. */
    private static final List<String> DECISION_CLASSES = List.of("org.jamesshaping.store.ReputationSnapshot",
        "org.jamesshaping.shaping.SenderClassifier$Reused", "org.jamesshaping.scoring.ClassDecision",
        "org.jamesshaping.scoring.ReputationClassifier$Judgement");

    private SprayBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = 120;
        double rate = 300;
        int addresses = 20_000;
        int held = 300;
        int threads = 4;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds": seconds = Integer.parseInt(args[++i]); break;
                case "--rate": rate = Double.parseDouble(args[++i]); break;
                case "--addresses": addresses = Integer.parseInt(args[++i]); break;
                case "--held": held = Integer.parseInt(args[++i]); break;
                case "--threads": threads = Integer.parseInt(args[++i]); break;
                default: throw new IllegalArgumentException("unknown option " + args[i]
                    + " (--seconds S, --rate PER_SECOND, --addresses N, --held N, --threads N)");
            }
        }
        if (seconds < 20 || seconds > 600 || addresses < 1 || addresses > 60_000 || held < 0 || held > 500 || threads < 1) {
            throw new IllegalArgumentException("--seconds 20..600, --addresses 1..60000, --held 0..500, --threads >= 1");
        }
        System.out.printf(Locale.ROOT, "== Memory under spraying: %ds of connect-and-quit from %d addresses at %.0f/s, "
            + "%d tarpitted connections opened one after another and held ==%n", seconds, addresses, rate, held);
        System.out.println("machine: " + BenchSupport.machine());
        System.out.println("decision rule: flat if, from t=30s to the end, the heap after GC of the James holding the connections "
            + "grows by at most 5 MB more than the baseline's over the same span, growth read off a least-squares line (one sample "
            + "after a full GC can be off by tens of MB)");

        List<long[]> baseline = run("spray-baseline", seconds, rate, addresses, 0, threads);
        List<long[]> holding = run("spray-held", seconds, rate, addresses, held, threads);

        System.out.println();
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"t (s)", "baseline: heap after GC", "sprayed", "with " + held + " held: heap after GC", "sprayed", "held open"});
        for (int i = 0; i < Math.max(baseline.size(), holding.size()); i++) {
            long[] b = i < baseline.size() ? baseline.get(i) : null;
            long[] h = i < holding.size() ? holding.get(i) : null;
            long t = b != null ? b[0] : h[0];
            table.add(new String[] {String.valueOf(t), b == null ? "-" : mb(b[1]), b == null ? "-" : String.valueOf(b[2]),
                h == null ? "-" : mb(h[1]), h == null ? "-" : String.valueOf(h[2]), h == null ? "-" : String.valueOf(h[3])});
        }
        System.out.println(TextTable.format(table));
        double span = baseline.get(baseline.size() - 1)[0] - 30;
        double baseGrowth = slope(baseline, 30) * span;
        double heldGrowth = slope(holding, 30) * span;
        System.out.printf(Locale.ROOT, "growth t=30s..end on the fitted line: baseline %+.1f MB (%+.2f MB/min), with held %+.1f MB (%+.2f MB/min);"
                + " difference %+.1f MB -> %s%n", baseGrowth, slope(baseline, 30) * 60, heldGrowth, slope(holding, 30) * 60,
            heldGrowth - baseGrowth, heldGrowth - baseGrowth <= 5 ? "FLAT" : "GROWING");
        System.out.printf(Locale.ROOT, "last sample minus the t=30s one: baseline %+.1f MB, with held %+.1f MB%n", growthFrom(baseline, 30),
            growthFrom(holding, 30));
        System.out.printf(Locale.ROOT, "spread: successive samples of the baseline differ by up to %.1f MB, of the held run by up to %.1f MB%n",
            maxStep(baseline), maxStep(holding));
    }

    /** Rows of [t seconds, heap KB after GC, sprayed sessions so far, held connections open]. */
    private static List<long[]> run(String name, int seconds, double rate, int addresses, int held, int threads) throws Exception {
        Path work = BenchSupport.workDir(name);
        BenchConf conf = BenchConf.copyOfSample(work.resolve("conf"));
        // Class 8 with 5 s greeting and replies, without the per-address, per-subnet and per-minute limits.
        conf.shaperClasses(BenchConf.classBlock(8, "5s", "5s", 512, 8192, 0, 0, 0, 5, 2));
        // Off: each sprayed session would otherwise wait 1.5 s for the end of the greeting; the windows are measured.
        conf.replace("smtpserver.xml", "<pregreet>1500ms</pregreet>", "<pregreet>0</pregreet>");
        List<long[]> rows = new ArrayList<>();
        // MongoDB in a process of its own, a fresh one per variant: its pages would otherwise be James's heap.
        try (StandaloneMongo mongo = StandaloneMongo.launch(work);
             JamesChild james = JamesChild.start(name, work, conf, "1g", mongo.uri, false)) {
            james.pin("127.0.168.0/23", 8);
            String[] sprayed = new String[addresses];
            for (int i = 0; i < addresses; i++) {
                sprayed[i] = "127.16." + (i / 250) + "." + (1 + i % 250);
            }
            String[] holders = new String[held];
            for (int i = 0; i < held; i++) {
                holders[i] = "127.0." + (168 + i / 150) + "." + (1 + i % 150);
            }
            System.out.printf(Locale.ROOT, "%n[%s] James pid %d, SMTP port %d; spraying %s .. %s%s%n", name, james.pid(), james.smtpPort,
                sprayed[0], sprayed[addresses - 1], held == 0 ? ", no held connection"
                    : "; held " + holders[0] + " .. " + holders[held - 1] + " (127.0.168.0/23 pinned to class 8)");
            Sprayer sprayer = new Sprayer(james.smtpPort, sprayed, rate, threads);
            // Warm-up: JIT and every IO event loop, then the first sample as t=0.
            sprayer.warmUp(500);
            NioHolder holder = null;
            Thread holderThread = null;
            long start = System.nanoTime();
            sprayer.start(start);
            if (held > 0) {
                // Opened across the run, so that each pins the decision window of its own moment.
                holder = new NioHolder(new InetSocketAddress("127.0.0.1", james.smtpPort), holders, held / (seconds - 10.0), 50,
                    TimeUnit.SECONDS.toNanos(seconds + 300));
                holderThread = new Thread(holder, "nio-holder");
                holderThread.start();
            }
            for (int tick = 0; tick * SAMPLE_SECONDS <= seconds; tick++) {
                sleepUntil(start + TimeUnit.SECONDS.toNanos((long) tick * SAMPLE_SECONDS));
                // The lower of two readings: what is in flight at one full GC (a flush, a batch of reads) is not kept.
                long heap = Math.min(james.heapUsedAfterGcKb(), james.heapUsedAfterGcKb());
                long[] row = {(long) tick * SAMPLE_SECONDS, heap, sprayer.done.get(), holder == null ? 0 : holder.open.get()};
                rows.add(row);
                System.out.printf(Locale.ROOT, "  t=%3ds heap after GC %s, sprayed %6d (failed %d), held open %3d%n", row[0], mb(heap), row[2],
                    sprayer.failed.get(), row[3]);
            }
            sprayer.stop();
            // Before the held connections close: what they keep reachable is in it.
            Map<String, long[]> histogram = HeldConnectionsBenchmark.histogram(james);
            if (holder != null) {
                if (!holder.unexpected.isEmpty()) {
                    System.out.println("  held connections, unexpected: " + holder.unexpected);
                }
                holder.closeAll();
                holderThread.join(TimeUnit.SECONDS.toMillis(30));
            }
            System.out.printf(Locale.ROOT, "  sprayed %d sessions in %ds (%.0f/s), %d failed%n", sprayer.done.get(), seconds,
                sprayer.done.get() / (double) seconds, sprayer.failed.get());
            List<String[]> classes = new ArrayList<>();
            classes.add(new String[] {"live at the end, " + (held == 0 ? "no held connection" : held + " connections held"), "instances", "bytes"});
            for (String decisionClass : DECISION_CLASSES) {
                long[] live = histogram.getOrDefault(decisionClass, new long[2]);
                classes.add(new String[] {decisionClass, String.valueOf(live[0]), String.valueOf(live[1])});
            }
            histogram.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).limit(6)
                .forEach(e -> classes.add(new String[] {e.getKey(), String.valueOf(e.getValue()[0]), String.valueOf(e.getValue()[1])}));
            long total = histogram.values().stream().mapToLong(v -> v[1]).sum();
            classes.add(new String[] {"all live objects", "", String.valueOf(total)});
            System.out.println(TextTable.format(classes));
        }
        return rows;
    }

    /** Connect, greeting, QUIT, from the next address, paced to a rate over a few blocking threads. */
    private static final class Sprayer {
        final int port;
        final String[] sources;
        final double rate;
        final Thread[] workers;
        final AtomicLong next = new AtomicLong();
        final AtomicLong done = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        volatile boolean running = true;
        volatile long startNanos;

        Sprayer(int port, String[] sources, double rate, int threads) {
            this.port = port;
            this.sources = sources;
            this.rate = rate;
            this.workers = new Thread[threads];
        }

        void warmUp(int sessions) {
            for (int i = 0; i < sessions; i++) {
                session("127.0.160." + (1 + i % 250));
            }
        }

        void start(long start) {
            startNanos = start;
            for (int i = 0; i < workers.length; i++) {
                workers[i] = new Thread(this::work, "sprayer-" + i);
                workers[i].start();
            }
        }

        void work() {
            while (running) {
                long n = next.getAndIncrement();
                long due = startNanos + (long) (n / rate * 1e9);
                try {
                    sleepUntil(due);
                } catch (InterruptedException e) {
                    return;
                }
                if (!session(sources[(int) (n % sources.length)])) {
                    failed.incrementAndGet();
                }
                done.incrementAndGet();
            }
        }

        boolean session(String source) {
            try (BenchSmtp client = new BenchSmtp(source, port, 30_000)) {
                BenchSmtp.expect(220, client.reply(), client, "greeting");
                client.command("QUIT");
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        void stop() throws InterruptedException {
            running = false;
            for (Thread worker : workers) {
                worker.join(TimeUnit.SECONDS.toMillis(40));
            }
        }
    }

    private static double growthFrom(List<long[]> rows, long fromSecond) {
        long[] first = rows.stream().filter(r -> r[0] >= fromSecond).findFirst().orElse(rows.get(0));
        return (rows.get(rows.size() - 1)[1] - first[1]) / 1024.0;
    }

    /** Least-squares slope of heap (MB) over time (s), from {@code fromSecond} on. */
    private static double slope(List<long[]> rows, long fromSecond) {
        double n = 0;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (long[] row : rows) {
            if (row[0] >= fromSecond) {
                double x = row[0];
                double y = row[1] / 1024.0;
                n++;
                sx += x;
                sy += y;
                sxx += x * x;
                sxy += x * y;
            }
        }
        return n < 2 ? 0 : (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    private static double maxStep(List<long[]> rows) {
        double max = 0;
        for (int i = 1; i < rows.size(); i++) {
            max = Math.max(max, Math.abs(rows.get(i)[1] - rows.get(i - 1)[1]) / 1024.0);
        }
        return max;
    }

    private static String mb(long kb) {
        return String.format(Locale.ROOT, "%.1f MB", kb / 1024.0);
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long wait = nanos - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }
}
