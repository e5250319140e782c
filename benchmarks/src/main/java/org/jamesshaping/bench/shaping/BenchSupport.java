package org.jamesshaping.bench.shaping;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import org.jamesshaping.launcher.Launcher;

/**
 * What the shaping benchmarks share besides James ({@link JamesChild}), its configuration ({@link BenchConf}) and the
 * statistics ({@link org.jamesshaping.bench.Stats}): where the repository and work folders are, JVM flags, the
 * machine line and time formatting.
 */
public final class BenchSupport {
    private BenchSupport() {
    }

    /** The repository root: -Dbench.root, else the current folder or its parent (run from benchmarks/). */
    public static Path root() {
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

    public static Path workDir(String name) throws IOException {
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
    public static Path quietLogback(Path work) throws IOException {
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

    /** JVM flags given as one string in an environment variable, split on blanks; none for null or blank. */
    static List<String> jvmFlags(String flags) {
        return flags == null || flags.isBlank() ? List.of() : Arrays.asList(flags.trim().split("\\s+"));
    }

    /** Nanoseconds as milliseconds with two decimals, or "-" for a missing value (negative). */
    static String millis(long nanos) {
        return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
    }

    public static String machine() throws Exception {
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
