package org.jamesshaping.launcher;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import org.jamesshaping.testsupport.FreePorts;

/**
 * A James server in a JVM of its own, started through {@link Launcher} as {@code ./james-shaping run} does: another
 * member of a fleet in the tests (two James servers cannot share a JVM: their mailet containers register the same
 * MBeans), a server measured apart from its load generator in the benchmarks. Its configuration is a copy of the
 * sample with checked edits ({@link ConfFolder}); the extension is loaded only from its {@code extensions-jars/}.
 */
public final class JamesProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final int smtpPort;
    private final int webAdminPort;
    private final int jmxPort;
    private final Path log;

    private JamesProcess(String name, Process process, int smtpPort, int webAdminPort, int jmxPort, Path log) {
        this.name = name;
        this.process = process;
        this.smtpPort = smtpPort;
        this.webAdminPort = webAdminPort;
        this.jmxPort = jmxPort;
        this.log = log;
    }

    /** A James named {@code name} (for its files and messages) working in {@code work}. */
    public static Builder builder(String name, Path work, Path sampleConf, Path extensionJar) {
        return new Builder(name, work, sampleConf, extensionJar);
    }

    public static final class Builder {
        private final String name;
        private final Path work;
        private final Path sampleConf;
        private final Path extensionJar;
        private final List<Consumer<ConfFolder>> edits = new ArrayList<>();
        private final List<String> jvmFlags = new ArrayList<>();
        private String mongoUri;
        private String heap = "512m";
        private boolean fixedHeap;
        private Path logback;
        private Duration startTimeout = Duration.ofSeconds(180);

        private Builder(String name, Path work, Path sampleConf, Path extensionJar) {
            this.name = name;
            this.work = work;
            this.sampleConf = sampleConf;
            this.extensionJar = extensionJar;
        }

        /** An edit of the copied sample configuration; fails at start if the text it changes is missing. */
        public Builder conf(Consumer<ConfFolder> edit) {
            edits.add(edit);
            return this;
        }

        /** The MongoDB to use; without one, the launcher runs an embedded one inside James's JVM. */
        public Builder mongoUri(String uri) {
            this.mongoUri = uri;
            return this;
        }

        /**
         * The maximum heap; with {@code fixed}, committed from the start ({@code -Xms} = {@code -Xmx}), so that G1
         * sizes the young generation alike in every JVM rather than from each one's start-up history.
         */
        public Builder heap(String maxHeap, boolean fixed) {
            this.heap = maxHeap;
            this.fixedHeap = fixed;
            return this;
        }

        public Builder jvmFlags(List<String> flags) {
            jvmFlags.addAll(flags);
            return this;
        }

        public Builder logback(Path file) {
            this.logback = file;
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /** Starts James and waits until the launcher says it runs; the caller closes it. */
        public JamesProcess start() throws IOException, InterruptedException {
            Path data = Files.createDirectories(work.resolve("data-" + name));
            // This JVM's keystore, so that each child does not make its own (the launcher keeps one it finds).
            Keystores.ensureSelfSigned(data.resolve("james").resolve("conf").resolve(Keystores.FILE));
            ConfFolder conf = ConfFolder.copyOf(sampleConf, work.resolve("conf-" + name));
            edits.forEach(edit -> edit.accept(conf));
            Path hosts = System.getProperty("jdk.net.hosts.file") != null
                ? Paths.get(System.getProperty("jdk.net.hosts.file")) : HostsFile.write(work.resolve("hosts"));
            int smtp = FreePorts.belowEphemeralRange();
            int webAdmin = FreePorts.belowEphemeralRange();
            int jmx = FreePorts.belowEphemeralRange();
            List<String> command = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap,
                "-Djdk.net.hosts.file=" + hosts,
                "-Djdk.tls.ephemeralDHKeySize=2048",
                "-Djames.exit.on.startup.error=true",
                "-Dlogback.configurationFile=" + (logback != null ? logback : conf.dir().resolve("logback.xml"))));
            if (fixedHeap) {
                command.add("-Xms" + heap);
            }
            command.addAll(jvmFlags);
            command.addAll(List.of(
                "-cp", launcherClasspath(),
                Launcher.class.getName(),
                "--data", data.toString(),
                "--smtp-port", String.valueOf(smtp),
                "--webadmin-port", String.valueOf(webAdmin),
                "--jmx-port", String.valueOf(jmx),
                // Submission and IMAP on ports of the system's choosing: fleet members run side by side.
                "--submission-port", "0",
                "--smtps-port", "0",
                "--imap-port", "0",
                "--imaps-port", "0",
                mongoUri != null ? "--mongo-uri" : "--mongo-port",
                mongoUri != null ? mongoUri : String.valueOf(FreePorts.belowEphemeralRange()),
                "--conf", conf.dir().toString(),
                "--jar", extensionJar.toString()));
            Path log = work.resolve("james-" + name + ".log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            JamesProcess james = new JamesProcess(name, process, smtp, webAdmin, jmx, log);
            try {
                james.awaitReady(startTimeout);
            } catch (IOException | RuntimeException | InterruptedException e) {
                james.close();
                throw e;
            }
            return james;
        }
    }

    /**
     * This JVM's class path without the extension: James must load it from {@code extensions-jars/} only, as in
     * production (a copy on its class path would win, parent first, over the shaded jar).
     */
    static String launcherClasspath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(entry -> !isExtension(entry))
            .collect(Collectors.joining(File.pathSeparator));
    }

    static boolean isExtension(String classpathEntry) {
        Path path = Paths.get(classpathEntry);
        String file = path.getFileName() == null ? "" : path.getFileName().toString();
        return file.startsWith("james-shaping-extension") || classpathEntry.contains("james-shaping-extension" + File.separator + "target");
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.readString(log).contains(Launcher.READY)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("James '" + name + "' exited at start, see " + log + ":\n" + logTail(30));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("James '" + name + "' not up within " + timeout + ", see " + log + ":\n" + logTail(30));
            }
            Thread.sleep(100);
        }
    }

    /** The last lines of its log. */
    public String logTail(int lines) throws IOException {
        List<String> all = Files.readAllLines(log);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    public String name() {
        return name;
    }

    public int smtpPort() {
        return smtpPort;
    }

    public int webAdminPort() {
        return webAdminPort;
    }

    public int jmxPort() {
        return jmxPort;
    }

    public Path log() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Kills it at once, as a crash would. */
    public void kill() {
        process.destroyForcibly();
    }

    /** Stops it as SIGTERM does (James writes buffered reputation first), forcibly after 30 seconds. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
