package org.jamesshaping.bench.filter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jamesshaping.bench.filter.AutoLearnStream.Event;
import org.jamesshaping.bench.filter.AutoLearnStream.Kind;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.predictive.FeatureExtractor;
import org.jamesshaping.filter.predictive.ModelTrainer;
import org.jamesshaping.filter.predictive.PredictiveModel;

/**
 * What the autolearn run prints: where each kind of training mail went and what autolearn did with it, and how the
 * server's own model and the command line's trainer score the test part.
 */
final class AutoLearnFigures {
    private final FilterBenchmark.Prepared prepared;
    private final AutoLearnStream streams;
    /** Known-spam signatures the trap-poisoning ham added. */
    private final java.util.Set<String> poisonFingerprints;
    private final int senderThreads;

    AutoLearnFigures(FilterBenchmark.Prepared prepared, AutoLearnStream streams, java.util.Set<String> poisonFingerprints, int senderThreads) {
        this.prepared = prepared;
        this.streams = streams;
        this.poisonFingerprints = poisonFingerprints;
        this.senderThreads = senderThreads;
    }

    void printTraining(List<Event> stream, Map<Kind, Map<String, Integer>> learning, String modelTrainings, int[] atFirstModel) {
        System.out.println("  training stream (the time split's earliest 70%, date order, " + senderThreads + " senders at once):");
        System.out.println("| kind | sent | accepted (250) | refused at SMTP | where it went: autolearn outcome |");
        System.out.println("|---|---|---|---|---|");
        for (Kind kind : Kind.values()) {
            int sent = 0;
            int accepted = 0;
            Map<String, Integer> refused = new TreeMap<>();
            for (Event event : stream) {
                if (event.kind == kind) {
                    sent++;
                    if (event.outcome.accepted()) {
                        accepted++;
                    } else {
                        refused.merge(event.outcome.toString(), 1, Integer::sum);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %s | %s |%n", kind.description, sent, accepted, refused.isEmpty() ? "0" : refused,
                learning.getOrDefault(kind, Map.of()));
        }
        if (learning.containsKey(null)) {
            System.out.println("  mails from no address of the stream: " + learning.get(null));
        }
        System.out.println("  model trainings (the first model, then each full retraining on the kept reports):\n    " + modelTrainings);
        if (atFirstModel != null) {
            StringBuilder line = new StringBuilder("  sent when the first model was loaded: " + atFirstModel[Kind.values().length] + " messages (");
            for (Kind kind : Kind.values()) {
                line.append(kind.name().toLowerCase(Locale.ROOT)).append(' ').append(atFirstModel[kind.ordinal()]).append(kind.ordinal() < Kind.values().length - 1 ? ", " : ")");
            }
            System.out.println(line);
        } else {
            System.out.println("  no model was loaded during the training stream");
        }
    }

    void printTest(List<Event> events, Map<Integer, String[]> verdicts, Map<Integer, String[]> cliScores, Path delivered,
                           String modelTrainings, Path learned) throws Exception {
        FilterResult server = new FilterResult();
        FilterResult predictiveHeader = new FilterResult();
        FilterResult learnedCli = new FilterResult();
        Map<String, Integer> verdictCounts = new TreeMap<>();
        int missing = 0;
        double threshold = Double.NaN;
        for (int i = 0; i < events.size(); i++) {
            boolean spam = prepared.corpus.get(events.get(i).corpusIndex).spam();
            String[] verdict = verdicts.get(i);
            if (verdict == null) {
                missing++;
                continue;
            }
            verdictCounts.merge((spam ? "spam -> " : "ham -> ") + verdict[0] + " (" + verdict[2] + ")", 1, Integer::sum);
            boolean flagged = verdict[0].equals("spam") || verdict[0].equals("known-spam");
            double score = parse(verdict[1]);
            server.add(spam, flagged, score);
            if (verdict[0].equals("spam") || verdict[0].equals("ham")) {
                predictiveHeader.add(spam, verdict[0].equals("spam"), score);
            }
        }
        Map<String, Integer> refused = new TreeMap<>();
        for (Event event : events) {
            if (!event.outcome.accepted()) {
                refused.merge((prepared.corpus.get(event.corpusIndex).spam() ? "spam " : "ham ") + event.outcome, 1, Integer::sum);
            }
        }
        System.out.println("  test part (the time split's latest 30%), sent over SMTP to James with learning off: " + events.size()
            + " messages, refused at SMTP: " + (refused.isEmpty() ? "none" : refused));
        System.out.println("  verdicts (label -> X-Shaping-Verdict (repository)): " + verdictCounts + (missing > 0 ? ", not found: " + missing : ""));
        Map<String, Long> autolearnedInTest = new LinkedHashMap<>();
        for (String[] verdict : verdicts.values()) {
            autolearnedInTest.merge(verdict[3], 1L, Long::sum);
        }
        System.out.println("  autolearn outcomes of test mail (queued ones stay pending: learning is off): " + autolearnedInTest);
        List<String> falsePositives = new ArrayList<>();
        for (Map.Entry<Integer, String[]> entry : new TreeMap<>(verdicts).entrySet()) {
            String[] verdict = entry.getValue();
            if (!prepared.corpus.get(events.get(entry.getKey()).corpusIndex).spam() && !verdict[0].equals("ham")) {
                falsePositives.add(prepared.corpus.get(events.get(entry.getKey()).corpusIndex).path().getFileName() + " " + verdict[0] + " "
                    + verdict[1] + (verdict[0].equals("known-spam") ? poisonFingerprints.contains(verdict[4])
                    ? " (a signature the trap-poisoning ham added)" : " (signature " + verdict[4] + ")" : ""));
            }
        }
        System.out.println("  false positives of the server: " + falsePositives);

        // The command line's training on the same training part, as FilterBenchmark's time split (the shipped rule).
        ModelTrainer trainer = FilterBenchmark.trainer();
        List<ModelTrainer.Example> training = new ArrayList<>();
        for (int i = 0; i < prepared.corpus.size(); i++) {
            if (!streams.inTestPart(i)) {
                training.add(prepared.example(i));
            }
        }
        double cliThreshold = trainer.tune(training, ModelTrainer.DEFAULT_TARGET_FALSE_POSITIVE_RATE, ModelTrainer.DEFAULT_THRESHOLD_MARGIN)
            .map(ModelTrainer.Tuning::threshold).orElse(PredictiveModel.DEFAULT_THRESHOLD);
        PredictiveModel cliModel = trainer.train(training, cliThreshold);
        FeatureExtractor cliFeatures = cliModel.featureExtractor();
        ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
        FilterResult cliOnFiles = new FilterResult();
        FilterResult cliOnDelivered = new FilterResult();
        for (int i = 0; i < events.size(); i++) {
            int index = events.get(i).corpusIndex;
            boolean spam = prepared.corpus.get(index).spam();
            double onFile = cliModel.score(cliFeatures.features(extractor.extract(prepared.raws.get(index))));
            cliOnFiles.add(spam, onFile >= cliThreshold, onFile);
            Path file = delivered.resolve(events.get(i).source + ".eml");
            if (Files.exists(file)) {
                double onDelivered = cliModel.score(cliFeatures.features(extractor.extract(Files.readAllBytes(file))));
                cliOnDelivered.add(spam, onDelivered >= cliThreshold, onDelivered);
            }
            String[] learnedScore = cliScores.get(i);
            if (learnedScore != null) {
                learnedCli.add(spam, "spam".equals(learnedScore[1]), Double.parseDouble(learnedScore[0]));
            }
        }
        // The last full training's threshold (ModelBootstrap's log lines); learning reports one by one never changes it.
        Matcher logged = Pattern.compile("threshold ([0-9.]+)").matcher(modelTrainings);
        while (logged.find()) {
            threshold = Double.parseDouble(logged.group(1));
        }
        // What a full retraining on the autolearned examples gives (filter train's trainer, as retrain --from-reports).
        List<ModelTrainer.Example> autolearned = new ArrayList<>();
        FeatureExtractor trainerFeatures = new FeatureExtractor(trainer.dimensionBits());
        int[] learnedCounts = new int[2];
        for (String label : List.of("spam", "ham")) {
            try (java.util.stream.Stream<Path> files = Files.list(learned.resolve(label))) {
                for (Path file : (Iterable<Path>) files.sorted()::iterator) {
                    org.jamesshaping.filter.content.MessageContent content = extractor.extract(Files.readAllBytes(file));
                    autolearned.add(new ModelTrainer.Example(trainerFeatures.features(content), label.equals("spam"),
                        org.jamesshaping.filter.predictive.MessageDates.sentAt(content).orElse(null)));
                    learnedCounts[label.equals("spam") ? 0 : 1]++;
                }
            }
        }
        double retrainedThreshold = trainer.tune(autolearned, ModelTrainer.DEFAULT_TARGET_FALSE_POSITIVE_RATE, ModelTrainer.DEFAULT_THRESHOLD_MARGIN)
            .map(ModelTrainer.Tuning::threshold).orElse(PredictiveModel.DEFAULT_THRESHOLD);
        PredictiveModel retrained = trainer.train(autolearned, retrainedThreshold);
        FeatureExtractor retrainedFeatures = retrained.featureExtractor();
        FilterResult retrainedOnDelivered = new FilterResult();
        for (int i = 0; i < events.size(); i++) {
            Path file = delivered.resolve(events.get(i).source + ".eml");
            if (Files.exists(file)) {
                double score = retrained.score(retrainedFeatures.features(extractor.extract(Files.readAllBytes(file))));
                retrainedOnDelivered.add(prepared.corpus.get(events.get(i).corpusIndex).spam(), score >= retrainedThreshold, score);
            }
        }
        System.out.println("| model, scored on | threshold | spam caught | false positives | 1-ROCA | ROC, after the fact: caught at <= 1 FP, <= 4 FP |");
        System.out.println("|---|---|---|---|---|---|");
        System.out.printf(Locale.ROOT, "| autolearned, the server's verdicts (fingerprint known-spam or predictive spam) | %s | %s | %s | - | - |%n",
            fmt(threshold), server.caught(), server.falsePositives());
        row("autolearned, predictive verdicts of the mail it scored (known-spam not scored)", threshold, predictiveHeader);
        row("autolearned, filter classify on every delivered test mail", threshold, learnedCli);
        row("filter train's trainer on the " + learnedCounts[0] + " spam and " + learnedCounts[1]
            + " ham autolearn queued (as delivered), on the delivered test mail", retrainedThreshold, retrainedOnDelivered);
        row("filter train on the whole training part, on the delivered test mail", cliThreshold, cliOnDelivered);
        row("filter train on the whole training part, on the corpus files (FilterBenchmark's time split)", cliThreshold, cliOnFiles);
    }

    private static void row(String model, double threshold, FilterResult result) {
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %.3f%% | %s, %s |%n", model, fmt(threshold), result.caught(),
            result.falsePositives(), result.oneMinusRocaPercent(), result.caughtAtMostFalsePositives(1), result.caughtAtMostFalsePositives(4));
    }

    private static String fmt(double value) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%.4f", value) : "-";
    }

    private static double parse(String score) {
        try {
            return Double.parseDouble(score.split(";")[0].trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
