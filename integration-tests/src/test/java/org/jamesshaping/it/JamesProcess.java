package org.jamesshaping.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jamesshaping.launcher.FreePorts;

/**
 * Another James server, in its own JVM, started the way {@code ./james-shaping run --mongo-uri} does: a second
 * member of a fleet. (Two James servers cannot share one JVM: their mailet containers register the same MBeans.)
 */
public final class JamesProcess implements AutoCloseable {
    private final Process process;
    private final int smtpPort;
    private final int webAdminPort;
    private final Path log;

    private JamesProcess(Process process, int smtpPort, int webAdminPort, Path log) {
        this.process = process;
        this.smtpPort = smtpPort;
        this.webAdminPort = webAdminPort;
        this.log = log;
    }

    public static JamesProcess start(Path data, String mongoUri) throws Exception {
        TestEnvironment.init();
        int smtpPort = FreePorts.belowEphemeralRange();
        int webAdminPort = FreePorts.belowEphemeralRange();
        Files.createDirectories(data);
        Path log = data.resolve("james.log");
        Path tuned = data.resolve("conf-sample");
        copyWithTestIntervals(tuned);
        List<String> command = List.of(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx512m",
            "-Djdk.net.hosts.file=" + System.getProperty("jdk.net.hosts.file"),
            "-Djames.exit.on.startup.error=true",
            "-Dlogback.configurationFile=" + TestEnvironment.sampleConf().resolve("logback.xml"),
            "-cp", System.getProperty("java.class.path"),
            "org.jamesshaping.launcher.Launcher",
            "--data", data.toString(),
            "--smtp-port", String.valueOf(smtpPort),
            "--webadmin-port", String.valueOf(webAdminPort),
            "--jmx-port", String.valueOf(FreePorts.belowEphemeralRange()),
            "--mongo-uri", mongoUri,
            "--conf", tuned.toString(),
            "--jar", TestEnvironment.extensionJar().toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        JamesProcess james = new JamesProcess(process, smtpPort, webAdminPort, log);
        try {
            Eventually.within(Duration.ofSeconds(90), () -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("James exited: " + Files.readString(log));
                }
                if (james.webAdmin().get("/shaping/reputation?limit=1").status != 200) {
                    throw new IllegalStateException("not ready");
                }
            });
        } catch (Exception e) {
            james.close();
            throw e;
        }
        return james;
    }

    /** The sample configuration with the same store settings as the in-JVM test servers. */
    private static void copyWithTestIntervals(Path target) throws IOException {
        Files.createDirectories(target);
        try (var files = Files.list(TestEnvironment.sampleConf())) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.copy(file, target.resolve(file.getFileName()));
            }
        }
        Path shaping = target.resolve("shaping.properties");
        String content = Files.readString(shaping)
            .replaceAll("(?m)^mongo.database=.*$", "mongo.database=james_shaping_it")
            .replaceAll("(?m)^cache.refresh.interval=.*$", "cache.refresh.interval=1s")
            .replaceAll("(?m)^flush.interval=.*$", "flush.interval=200ms")
            .replaceAll("(?m)^mongo.timeout=.*$", "mongo.timeout=500ms");
        Files.writeString(shaping, content);
    }

    public int smtpPort() {
        return smtpPort;
    }

    public WebAdminClient webAdmin() {
        return new WebAdminClient(webAdminPort);
    }

    public Path log() {
        return log;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
