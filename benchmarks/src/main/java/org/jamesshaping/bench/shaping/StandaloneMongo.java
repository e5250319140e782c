package org.jamesshaping.bench.shaping;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jamesshaping.testsupport.EmbeddedMongo;
import org.jamesshaping.testsupport.FreePorts;

/**
 * The embedded MongoDB in a process of its own, for benchmarks that must not charge MongoDB's CPU to James's JVM
 * (as a production MongoDB would not be). The overhead benchmark starts one itself ({@link #launch}); for the
 * others, {@code BENCH_MONGO_URI=mongodb://127.0.0.1:PORT} makes the benchmarks' James use one started by hand.
 */
public final class StandaloneMongo implements AutoCloseable {
    private static final String READY = "MongoDB wire-protocol server on ";

    private final Process process;
    public final String uri;

    private StandaloneMongo(Process process, String uri) {
        this.process = process;
        this.uri = uri;
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        EmbeddedMongo mongo = EmbeddedMongo.inMemory().start(port);
        Runtime.getRuntime().addShutdownHook(new Thread(mongo::stop));
        System.out.println(READY + mongo.uri());
        Thread.currentThread().join();
    }

    /** Starts one in a child JVM (same classpath, logging at WARN, log in {@code work}) and waits until it listens. */
    public static StandaloneMongo launch(Path work) throws Exception {
        int port = FreePorts.belowEphemeralRange();
        Path logback = BenchSupport.quietLogback(work);
        Path log = work.resolve("mongo.log");
        List<String> command = new ArrayList<>(List.of(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
            "-Dlogback.configurationFile=" + logback));
        // It serves a request or two a second, so the JIT would leave it interpreted for minutes, in CPU bursts on
        // James's cores, where a real MongoDB is native code on another machine: compiled at once by C1 instead.
        // MONGO_JVM_ARGS replaces these flags.
        String flags = System.getenv("MONGO_JVM_ARGS");
        if (flags == null) {
            flags = "-XX:TieredStopAtLevel=1 -XX:Tier3InvocationThreshold=20 -XX:Tier3MinInvocationThreshold=10 "
                + "-XX:Tier3CompileThreshold=200 -XX:Tier3BackEdgeThreshold=2000";
        }
        command.addAll(BenchSupport.jvmFlags(flags));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), StandaloneMongo.class.getName(), String.valueOf(port)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        StandaloneMongo mongo = new StandaloneMongo(process, "mongodb://127.0.0.1:" + port);
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(log).contains(READY)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                mongo.close();
                throw new IllegalStateException("MongoDB process did not start, see " + log);
            }
            Thread.sleep(100);
        }
        return mongo;
    }

    public long pid() {
        return process.pid();
    }

    /** User plus system CPU time of the process, in clock ticks. */
    public long cpuTicks() throws IOException {
        return ProcCpu.cpuTicks(pid());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
