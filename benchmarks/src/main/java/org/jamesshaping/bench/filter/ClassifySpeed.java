package org.jamesshaping.bench.filter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.mail.internet.MimeMessage;

import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetConfig;
import org.apache.mailet.MailetContext;
import org.jamesshaping.filter.FilterStores;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.mailet.PredictiveFilter;
import org.jamesshaping.filter.predictive.ModelCodec;
import org.jamesshaping.filter.predictive.ModelTrainer;
import org.jamesshaping.filter.predictive.PredictiveModel;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.store.StoreSettings;
import org.jamesshaping.testsupport.CorpusCache;

/**
 * Speed of the two ways mail is classified. The command line: {@code ./james-shaping filter classify} over a
 * 2,796-message batch (the size of the corpus's acceptance sets, drawn from the allowed ones: all of spam-1 and
 * hard-ham-1 and the first 2,046 of easy-ham-1), wall clock from the command to its last line, start-up included,
 * against {@code bogofilter -T -B} over the same files with a database trained on the same mail; each run 3 times,
 * alternating, on one core and on every core. The mailet: {@link PredictiveFilter#service} per message, as James's
 * spooler calls it, after a warm-up pass.
 */
final class ClassifySpeed {
    static final int BATCH = 2_796;
    private static final int ROUNDS = 3;

    private ClassifySpeed() {
    }

    static void run(FilterBenchmark.Prepared prepared, boolean withBogofilter) throws Exception {
        List<CorpusCache.CorpusMessage> corpus = prepared.corpus;
        List<Integer> batch = new ArrayList<>();
        int easyHam = 0;
        for (int i = 0; i < corpus.size(); i++) {
            boolean easy = corpus.get(i).set().equals(CorpusCache.EASY_HAM);
            if (!easy || easyHam++ < BATCH - 750) {
                batch.add(i);
            }
        }
        List<String> files = new ArrayList<>();
        for (int i : batch) {
            files.add(corpus.get(i).path().toString());
        }
        Path work = Files.createTempDirectory("classify-speed");
        try {
            List<ModelTrainer.Example> all = new ArrayList<>();
            List<String> spam = new ArrayList<>();
            List<String> ham = new ArrayList<>();
            for (int i = 0; i < corpus.size(); i++) {
                all.add(prepared.example(i));
                (corpus.get(i).spam() ? spam : ham).add(corpus.get(i).path().toString());
            }
            PredictiveModel model = ModelTrainer.defaults().train(all, 0.9);
            Path modelFile = work.resolve("model.bin");
            ModelCodec.writeFile(model, modelFile);
            System.out.println();
            System.out.printf(Locale.ROOT, "Classification speed, %d messages (model of %d spam + %d ham: %,d bytes)%n", files.size(),
                spam.size(), ham.size(), Files.size(modelFile));
            mailet(prepared, batch, modelFile);
            Path script = Paths.get("james-shaping").toAbsolutePath();
            if (!Files.isExecutable(script)) {
                System.out.println("  ./james-shaping not found in the working directory: command-line speed not measured");
                return;
            }
            Path database = work.resolve("bogofilter");
            Files.createDirectories(database);
            if (withBogofilter) {
                Bogofilter.train(database, spam, ham);
            }
            int cores = Runtime.getRuntime().availableProcessors();
            // The benchmark itself is pinned to core 0; its children are given their cores explicitly.
            List<String> allCores = List.of("taskset", "-c", "0-" + (Math.max(cores, nproc()) - 1));
            List<String> oneCore = List.of("taskset", "-c", "0");
            System.out.println("| command (wall clock incl. start-up) | cores | runs (s)           | median (s) | msgs/s | CPU s (median) |");
            System.out.println("|-------------------------------------|-------|--------------------|------------|--------|----------------|");
            for (List<String> cpus : List.of(oneCore, allCores)) {
                List<String> cli = new ArrayList<>(cpus);
                cli.addAll(List.of(script.toString(), "filter", "classify", "--model", modelFile.toString()));
                cli.addAll(files);
                List<String> bogofilter = new ArrayList<>(cpus);
                bogofilter.addAll(List.of("bogofilter", "-d", database.toString(), "-T", "-B"));
                bogofilter.addAll(files);
                timed(cli, files.size());
                double[][] cliRuns = new double[ROUNDS][];
                double[][] bogofilterRuns = new double[ROUNDS][];
                for (int round = 0; round < ROUNDS; round++) {
                    cliRuns[round] = timed(cli, files.size());
                    bogofilterRuns[round] = withBogofilter ? timed(bogofilter, files.size()) : null;
                }
                String coresName = cpus == oneCore ? "1" : String.valueOf(Math.max(cores, nproc()));
                print("james-shaping filter classify", coresName, cliRuns, files.size());
                if (withBogofilter) {
                    print("bogofilter " + Bogofilter.version() + " -T -B", coresName, bogofilterRuns, files.size());
                }
            }
        } finally {
            Bogofilter.deleteRecursively(work);
        }
    }

    private static int nproc() {
        try {
            Process process = new ProcessBuilder("nproc", "--all").redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes()).trim();
            process.waitFor();
            return Integer.parseInt(out);
        } catch (IOException | InterruptedException | NumberFormatException e) {
            return 1;
        }
    }

    private static void print(String name, String cores, double[][] runs, int messages) {
        double[] wall = new double[runs.length];
        double[] cpu = new double[runs.length];
        StringBuilder each = new StringBuilder();
        for (int i = 0; i < runs.length; i++) {
            wall[i] = runs[i][0];
            cpu[i] = runs[i][1];
            each.append(each.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", runs[i][0]));
        }
        Arrays.sort(wall);
        Arrays.sort(cpu);
        double median = wall[wall.length / 2];
        System.out.printf(Locale.ROOT, "| %-35s | %5s | %-18s | %10.2f | %,6.0f | %8.2f |%n", name, cores, each, median, messages / median,
            cpu[cpu.length / 2]);
    }

    private static final Path GNU_TIME = Paths.get("/usr/bin/time");

    /**
     * Seconds from start to exit and, when GNU time is installed, the CPU seconds (user + system) the command
     * used: on a shared machine the wall clock also counts waiting for a core, the CPU time does not. Checks that
     * every message got its line.
     */
    private static double[] timed(List<String> command, int messages) throws IOException, InterruptedException {
        List<String> wrapped = new ArrayList<>();
        Path cpuFile = Files.createTempFile("cpu", ".txt");
        if (Files.isExecutable(GNU_TIME)) {
            wrapped.addAll(List.of(GNU_TIME.toString(), "-o", cpuFile.toString(), "-f", "%U %S"));
        }
        wrapped.addAll(command);
        long start = System.nanoTime();
        Process process = new ProcessBuilder(wrapped).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IOException(command.get(2) + " timed out");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpu = Double.NaN;
        // GNU time writes "Command exited with non-zero status N" first when it does (bogofilter -T exits 1 on ham).
        String[] lines = Files.readString(cpuFile).trim().split("\n");
        String[] times = lines[lines.length - 1].trim().split("\\s+");
        Files.deleteIfExists(cpuFile);
        if (times.length == 2) {
            cpu = Double.parseDouble(times[0]) + Double.parseDouble(times[1]);
        }
        long printed = 0;
        for (byte b : out) {
            printed += b == '\n' ? 1 : 0;
        }
        if (printed < messages) {
            throw new IOException(String.join(" ", command.subList(0, 4)) + "... printed " + printed + " lines for " + messages + " messages");
        }
        return new double[] {seconds, cpu};
    }

    /** The mailet as James's spooler runs it: parse is not counted (James hands the mailet a parsed MimeMessage). */
    private static void mailet(FilterBenchmark.Prepared prepared, List<Integer> batch, Path modelFile) throws Exception {
        try (FilterStores stores = new FilterStores()) {
            PredictiveFilter mailet = new PredictiveFilter(stores, (mail, verdict) -> { }, StoreSettings.defaults(MongoConnection.DEFAULT_URI));
            mailet.init(config(Map.of("model", modelFile.toString(), "refreshInterval", "1h")));
            long[] nanos = new long[batch.size()];
            for (int pass = 0; pass < 2; pass++) {
                for (int k = 0; k < batch.size(); k++) {
                    MimeMessage message = ContentExtractor.parse(prepared.raws.get(batch.get(k)));
                    Mail mail = MailImpl.builder().name("m" + k).sender("sender@example.org").addRecipient("rcpt@example.com")
                        .mimeMessage(message).remoteAddr("192.0.2.7").build();
                    long start = System.nanoTime();
                    mailet.service(mail);
                    nanos[k] = System.nanoTime() - start;
                    if (mail.getAttribute(org.apache.mailet.AttributeName.of("org.jamesshaping.filter.score")).isEmpty()) {
                        throw new IllegalStateException("the mailet did not score " + prepared.corpus.get(batch.get(k)).path());
                    }
                    LifecycleUtil.dispose(mail);
                }
            }
            long total = 0;
            for (long n : nanos) {
                total += n;
            }
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            System.out.printf(Locale.ROOT, "PredictiveFilter.service per message (1 thread, after a warm-up pass): mean %.0f us, "
                + "median %.0f us, p99 %.0f us, max %.1f ms (%,.0f msgs/s)%n", total / 1e3 / nanos.length, sorted[sorted.length / 2] / 1e3,
                sorted[(int) (sorted.length * 0.99)] / 1e3, sorted[sorted.length - 1] / 1e6, nanos.length / (total / 1e9));
        }
    }

    private static MailetConfig config(Map<String, String> parameters) {
        return new MailetConfig() {
            @Override
            public String getInitParameter(String name) {
                return parameters.get(name);
            }

            @Override
            public java.util.Iterator<String> getInitParameterNames() {
                return parameters.keySet().iterator();
            }

            @Override
            public MailetContext getMailetContext() {
                return null;
            }

            @Override
            public String getMailetName() {
                return "PredictiveFilter";
            }
        };
    }
}
