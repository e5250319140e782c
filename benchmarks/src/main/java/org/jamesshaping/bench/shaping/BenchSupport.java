package org.jamesshaping.bench.shaping;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jamesshaping.launcher.ConfFolder;
import org.jamesshaping.launcher.JamesProcess;
import org.jamesshaping.launcher.Launcher;

/**
 * What the shaping benchmarks share: configuration folders derived from {@code james-conf/}, James started as a
 * child JVM through the launcher's main (so that its heap, RSS and threads are measured apart from the load
 * generator), WebAdmin calls, {@code jcmd} probes, percentiles and tables. Loopback only.
 */
final class BenchSupport {
    private BenchSupport() {
    }

    /** The repository root: -Dbench.root, else the current folder or its parent (run from benchmarks/). */
    static Path root() {
        String configured = System.getProperty("bench.root");
        if (configured != null) {
            return Paths.get(configured).toAbsolutePath().normalize();
        }
        Path here = Paths.get("").toAbsolutePath();
        if (Files.isDirectory(here.resolve("james-conf"))) {
            return here;
        }
        if (Files.isDirectory(here.resolve("../james-conf"))) {
            return here.getParent();
        }
        throw new IllegalStateException("Cannot find james-conf/: run from the repository root or set -Dbench.root");
    }

    static Path workDir(String name) throws IOException {
        Path dir = root().resolve("benchmarks/target/bench").resolve(name);
        deleteTree(dir);
        return Files.createDirectories(dir);
    }

    static Path extensionJar() throws IOException {
        return Launcher.builtJar(root());
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /** A logback configuration at WARN, written once into {@code work}: benchmarks measure, they do not log. */
    static Path quietLogback(Path work) throws IOException {
        Path logback = work.resolve("logback-quiet.xml");
        if (!Files.exists(logback)) {
            Files.writeString(logback, "<configuration>\n"
                + "  <appender name=\"CONSOLE\" class=\"ch.qos.logback.core.ConsoleAppender\">\n"
                + "    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>\n"
                + "  </appender>\n"
                + "  <root level=\"WARN\"><appender-ref ref=\"CONSOLE\"/></root>\n"
                + "</configuration>\n");
        }
        return logback;
    }

    /** One thread's CPU time so far, in clock ticks, and the group it is counted in. */
    static final class ThreadTicks {
        final String group;
        final long ticks;

        ThreadTicks(String group, long ticks) {
            this.group = group;
            this.ticks = ticks;
        }
    }

    /**
     * The CPU each group of threads used between two readings: each thread alive at the second reading counts
     * from its first reading (or from zero, when it started in between). Threads that ended in between are in
     * none of the groups (their time is the process's time less the groups' sum); subtracting the groups' sums
     * instead charged a group with minus the time of its threads that ended.
     */
    static Map<String, Long> groupDeltas(Map<Integer, ThreadTicks> before, Map<Integer, ThreadTicks> after) {
        Map<String, Long> deltas = new TreeMap<>();
        after.forEach((id, thread) -> {
            ThreadTicks earlier = before.get(id);
            long from = earlier != null && earlier.group.equals(thread.group) ? earlier.ticks : 0;
            deltas.merge(thread.group, thread.ticks - from, Long::sum);
        });
        return deltas;
    }

    /**
     * CPU time a process has used, user plus system, in clock ticks (fields 14 and 15 of /proc/PID/stat; the
     * command name before them may contain spaces, so fields are counted from its closing parenthesis).
     */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Paths.get("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields[0] is field 3 (state): utime is field 14, stime field 15.
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    // ------------------------------------------------------------------ configuration folders

    /** A copy of james-conf/ with checked text replacements (each must find its text, so drift is loud). */
    static final class Conf {
        /** The shaper's {@code <handler>} block in smtpserver.xml, with its configuration (a regular expression). */
        private static final String TRAFFIC_SHAPER_BLOCK = "<handler class=\"org\\.jamesshaping\\.smtp\\.TrafficShaper\">.*?</handler>";
        /** The signal recorder's {@code <handler>} line (a regular expression). */
        private static final String SIGNAL_RECORDER_LINE = "<handler class=\"org\\.jamesshaping\\.smtp\\.SmtpSignalRecorder\"/>";

        private final ConfFolder folder;

        private Conf(ConfFolder folder) {
            this.folder = folder;
        }

        static Conf copyOfSample(Path dir) throws IOException {
            return new Conf(ConfFolder.copyOf(root().resolve("james-conf"), dir));
        }

        Path dir() {
            return folder.dir();
        }

        String read(String file) {
            return folder.read(file);
        }

        void write(String file, String content) {
            folder.write(file, content);
        }

        Conf replace(String file, String expected, String replacement) {
            folder.replace(file, expected, replacement);
            return this;
        }

        Conf replaceRegex(String file, String regex, String replacement) {
            folder.replaceRegex(file, regex, replacement);
            return this;
        }

        /** The content-filter mailets (they need the extension's Guice module), as if never configured. */
        Conf withoutContentFilters() throws IOException {
            replaceRegex("mailetcontainer.xml", "\\s*<mailet match=\"[^\"]*\" class=\"org\\.jamesshaping\\.[^\"]*\">.*?</mailet>", "");
            String content = read("mailetcontainer.xml");
            write("mailetcontainer.xml", content.replaceAll("(?s)\\s*<mailet match=\"org\\.jamesshaping\\.[^\"]*\" class=\"[^\"]*\">.*?</mailet>", ""));
            return this;
        }

        /**
         * Plain James: no james-shaping handler, James's default core handlers (with its welcome handler), no
         * Guice module or startable, no WebAdmin routes of the extension. Everything else as in james-conf/.
         */
        Conf withoutExtension() throws IOException {
            withoutShapingHandlers();
            replaceRegex("extensions.properties", "(?m)^guice\\.extension\\.module=[^\\n]*$", "");
            replaceRegex("extensions.properties", "(?m)^guice\\.extension\\.startable=[^\\n]*$", "");
            replace("webadmin.properties", "org.jamesshaping.admin.ShapingRoutes,", "");
            replace("webadmin.properties", "org.jamesshaping.admin.ContentReportRoutes,", "");
            for (String file : List.of("smtpserver.xml", "mailetcontainer.xml", "extensions.properties", "webadmin.properties")) {
                String live = read(file).replaceAll("(?s)<!--.*?-->", "").replaceAll("(?m)^\\s*#.*$", "");
                if (live.contains("org.jamesshaping")) {
                    throw new IllegalStateException(file + " still references org.jamesshaping after removing the extension");
                }
            }
            return this;
        }

        /**
         * The extension's module, store and WebAdmin routes without its SMTP handlers (James's default core
         * handlers, no shaper, no signal recorder) nor content filters: what the extension costs before it looks at
         * a single connection.
         */
        Conf withoutShapingHandlers() throws IOException {
            withoutContentFilters();
            replace("smtpserver.xml", " coreHandlersPackage=\"org.jamesshaping.smtp.ShapingCoreCmdHandlerLoader\"", "");
            replaceRegex("smtpserver.xml", "\\s*" + TRAFFIC_SHAPER_BLOCK, "");
            replaceRegex("smtpserver.xml", "\\s*" + SIGNAL_RECORDER_LINE, "");
            if (read("smtpserver.xml").replaceAll("(?s)<!--.*?-->", "").contains("org.jamesshaping")) {
                throw new IllegalStateException("smtpserver.xml still references org.jamesshaping after removing the shaping handlers");
            }
            return this;
        }

        /**
         * The extension with its two SMTP handlers replaced by ones that do nothing ({@link NoopShaper}, which writes
         * the greeting, and {@link NoopSignalRecorder}): the same chain, module and core handlers, without the
         * handlers' work. What James spends on having them in its chain.
         */
        Conf withNoopShapingHandlers() throws IOException {
            withoutContentFilters();
            replaceRegex("smtpserver.xml", TRAFFIC_SHAPER_BLOCK, "<handler class=\"" + NoopShaper.class.getName() + "\"/>");
            replaceRegex("smtpserver.xml", SIGNAL_RECORDER_LINE, "<handler class=\"" + NoopSignalRecorder.class.getName() + "\"/>");
            return this;
        }

        /**
         * Local delivery discarded (Null mailet) after AddDeliveredToHeader: James memory's delivery guesses thread
         * ids by searching the whole mailbox, which makes each delivery slower as the mailbox grows.
         */
        Conf discardLocalDelivery() throws IOException {
            return replace("mailetcontainer.xml", "<mailet match=\"All\" class=\"LocalDelivery\"/>", "<mailet match=\"All\" class=\"Null\"/>");
        }

        /** Replaces the TrafficShaper's preset line with the preset followed by class overrides. */
        Conf shaperClasses(String classesXml) throws IOException {
            return replace("smtpserver.xml", "<preset>stage3</preset>", "<preset>stage3</preset>\n" + classesXml);
        }
    }

    /** A {@code <class>} override block with every key given. Durations like "20s", rates in bytes/s, 0 = none. */
    static String classBlock(int level, String greetingDelay, String replyDelay, long commandRate, long dataRate,
                             int perIp, int perSubnet, int perMinute, int rcpts, int msgs) {
        return String.format(Locale.ROOT, "                <class level=\"%d\"><greetingDelay>%s</greetingDelay><replyDelay>%s</replyDelay>"
                + "<commandReadRate>%d</commandReadRate><dataReadRate>%d</dataReadRate><maxConnectionsPerIp>%d</maxConnectionsPerIp>"
                + "<maxConnectionsPerSubnet>%d</maxConnectionsPerSubnet><connectionsPerMinutePerIp>%d</connectionsPerMinutePerIp>"
                + "<maxRecipientsPerTransaction>%d</maxRecipientsPerTransaction><maxMessagesPerConnection>%d</maxMessagesPerConnection></class>\n",
            level, greetingDelay, replyDelay, commandRate, dataRate, perIp, perSubnet, perMinute, rcpts, msgs);
    }

    // ------------------------------------------------------------------ James as a child JVM

    /** James in its own JVM ({@link JamesProcess}), with what the benchmarks ask of it. */
    static final class JamesChild implements AutoCloseable {
        final String name;
        final JamesProcess process;
        final int smtpPort;
        final int webAdminPort;
        final Path log;
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        private JamesChild(JamesProcess process) {
            this.name = process.name();
            this.process = process;
            this.smtpPort = process.smtpPort();
            this.webAdminPort = process.webAdminPort();
            this.log = process.log();
        }

        static JamesChild start(String name, Path work, Conf conf, String heap) throws Exception {
            return start(name, work, conf, heap, System.getenv("BENCH_MONGO_URI"), false);
        }

        /**
         * With {@code mongoUri} null, James's launcher runs the embedded MongoDB inside James's JVM. With
         * {@code fixedHeap}, the heap is committed at its maximum from the start (see {@link JamesProcess.Builder#heap}).
         * JAMES_JVM_ARGS adds flags to James's JVM, e.g. {@code -XX:StartFlightRecording=filename=james-{name}.jfr}
         * ({name}: the variant's letter, so that each JVM writes its own file).
         */
        static JamesChild start(String name, Path work, Conf conf, String heap, String mongoUri, boolean fixedHeap) throws Exception {
            String extra = System.getenv("JAMES_JVM_ARGS");
            JamesProcess process = JamesProcess.builder(name, work, conf.dir(), extensionJar())
                .heap(heap, fixedHeap)
                .mongoUri(mongoUri)
                .logback(quietLogback(work))
                .jvmFlags(jvmFlags(extra == null ? null : extra.replace("{name}", name)))
                .start();
            JamesChild child = new JamesChild(process);
            Runtime.getRuntime().addShutdownHook(new Thread(child::kill));
            return child;
        }

        long pid() {
            return process.pid();
        }

        void kill() {
            process.kill();
        }

        /** GET or PUT to WebAdmin; returns status and body. */
        String[] webAdmin(String method, String path, String json) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webAdminPort + path))
                .timeout(Duration.ofSeconds(20));
            if ("DELETE".equals(method)) {
                request.DELETE();
            } else if ("PUT".equals(method)) {
                request.header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json));
            } else {
                request.GET();
            }
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                return new String[] {String.valueOf(response.statusCode()), response.body()};
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        void pin(String ipOrCidr, int level) {
            String[] reply = webAdmin("PUT", "/shaping/reputation/" + ipOrCidr + "/status",
                "{\"class\":" + level + ",\"reason\":\"benchmark\"}");
            if (!"204".equals(reply[0])) {
                throw new IllegalStateException("pinning " + ipOrCidr + " to class " + level + ": " + reply[0] + " " + reply[1]);
            }
        }

        /** A gauge or counter of WebAdmin's /metrics (Prometheus text), or -1. */
        double metric(String name) {
            String body = webAdmin("GET", "/metrics", null)[1];
            Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.eE+-]+)$").matcher(body);
            return matcher.find() ? Double.parseDouble(matcher.group(1)) : -1;
        }

        /** Deletes every mailbox of {@code user} (James re-creates INBOX at the next delivery). */
        void deleteMailboxes(String user) {
            String[] reply = webAdmin("DELETE", "/users/" + user + "/mailboxes", null);
            if (!reply[0].startsWith("2")) {
                throw new IllegalStateException("deleting the mailboxes of " + user + ": " + reply[0] + " " + reply[1]);
            }
        }

        /** Mails waiting in James's spool queue, or -1. */
        long spoolSize() {
            String[] reply = webAdmin("GET", "/mailQueues/spool", null);
            Matcher matcher = Pattern.compile("\"size\"\\s*:\\s*(\\d+)").matcher(reply[1]);
            return "200".equals(reply[0]) && matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
        }

        /** Waits (at most {@code maxSeconds}) until the spool is empty; returns the time waited in ms. */
        long awaitSpoolEmpty(int maxSeconds) throws InterruptedException {
            long start = System.nanoTime();
            long deadline = start + TimeUnit.SECONDS.toNanos(maxSeconds);
            while (System.nanoTime() < deadline && spoolSize() > 0) {
                Thread.sleep(200);
            }
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }

        /** Heap used (KB) after two full GCs, from {@code jcmd GC.heap_info}. */
        long heapUsedAfterGcKb() throws Exception {
            jcmd("GC.run");
            Thread.sleep(500);
            jcmd("GC.run");
            String info = jcmd("GC.heap_info");
            Matcher matcher = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K").matcher(info);
            if (!matcher.find()) {
                throw new IllegalStateException("cannot read heap usage from: " + info);
            }
            return Long.parseLong(matcher.group(1));
        }

        long rssKb() throws IOException {
            return statusField("VmRSS");
        }

        /** CPU time the JVM has used, user plus system, in clock ticks. */
        long cpuTicks() throws IOException {
            return BenchSupport.cpuTicks(pid());
        }

        /**
         * CPU time of the JVM's JIT compiler threads (named "C1 CompilerThread..." and "C2 CompilerThread..."), in
         * clock ticks: how much compiling is still going on.
         */
        long compilerTicks() throws IOException {
            return threadGroupTicks().getOrDefault("CN CompilerThre", 0L);
        }

        /**
         * CPU time used so far by each group of the JVM's threads, in clock ticks: threads are grouped by name with
         * their digits replaced by N ("smtpserver-io-N"), names as Linux keeps them (15 characters). A thread that
         * ends between two readings takes its time with it: to compare two readings, use {@link #threadTicks} and
         * {@link BenchSupport#groupDeltas}.
         */
        Map<String, Long> threadGroupTicks() throws IOException {
            Map<String, Long> ticks = new TreeMap<>();
            threadTicks().values().forEach(thread -> ticks.merge(thread.group, thread.ticks, Long::sum));
            return ticks;
        }

        /** CPU time used so far by each live thread of the JVM, by thread id. */
        Map<Integer, ThreadTicks> threadTicks() throws IOException {
            Map<Integer, ThreadTicks> threads = new HashMap<>();
            try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Paths.get("/proc/" + pid() + "/task"))) {
                for (Path task : tasks) {
                    String stat;
                    try {
                        stat = Files.readString(task.resolve("stat"));
                    } catch (IOException threadEnded) {
                        continue;
                    }
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "N");
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    threads.put(Integer.parseInt(task.getFileName().toString()),
                        new ThreadTicks(name, Long.parseLong(fields[11]) + Long.parseLong(fields[12])));
                }
            }
            return threads;
        }

        long osThreads() throws IOException {
            return statusField("Threads");
        }

        private long statusField(String field) throws IOException {
            for (String line : Files.readAllLines(Paths.get("/proc/" + pid() + "/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            return -1;
        }

        long openFds() throws IOException {
            try (Stream<Path> fds = Files.list(Paths.get("/proc/" + pid() + "/fd"))) {
                return fds.count();
            }
        }

        /** Live Java threads by family: [smtpserver-io-*, smtpserver-<n> executors, all]. */
        int[] threadCounts() throws Exception {
            String dump = jcmd("Thread.print");
            int io = 0;
            int executor = 0;
            int all = 0;
            for (String line : dump.split("\n")) {
                if (!line.startsWith("\"")) {
                    continue;
                }
                all++;
                String threadName = line.substring(1, line.indexOf('"', 1));
                if (threadName.startsWith("smtpserver-io-")) {
                    io++;
                } else if (threadName.matches("smtpserver-\\d+")) {
                    executor++;
                }
            }
            return new int[] {io, executor, all};
        }

        String jcmd(String... args) throws Exception {
            List<String> command = new ArrayList<>();
            command.add(Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString());
            command.add(String.valueOf(pid()));
            command.addAll(Arrays.asList(args));
            Process jcmd = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = jcmd.getInputStream().readAllBytes();
            if (!jcmd.waitFor(60, TimeUnit.SECONDS)) {
                jcmd.destroyForcibly();
                throw new IllegalStateException("jcmd " + String.join(" ", args) + " timed out");
            }
            return new String(out, StandardCharsets.UTF_8);
        }

        /** SIGTERM (James stops cleanly through the launcher's shutdown hook), then SIGKILL after 30s. */
        @Override
        public void close() throws InterruptedException {
            process.close();
        }
    }

    // ------------------------------------------------------------------ figures

    /** JVM flags given as one string in an environment variable, split on blanks; none for null or blank. */
    static List<String> jvmFlags(String flags) {
        return flags == null || flags.isBlank() ? List.of() : Arrays.asList(flags.trim().split("\\s+"));
    }

    /** Value at percentile p (0..100) of a sorted array, nearest-rank. */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    static long[] sorted(long[] values) {
        long[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }

    static String micros(long nanos) {
        return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
    }

    static double median(double[] values) {
        double[] copy = values.clone();
        Arrays.sort(copy);
        int n = copy.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? copy[n / 2] : (copy[n / 2 - 1] + copy[n / 2]) / 2;
    }

    /** A plain-text table: the first row is the header. */
    static String table(List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder line = new StringBuilder("|");
            for (int i = 0; i < columns; i++) {
                String cell = rows.get(r)[i];
                line.append(' ').append(i == 0 ? pad(cell, width[i]) : padLeft(cell, width[i])).append(" |");
            }
            out.append(line).append('\n');
            if (r == 0) {
                StringBuilder rule = new StringBuilder("|");
                for (int i = 0; i < columns; i++) {
                    rule.append(i == 0 ? "-" : "-").append("-".repeat(width[i])).append(i == 0 ? "-|" : ":|");
                }
                out.append(rule).append('\n');
            }
        }
        return out.toString();
    }

    private static String pad(String text, int width) {
        return text + " ".repeat(width - text.length());
    }

    private static String padLeft(String text, int width) {
        return " ".repeat(width - text.length()) + text;
    }

    static String machine() throws Exception {
        String mem = "";
        for (String line : Files.readAllLines(Paths.get("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                mem = String.format(Locale.ROOT, "%.1f GiB RAM", Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0);
            }
        }
        return Runtime.getRuntime().availableProcessors() + " cores, " + mem + ", Java " + System.getProperty("java.vm.version")
            + " (" + System.getProperty("java.vm.name") + "), " + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }
}
