package org.jamesshaping.bench.shaping;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jamesshaping.launcher.JamesProcess;

/**
 * James in its own JVM ({@link JamesProcess}), so that its heap, RSS, threads and CPU are measured apart from the
 * load generator's; with the WebAdmin calls, {@code jcmd} and /proc probes the benchmarks ask of it. Loopback only.
 */
public final class JamesChild implements AutoCloseable {
    final String name;
    final JamesProcess process;
    public final int smtpPort;
    public final int webAdminPort;
    public final Path log;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private JamesChild(JamesProcess process) {
        this.name = process.name();
        this.process = process;
        this.smtpPort = process.smtpPort();
        this.webAdminPort = process.webAdminPort();
        this.log = process.log();
    }

    static JamesChild start(String name, Path work, BenchConf conf, String heap) throws Exception {
        return start(name, work, conf, heap, System.getenv("BENCH_MONGO_URI"), false);
    }

    /**
     * With {@code mongoUri} null, James's launcher runs the embedded MongoDB inside James's JVM. With
     * {@code fixedHeap}, the heap is committed at its maximum from the start (see {@link JamesProcess.Builder#heap}).
     * JAMES_JVM_ARGS adds flags to James's JVM, e.g. {@code -XX:StartFlightRecording=filename=james-{name}.jfr}
     * ({name}: the variant's letter, so that each JVM writes its own file).
     */
    public static JamesChild start(String name, Path work, BenchConf conf, String heap, String mongoUri, boolean fixedHeap) throws Exception {
        return start(name, work, conf, heap, mongoUri, fixedHeap, BenchSupport.quietLogback(work));
    }

    /** As above with a logback configuration of the caller's; null: the conf folder's own logback.xml. */
    public static JamesChild start(String name, Path work, BenchConf conf, String heap, String mongoUri, boolean fixedHeap,
                                   Path logback) throws Exception {
        String extra = System.getenv("JAMES_JVM_ARGS");
        JamesProcess process = JamesProcess.builder(name, work, conf.dir(), BenchSupport.extensionJar())
            .heap(heap, fixedHeap)
            .mongoUri(mongoUri)
            .logback(logback)
            .jvmFlags(BenchSupport.jvmFlags(extra == null ? null : extra.replace("{name}", name)))
            .start();
        JamesChild child = new JamesChild(process);
        Runtime.getRuntime().addShutdownHook(new Thread(child::kill));
        return child;
    }

    public long pid() {
        return process.pid();
    }

    void kill() {
        process.kill();
    }

    /** GET or PUT to WebAdmin; returns status and body. */
    public String[] webAdmin(String method, String path, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webAdminPort + path))
            .timeout(Duration.ofSeconds(60));
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
        pin(ipOrCidr, level, "benchmark");
    }

    /** Pins an address or network to a class, with the reason WebAdmin records. */
    public void pin(String ipOrCidr, int level, String reason) {
        String[] reply = webAdmin("PUT", "/shaping/reputation/" + ipOrCidr + "/status",
            "{\"class\":" + level + ",\"reason\":\"" + reason + "\"}");
        if (!"204".equals(reply[0])) {
            throw new IllegalStateException("pinning " + ipOrCidr + " to class " + level + ": " + reply[0] + " " + reply[1]);
        }
    }

    /** A gauge or counter of WebAdmin's /metrics (Prometheus text), or -1. */
    public double metric(String name) {
        String body = webAdmin("GET", "/metrics", null)[1];
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.eE+-]+)$").matcher(body);
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : -1;
    }

    /** A GET of WebAdmin's answered in {@code accept} (e.g. a mail as message/rfc822), as bytes; an IOException unless 200. */
    public byte[] webAdminBytes(String path, String accept) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webAdminPort + path)).timeout(Duration.ofSeconds(60))
            .header("Accept", accept).GET().build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + path + " as " + accept + ": " + response.statusCode());
        }
        return response.body();
    }

    /** Deletes every mailbox of {@code user} (James re-creates INBOX at the next delivery). */
    void deleteMailboxes(String user) {
        String[] reply = webAdmin("DELETE", "/users/" + user + "/mailboxes", null);
        if (!reply[0].startsWith("2")) {
            throw new IllegalStateException("deleting the mailboxes of " + user + ": " + reply[0] + " " + reply[1]);
        }
    }

    /** Mails waiting in James's spool queue, or -1. */
    public long spoolSize() {
        String[] reply = webAdmin("GET", "/mailQueues/spool", null);
        Matcher matcher = Pattern.compile("\"size\"\\s*:\\s*(\\d+)").matcher(reply[1]);
        return "200".equals(reply[0]) && matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
    }

    /** Waits (at most {@code maxSeconds}) until the spool is empty; returns the time waited in ms. */
    public long awaitSpoolEmpty(int maxSeconds) throws InterruptedException {
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

    public long rssKb() throws IOException {
        return statusField("VmRSS");
    }

    /** CPU time the JVM has used, user plus system, in clock ticks. */
    public long cpuTicks() throws IOException {
        return ProcCpu.cpuTicks(pid());
    }

    /**
     * CPU time of the JVM's JIT compiler threads (named "C1 CompilerThread..." and "C2 CompilerThread..."), in
     * clock ticks: how much compiling is still going on.
     */
    long compilerTicks() throws IOException {
        return ProcCpu.byGroup(threadTicks()).getOrDefault("CN CompilerThre", 0L);
    }

    /**
     * CPU time used so far by each live thread of the JVM, by thread id. A thread that ends between two readings
     * takes its time with it: compare two readings with {@link ProcCpu#groupDeltas}.
     */
    Map<Integer, ProcCpu.ThreadTicks> threadTicks() throws IOException {
        return ProcCpu.threadTicks(pid());
    }

    public long osThreads() throws IOException {
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

    public String jcmd(String... args) throws Exception {
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
