package org.jamesshaping.bench.shaping;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jamesshaping.bench.Stats;

/**
 * Benchmark 1, held connections: N concurrent connections (default 10,000) from N loopback addresses pinned to
 * tarpitting class 8 (greeting 20s, each reply 5s), held for a minute while each keeps sending NOOP, from one
 * NIO thread. Reports James's SMTP IO threads, heap after full GC and RSS per held connection against a baseline
 * of the same James with no connection, and a clean sender's greeting and EHLO latency without and with the load.
 *
 * <p>Run: {@code benchmarks/bench/shaping-benchmarks.sh held [--connections N] [--hold SECONDS]}</p>
 */
public final class HeldConnectionsBenchmark {
    private HeldConnectionsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int connections = 10_000;
        int holdSeconds = 60;
        double connectRate = 500;
        int cleanSamples = 200;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--connections": connections = Integer.parseInt(args[++i]); break;
                case "--hold": holdSeconds = Integer.parseInt(args[++i]); break;
                case "--connect-rate": connectRate = Double.parseDouble(args[++i]); break;
                case "--clean-samples": cleanSamples = Integer.parseInt(args[++i]); break;
                default: throw new IllegalArgumentException("unknown option " + args[i]
                    + " (--connections N, --hold SECONDS, --connect-rate PER_SECOND, --clean-samples N)");
            }
        }
        if (connections < 1 || connections > 14_000 || holdSeconds < 1 || holdSeconds > 600) {
            throw new IllegalArgumentException("--connections 1..14000, --hold 1..600");
        }
        System.out.println("== Held connections: " + connections + " connections in class 8, held " + holdSeconds + "s ==");
        System.out.println("machine: " + BenchSupport.machine());

        Path work = BenchSupport.workDir("held");
        BenchConf conf = BenchConf.copyOfSample(work.resolve("conf"));
        // Class 8 as in preset stage3 (greeting 20s, replies 5s, 512 B/s commands), without the per-address and
        // per-subnet connection limits, which would otherwise refuse all but 1 per address and 5 per /24.
        conf.shaperClasses(BenchConf.classBlock(8, "20s", "5s", 512, 8192, 0, 0, 0, 5, 2));
        String maxHeld = conf.read("smtpserver.xml").replaceAll("(?s).*<maxHeldConnections>(\\d+)</maxHeldConnections>.*", "$1");
        if (Integer.parseInt(maxHeld) <= connections) {
            conf.replace("smtpserver.xml", "<maxHeldConnections>" + maxHeld + "</maxHeldConnections>",
                "<maxHeldConnections>" + (connections + 1000) + "</maxHeldConnections>");
        }
        System.out.println("conf: james-conf/ with class 8 limits per IP/subnet/minute set to 0, maxHeldConnections "
            + Math.max(Integer.parseInt(maxHeld), connections + 1000) + "; James -Xmx1g");

        try (JamesChild james = JamesChild.start("held", work, conf, "1g")) {
            james.pin("127.0.96.0/19", 8);
            james.pin("127.0.128.0/19", 8);
            String[] sources = new String[connections];
            for (int i = 0; i < connections; i++) {
                sources[i] = "127.0." + (100 + i / 250) + "." + (1 + i % 250);
            }
            System.out.println("James pid " + james.pid() + ", SMTP 127.0.0.1:" + james.smtpPort + "; sources " + sources[0] + " .. "
                + sources[connections - 1] + " (127.0.96.0/19 and 127.0.128.0/19 pinned to class 8)");

            cleanSessions(james.smtpPort, 300); // warm-up: JIT, and every IO event loop started
            long[][] cleanBefore = cleanSessions(james.smtpPort, cleanSamples);
            Snapshot before = Snapshot.take(james, "baseline, no connection");
            Map<String, long[]> histogramBefore = histogram(james);

            NioHolder holder = new NioHolder(new InetSocketAddress("127.0.0.1", james.smtpPort), sources, connectRate, 200,
                TimeUnit.SECONDS.toNanos(connections / (long) connectRate + holdSeconds + 300));
            Thread loadThread = new Thread(holder, "nio-holder");
            loadThread.start();
            long openStart = System.nanoTime();
            long openDeadline = openStart + TimeUnit.SECONDS.toNanos((long) (connections / connectRate) + 90);
            while (System.nanoTime() < openDeadline && holder.greeted.get() + holder.failedConnects.get() + holder.closedByServer.get()
                + unexpectedCount(holder) < connections && holder.failure == null) {
                Thread.sleep(5000);
                System.out.printf(Locale.ROOT, "  t=%3ds connected %5d, greeted (after the 20s tarpit) %5d, open %5d, James fds %5d%n",
                    NioHolder.seconds(System.nanoTime() - openStart), holder.connected.get(), holder.greeted.get(), holder.open.get(),
                    james.openFds());
            }
            System.out.printf(Locale.ROOT, "all %d greeted %ds after the first connect; holding %ds (each connection: NOOP, 5s tarpitted reply, NOOP...)%n",
                holder.greeted.get(), NioHolder.seconds(System.nanoTime() - openStart), holdSeconds);

            List<String[]> during = new ArrayList<>();
            during.add(new String[] {"t (s)", "client conns open", "James fds", "shaping_held_connections", "smtpserver-io threads",
                "smtpserver-N threads", "James threads", "NOOP replies/s"});
            long holdStart = System.nanoTime();
            long lastReplies = holder.noopReplies.get();
            long lastTime = holdStart;
            long[][] cleanDuring = null;
            int threadsIoMax = 0;
            for (int tick = 1; tick * 10 <= holdSeconds; tick++) {
                sleepUntil(holdStart + TimeUnit.SECONDS.toNanos(tick * 10L) - (tick == 2 ? TimeUnit.SECONDS.toNanos(8) : 0));
                if (tick == 2 && cleanDuring == null) {
                    cleanDuring = cleanSessions(james.smtpPort, cleanSamples);
                    sleepUntil(holdStart + TimeUnit.SECONDS.toNanos(tick * 10L));
                }
                int[] threads = james.threadCounts();
                threadsIoMax = Math.max(threadsIoMax, threads[0]);
                long replies = holder.noopReplies.get();
                long now = System.nanoTime();
                during.add(new String[] {String.valueOf(tick * 10), String.valueOf(holder.open.get()), String.valueOf(james.openFds()),
                    String.format(Locale.ROOT, "%.0f", james.metric("shaping_held_connections")), String.valueOf(threads[0]),
                    String.valueOf(threads[1]), String.valueOf(threads[2]),
                    String.format(Locale.ROOT, "%.0f", (replies - lastReplies) / ((now - lastTime) / 1e9))});
                lastReplies = replies;
                lastTime = now;
            }
            if (cleanDuring == null) {
                cleanDuring = cleanSessions(james.smtpPort, cleanSamples);
            }
            sleepUntil(holdStart + TimeUnit.SECONDS.toNanos(holdSeconds));
            int stillOpen = holder.open.get();
            Snapshot held = Snapshot.take(james, "holding " + stillOpen + " connections");
            Map<String, long[]> histogramHeld = histogram(james);
            holder.sendNoops = false;
            holder.closeAll();
            loadThread.join(TimeUnit.SECONDS.toMillis(60));
            Thread.sleep(10_000);
            Snapshot after = Snapshot.take(james, "10s after closing them");

            System.out.println();
            System.out.println(TextTable.format(during));
            long[] greetings = Stats.sorted(holder.greetingNanos);
            int firstGreeted = 0;
            while (firstGreeted < greetings.length && greetings[firstGreeted] == 0) {
                firstGreeted++;
            }
            long[] greeted = java.util.Arrays.copyOfRange(greetings, firstGreeted, greetings.length);
            System.out.printf(Locale.ROOT, "held connections: connected %d, greeted %d, failed connects %d, closed by James %d, "
                    + "open at the end of the hold %d; tarpitted greeting (connect to 220) p50 %.2fs, min %.2fs, max %.2fs%n",
                holder.connected.get(), holder.greeted.get(), holder.failedConnects.get(), holder.closedByServer.get(), stillOpen,
                Stats.percentile(greeted, 50) / 1e9, greeted.length == 0 ? 0 : greeted[0] / 1e9,
                greeted.length == 0 ? 0 : greeted[greeted.length - 1] / 1e9);
            if (!holder.unexpected.isEmpty()) {
                for (Map.Entry<String, java.util.concurrent.atomic.AtomicInteger> entry : holder.unexpected.entrySet()) {
                    System.out.println("  unexpected: " + entry.getKey() + " x" + entry.getValue().get());
                }
            }
            if (holder.failure != null) {
                System.out.println("  load generator failed: " + holder.failure);
            }
            System.out.println();

            List<String[]> memory = new ArrayList<>();
            memory.add(new String[] {"James", "smtpserver-io threads", "smtpserver-N threads", "James threads", "fds",
                "shaping_held_connections", "heap after full GC", "RSS"});
            for (Snapshot s : List.of(before, held, after)) {
                memory.add(s.row());
            }
            System.out.println(TextTable.format(memory));
            System.out.printf(Locale.ROOT, "per held connection (%d held vs baseline): heap %+.0f bytes, RSS %+.1f KB "
                    + "(RSS includes the heap James grew and kept, and the kernel socket buffers are not in it)%n",
                stillOpen, (held.heapKb - before.heapKb) * 1024.0 / Math.max(1, stillOpen), (held.rssKb - before.rssKb) / (double) Math.max(1, stillOpen));
            System.out.println("live heap by class, holding vs baseline (jcmd GC.class_histogram), largest growth first:");
            List<String[]> classes = new ArrayList<>();
            classes.add(new String[] {"class", "instances +", "per connection", "bytes +", "bytes per connection"});
            histogramHeld.entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue()[1] - histogramBefore.getOrDefault(b.getKey(), new long[2])[1],
                    a.getValue()[1] - histogramBefore.getOrDefault(a.getKey(), new long[2])[1]))
                .limit(15)
                .forEach(entry -> {
                    long[] base = histogramBefore.getOrDefault(entry.getKey(), new long[2]);
                    long instances = entry.getValue()[0] - base[0];
                    long bytes = entry.getValue()[1] - base[1];
                    classes.add(new String[] {entry.getKey(), String.valueOf(instances),
                        String.format(Locale.ROOT, "%.2f", instances / (double) Math.max(1, stillOpen)), String.valueOf(bytes),
                        String.format(Locale.ROOT, "%.0f", bytes / (double) Math.max(1, stillOpen))});
                });
            System.out.println(TextTable.format(classes));
            System.out.printf(Locale.ROOT, "IO threads: %d before, at most %d during the hold, %d after%n%n", before.threads[0], threadsIoMax,
                after.threads[0]);

            List<String[]> latency = new ArrayList<>();
            latency.add(new String[] {"clean sender 127.0.0.2 (" + cleanSamples + " sessions)", "greeting p50", "greeting p99",
                "greeting max", "EHLO p50", "EHLO p99", "EHLO max"});
            latency.add(latencyRow("no held connection", cleanBefore));
            latency.add(latencyRow(stillOpen + " held connections", cleanDuring));
            System.out.println(TextTable.format(latency));
            System.out.println("(greeting: connect to 220; EHLO: EHLO sent to 250 received)");
        }
    }

    /** Live objects by class name: [instances, bytes]. */
    static Map<String, long[]> histogram(JamesChild james) throws Exception {
        Map<String, long[]> result = new java.util.HashMap<>();
        java.util.regex.Pattern row = java.util.regex.Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+).*$");
        for (String line : james.jcmd("GC.class_histogram").split("\n")) {
            java.util.regex.Matcher matcher = row.matcher(line);
            if (matcher.matches()) {
                result.merge(matcher.group(3), new long[] {Long.parseLong(matcher.group(1)), Long.parseLong(matcher.group(2))},
                    (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
            }
        }
        return result;
    }

    private static long unexpectedCount(NioHolder holder) {
        return holder.unexpected.values().stream().mapToLong(java.util.concurrent.atomic.AtomicInteger::get).sum();
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long wait = nanos - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    private static String[] latencyRow(String label, long[][] samples) {
        long[] greeting = Stats.sorted(samples[0]);
        long[] ehlo = Stats.sorted(samples[1]);
        return new String[] {label, BenchSupport.millis(Stats.percentile(greeting, 50)), BenchSupport.millis(Stats.percentile(greeting, 99)),
            BenchSupport.millis(greeting[greeting.length - 1]), BenchSupport.millis(Stats.percentile(ehlo, 50)),
            BenchSupport.millis(Stats.percentile(ehlo, 99)), BenchSupport.millis(ehlo[ehlo.length - 1])};
    }

    /** Sessions from the clean, unpinned 127.0.0.2: [connect-to-greeting nanos, EHLO nanos]. */
    static long[][] cleanSessions(int port, int count) throws Exception {
        long[] greeting = new long[count];
        long[] ehlo = new long[count];
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            try (BenchSmtp client = new BenchSmtp("127.0.0.2", port, 30_000)) {
                BenchSmtp.expect(220, client.reply(), client, "greeting");
                long greeted = System.nanoTime();
                BenchSmtp.expect(250, client.command("EHLO clean.example.org"), client, "EHLO");
                long ehloDone = System.nanoTime();
                client.command("QUIT");
                greeting[i] = greeted - start;
                ehlo[i] = ehloDone - greeted;
            }
        }
        return new long[][] {greeting, ehlo};
    }

    private static final class Snapshot {
        final String label;
        final int[] threads;
        final long fds;
        final double held;
        final long heapKb;
        final long rssKb;

        private Snapshot(String label, int[] threads, long fds, double held, long heapKb, long rssKb) {
            this.label = label;
            this.threads = threads;
            this.fds = fds;
            this.held = held;
            this.heapKb = heapKb;
            this.rssKb = rssKb;
        }

        static Snapshot take(JamesChild james, String label) throws Exception {
            int[] threads = james.threadCounts();
            long fds = james.openFds();
            double held = james.metric("shaping_held_connections");
            long heap = james.heapUsedAfterGcKb();
            return new Snapshot(label, threads, fds, held, heap, james.rssKb());
        }

        String[] row() {
            return new String[] {label, String.valueOf(threads[0]), String.valueOf(threads[1]), String.valueOf(threads[2]), String.valueOf(fds),
                String.format(Locale.ROOT, "%.0f", held), String.format(Locale.ROOT, "%.1f MB", heapKb / 1024.0),
                String.format(Locale.ROOT, "%.1f MB", rssKb / 1024.0)};
        }
    }
}
