package org.jamesshaping.bench.filter;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.jamesshaping.filter.predictive.IncrementalLearner;
import org.jamesshaping.filter.predictive.ModelTrainer;
import org.jamesshaping.filter.predictive.PredictiveModel;

/**
 * How much learning reports one by one ({@link IncrementalLearner}) pulls an operator's model towards false positives
 * (docs/benchmarks-filters.md, "Learning reports one by one"): a model trained as {@code filter train} trains it on one
 * fifth of the allowed corpus learns the spam of three other fifths (an autolearn-like stream of spam only), then the
 * same spam with their ham interleaved, and is scored on the remaining fifth after each.
 */
final class LearningPull {
    private static final int FOLDS = 5;
    private static final int TEST_FOLD = 0;

    private LearningPull() {
    }

    static void run(FilterBenchmark.Prepared prepared) {
        ModelTrainer trainer = FilterBenchmark.trainer();
        System.out.println();
        System.out.printf(Locale.ROOT, "Learning reports one by one: trained on fold k of %d (as filter train trains), scored on fold %d%n",
            FOLDS, TEST_FOLD);
        System.out.println("| trained on | threshold | as trained: caught, FP | + spam of 3 folds, even | + spam and ham, even |");
        System.out.println("|---|---|---|---|---|");
        int[][] sums = new int[3][2];
        for (int trainFold = 1; trainFold < FOLDS; trainFold++) {
            List<ModelTrainer.Example> training = new ArrayList<>();
            List<ModelTrainer.Example> test = new ArrayList<>();
            List<ModelTrainer.Example> spamStream = new ArrayList<>();
            List<ModelTrainer.Example> hamStream = new ArrayList<>();
            for (int i = 0; i < prepared.corpus.size(); i++) {
                int fold = prepared.corpus.get(i).fold(FOLDS);
                ModelTrainer.Example example = prepared.example(i);
                if (fold == trainFold) {
                    training.add(example);
                } else if (fold == TEST_FOLD) {
                    test.add(example);
                } else if (example.spam()) {
                    spamStream.add(example);
                } else {
                    hamStream.add(example);
                }
            }
            double threshold = trainer.tune(training, ModelTrainer.DEFAULT_TARGET_FALSE_POSITIVE_RATE, ModelTrainer.DEFAULT_THRESHOLD_MARGIN)
                .map(ModelTrainer.Tuning::threshold).orElse(PredictiveModel.DEFAULT_THRESHOLD);
            PredictiveModel model = trainer.train(training, threshold);
            List<ModelTrainer.Example> mixed = new ArrayList<>();
            for (int i = 0; i < Math.max(spamStream.size(), hamStream.size()); i++) {
                if (i < spamStream.size()) {
                    mixed.add(spamStream.get(i));
                }
                if (i < hamStream.size()) {
                    mixed.add(hamStream.get(i));
                }
            }
            int[][] rows = {
                score(model, test),
                score(IncrementalLearner.defaults().learn(model, spamStream).model(), test),
                score(IncrementalLearner.defaults().learn(model, mixed).model(), test),
            };
            for (int r = 0; r < rows.length; r++) {
                sums[r][0] += rows[r][0];
                sums[r][1] += rows[r][1];
            }
            System.out.printf(Locale.ROOT, "| fold %d (%d spam, %d ham learned) | %.3f | %s | %s | %s |%n", trainFold, spamStream.size(),
                hamStream.size(), threshold, cell(rows[0], test), cell(rows[1], test), cell(rows[2], test));
        }
        System.out.printf("| sum of the 4 | - | %d, %d | %d, %d | %d, %d |%n", sums[0][0], sums[0][1], sums[1][0], sums[1][1],
            sums[2][0], sums[2][1]);
    }

    /** Spam caught and false positives at the model's own threshold. */
    private static int[] score(PredictiveModel model, List<ModelTrainer.Example> test) {
        int[] counts = new int[2];
        for (ModelTrainer.Example example : test) {
            if (model.isSpam(model.score(example.features()))) {
                counts[example.spam() ? 0 : 1]++;
            }
        }
        return counts;
    }

    private static String cell(int[] counts, List<ModelTrainer.Example> test) {
        long spam = test.stream().filter(ModelTrainer.Example::spam).count();
        return String.format(Locale.ROOT, "%d/%d, %d/%d", counts[0], spam, counts[1], test.size() - spam);
    }
}
