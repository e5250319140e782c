package org.jamesshaping.admin.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.jamesshaping.filter.predictive.FeatureExtractor;
import org.jamesshaping.filter.predictive.PredictiveModel;
import org.jamesshaping.filter.predictive.PredictiveModelStore;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;


class FilterToolTest {
    private static String message(String subject, String body) {
        return "From: x@example.org\nSubject: " + subject + "\n\n" + body + "\n";
    }

    @Test
    void trainsAModelFileAndClassifiesFilesAndMboxes(@TempDir Path folder) throws Exception {
        Path spam = Files.createDirectories(folder.resolve("spam"));
        Path ham = Files.createDirectories(folder.resolve("ham/cur"));
        for (int i = 0; i < 15; i++) {
            Files.writeString(spam.resolve(i + ".eml"), message("cheap pills " + i, "buy cheap pills now best prices viagra " + i));
            Files.writeString(ham.resolve(i + ".host:2,S"), message("build report " + i, "the nightly build passed all parser tests " + i));
        }
        Path mbox = folder.resolve("inbox");
        Files.writeString(mbox, "From a@b Mon Jan 1 00:00:00 2024\n" + message("cheap pills", "buy cheap pills now best prices")
            + "From c@d Mon Jan 1 00:00:00 2024\n" + message("build report", "the nightly build passed all parser tests"),
            StandardCharsets.UTF_8);
        Path model = folder.resolve("model.bin");

        StringWriter out = new StringWriter();
        StringWriter progress = new StringWriter();
        int trained = FilterTool.run(new String[] {"train", "--spam", spam.toString(), "--ham", folder.resolve("ham").toString(),
            "--model", model.toString(), "--threshold", "0.5"}, new PrintWriter(out, true), new PrintWriter(progress, true));
        assertThat(trained).as(out.toString()).isZero();
        // the summary on stdout: messages, features, time, threshold and why; each step's end on stderr
        assertThat(out.toString()).containsPattern("trained on 15 spam and 15 ham \\(0 unreadable skipped\\) in \\d+\\.\\d s: "
            + "[\\d,]+ distinct features \\([\\d,]+ weights not zero\\); threshold 0.5000 \\(given\\)");
        assertThat(progress.toString()).contains("reading: read 15 spam and 15 ham in ")
            .contains("extracting features: 30 messages, 0 unreadable in ").contains("training: done in ");

        StringWriter untuned = new StringWriter();
        assertThat(FilterTool.run(new String[] {"train", "--spam", spam.toString(), "--ham", folder.resolve("ham").toString(),
            "--model", folder.resolve("default.bin").toString()}, new PrintWriter(untuned, true), new PrintWriter(new StringWriter(), true)))
            .isZero();
        assertThat(untuned.toString()).as("15 of each is too few to tune").contains("threshold 0.2000 (default: too few messages to tune)");

        StringWriter classified = new StringWriter();
        int code = FilterTool.run(new String[] {"classify", "--model", model.toString(), mbox.toString()},
            new PrintWriter(classified, true), new PrintWriter(new StringWriter(), true));
        String[] lines = classified.toString().trim().split("\n");
        assertThat(code).isZero();
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).startsWith(mbox + "#1\t").endsWith("\tspam");
        assertThat(lines[1]).startsWith(mbox + "#2\t").endsWith("\tham");
        assertThat(lines[0].split("\t")[1]).matches("\\d\\.\\d{4}");
    }

    @Test
    void classifyPrintsALineForEachMessageInTheOrderGivenWhateverTheThreads(@TempDir Path folder) throws Exception {
        Path spam = Files.createDirectories(folder.resolve("spam"));
        Path ham = Files.createDirectories(folder.resolve("ham"));
        List<String> files = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            boolean isSpam = i % 3 == 0;
            Path file = (isSpam ? spam : ham).resolve(String.format(Locale.ROOT, "%03d.eml", i));
            Files.writeString(file, isSpam ? message("cheap pills " + i, "buy cheap pills now best prices viagra " + i)
                : message("build report " + i, "the nightly build passed all parser tests " + i));
            files.add(file.toString());
        }
        Path model = folder.resolve("model.bin");
        assertThat(FilterTool.run(new String[] {"train", "--spam", spam.toString(), "--ham", ham.toString(), "--model", model.toString(),
            "--threshold", "0.5"}, new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true))).isZero();
        // in reverse order, so that the order printed is the order given, not the folders' order
        Collections.reverse(files);
        String first = null;
        for (String threads : new String[] {"1", "3"}) {
            List<String> args = new ArrayList<>(List.of("classify", "--threads", threads, "--model", model.toString()));
            args.addAll(files);
            StringWriter out = new StringWriter();
            assertThat(FilterTool.run(args.toArray(new String[0]), new PrintWriter(out, true), new PrintWriter(new StringWriter(), true)))
                .isZero();
            String[] lines = out.toString().split("\n");
            assertThat(lines).hasSize(files.size());
            for (int i = 0; i < lines.length; i++) {
                String[] fields = lines[i].split("\t");
                assertThat(fields[0]).isEqualTo(files.get(i));
                assertThat(fields[1]).matches("[01]\\.\\d{4}");
                assertThat(fields[2]).isEqualTo(files.get(i).contains("/spam/") ? "spam" : "ham");
            }
            first = first == null ? out.toString() : first;
            assertThat(out.toString()).isEqualTo(first);
        }
    }

    @Test
    void scoresArePrintedAsTheFormatterPrintsThemWithFourDecimals() {
        List<Double> scores = new ArrayList<>(List.of(0.0, 1.0, 0.5, 0.12345, 0.00005, 0.00004999, 0.99995, 0.99994999, 1e-10,
            Double.MIN_VALUE, 0.1, 0.7, 0.2000, 0.88385, 0.9999999999, 2.5e-5, 0.000150, 0.33335, Double.NaN));
        Random random = new Random(4);
        for (int i = 0; i < 100_000; i++) {
            scores.add(random.nextDouble());
            // ties at the fifth decimal, where rounding differs between methods
            scores.add((random.nextInt(100_000) + 0.5) / 100_000);
            scores.add(1 / (1 + Math.exp(-random.nextGaussian() * 10)));
        }
        for (double score : scores) {
            assertThat(ClassifyCommand.fourDecimals(score)).as("%s", score).isEqualTo(String.format(Locale.ROOT, "%.4f", score));
        }
    }

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        int code = FilterTool.run(args, new PrintWriter(out, true), new PrintWriter(out, true));
        return code + "\n" + out;
    }

    @Test
    void reportedMessagesWaitForAModelThenLearnMakesTheSharedModelJudgeThemAsReported(@TempDir Path folder) throws Exception {
        try (EmbeddedMongo server = EmbeddedMongo.startInMemory()) {
            String uri = server.uri();
            Path spam = Files.createDirectories(folder.resolve("spam"));
            Path ham = Files.createDirectories(folder.resolve("ham"));
            for (int i = 0; i < 15; i++) {
                Files.writeString(spam.resolve(i + ".eml"), message("cheap pills " + i, "buy cheap pills now best prices " + i));
                Files.writeString(ham.resolve(i + ".eml"), message("build report " + i, "the nightly build passed all parser tests " + i));
            }
            // A legitimate message about pills the model will call spam, and a spam about builds it will call ham.
            Path pharmacist = folder.resolve("pharmacist.eml");
            Files.writeString(pharmacist, message("cheap pills",
                "buy cheap pills now, says our pharmacist Anna Keller, ahead of the hospital committee meeting on Tuesday"));
            Path buildSpam = folder.resolve("build-spam.eml");
            Files.writeString(buildSpam, message("build report",
                "the nightly build passed all parser tests: visit our online casino for a welcome bonus, jackpot guaranteed"));
            Path tooLarge = folder.resolve("huge.eml");
            Files.writeString(tooLarge, message("huge", "x".repeat(4 * 1024 * 1024)));

            assertThat(run("report-ham", "--mongo-uri", uri, pharmacist.toString())).startsWith("0\n").contains(":ham");
            assertThat(run("report-spam", "--mongo-uri", uri, buildSpam.toString()))
                .startsWith("0\n").contains("fingerprint skipped (body too short)").contains(":spam");
            assertThat(run("report-ham", "--mongo-uri", uri, tooLarge.toString())).startsWith("1\n").contains("not queued for learning");
            assertThat(run("learn", "--mongo-uri", uri)).startsWith("1\n").contains("No predictive model yet");

            assertThat(run("train", "--spam", spam.toString(), "--ham", ham.toString(), "--mongo-uri", uri, "--threshold", "0.5"))
                .startsWith("0\n");
            assertThat(run("classify", "--mongo-uri", uri, pharmacist.toString())).endsWith("\tspam\n");
            assertThat(run("classify", "--mongo-uri", uri, buildSpam.toString())).endsWith("\tham\n");

            assertThat(run("learn", "--mongo-uri", uri)).startsWith("0\n").contains("LEARNED: 2 learned").contains("2 reports learned; none pending.");

            assertThat(run("classify", "--mongo-uri", uri, pharmacist.toString())).endsWith("\tham\n");
            assertThat(run("classify", "--mongo-uri", uri, buildSpam.toString())).endsWith("\tspam\n");
            assertThat(run("learn", "--mongo-uri", uri)).startsWith("0\n").contains("0 reports learned; none pending.");
        }
    }

    @Test
    void retrainFromReportsReplacesAModelOfAnOlderFeatureVersionWithOneTrainedOnEveryKeptReport(@TempDir Path folder) throws Exception {
        try (EmbeddedMongo server = EmbeddedMongo.startInMemory()) {
            String uri = server.uri();
            // The shared model was trained with older feature rules: this version cannot score with it.
            try (MongoClient client = MongoClients.create(uri)) {
                new PredictiveModelStore(client.getDatabase(MongoConnection.DEFAULT_DATABASE).getCollection(PredictiveModelStore.COLLECTION))
                    .save(new PredictiveModel(FeatureExtractor.FEATURE_VERSION - 1, 4, new float[16], 0, 0.5, 1, 1, Instant.now()),
                        Instant.now());
            }
            Path reports = Files.createDirectories(folder.resolve("reports"));
            for (int i = 0; i < 15; i++) {
                Path spam = reports.resolve("spam" + i + ".eml");
                Files.writeString(spam, message("cheap pills " + i, "buy cheap pills now best prices viagra " + i));
                assertThat(run("report-spam", "--mongo-uri", uri, spam.toString())).startsWith("0\n");
                Path ham = reports.resolve("ham" + i + ".eml");
                Files.writeString(ham, message("build report " + i, "the nightly build passed all parser tests " + i));
                assertThat(run("report-ham", "--mongo-uri", uri, ham.toString())).startsWith("0\n");
            }
            Path newSpam = Files.writeString(folder.resolve("new-spam.eml"), message("cheap pills", "buy cheap pills now best prices"));
            Path newHam = Files.writeString(folder.resolve("new-ham.eml"), message("build report", "the nightly build passed all parser tests"));
            assertThat(run("classify", "--mongo-uri", uri, newSpam.toString())).doesNotStartWith("0\n").contains("retrain");
            assertThat(run("retrain", "--mongo-uri", uri)).as("--from-reports is required").doesNotStartWith("0\n");

            assertThat(run("retrain", "--from-reports", "--mongo-uri", uri, "--threshold", "0.5"))
                .startsWith("0\n")
                .contains("30 reports from MongoDB (30 pending), 0 messages from folders")
                .contains("trained on 15 spam and 15 ham")
                .contains("(feature version " + FeatureExtractor.FEATURE_VERSION + ")")
                .contains("30 pending reports marked applied");
            assertThat(run("classify", "--mongo-uri", uri, newSpam.toString())).endsWith("\tspam\n");
            assertThat(run("classify", "--mongo-uri", uri, newHam.toString())).endsWith("\tham\n");
            assertThat(run("learn", "--mongo-uri", uri)).startsWith("0\n").contains("0 reports learned; none pending.");

            // Applied reports are kept: a second retrain learns from them all again.
            assertThat(run("retrain", "--from-reports", "--mongo-uri", uri, "--threshold", "0.5"))
                .startsWith("0\n").contains("30 reports from MongoDB (0 pending)");
        }
    }
}
