package org.jamesshaping.bench.filter;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Debian's bogofilter, run as a separate process on message files: the peer the predictive filter is compared with. */
final class Bogofilter {
    private Bogofilter() {
    }

    static boolean installed() {
        try {
            Process process = new ProcessBuilder("bogofilter", "-V").redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static String version() {
        try {
            Process process = new ProcessBuilder("bogofilter", "-V").redirectErrorStream(true).start();
            String first = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
            process.waitFor();
            return first == null ? "" : first.replaceAll(".*version\\s+", "").trim();
        } catch (IOException | InterruptedException e) {
            return "";
        }
    }

    /**
     * Trains a fresh database on the given files and classifies {@code test} (default cutoffs; "unsure" counts as
     * not caught), adding each verdict to {@code result}; {@code isSpam} maps a file path to its label.
     */
    static void trainAndTest(List<String> trainSpam, List<String> trainHam, List<String> test, Map<String, Boolean> isSpam,
                             FilterResult result) throws IOException, InterruptedException {
        Path database = Files.createTempDirectory("bogofilter");
        try {
            run(database, "-s", trainSpam, null);
            run(database, "-n", trainHam, null);
            long start = System.nanoTime();
            run(database, "-T", test, line -> {
                String[] parts = line.trim().split("\\s+");
                if (parts.length >= 3 && isSpam.containsKey(parts[0])) {
                    result.add(isSpam.get(parts[0]), parts[1].equals("S"), Double.parseDouble(parts[2]));
                    result.classified++;
                }
            });
            result.classifyNanos += System.nanoTime() - start;
        } finally {
            deleteRecursively(database);
        }
    }

    /** Trains a database in {@code database} (for the speed comparison, which classifies with it later). */
    static void train(Path database, List<String> spam, List<String> ham) throws IOException, InterruptedException {
        run(database, "-s", spam, null);
        run(database, "-n", ham, null);
    }

    static void run(Path database, String mode, List<String> files, Consumer<String> lines) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bogofilter", "-d", database.toString(), mode, "-B"));
        command.addAll(files);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (lines != null) {
                    lines.accept(line);
                }
            }
        }
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IOException("bogofilter timed out");
        }
    }

    static void deleteRecursively(Path path) throws IOException {
        try (var walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
    }
}
