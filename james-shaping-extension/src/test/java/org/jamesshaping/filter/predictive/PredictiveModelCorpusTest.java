package org.jamesshaping.filter.predictive;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.jamesshaping.admin.cli.MessageFolders;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.testsupport.CorpusCache;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Trained on four folds of the allowed sets, threshold tuned inside those four folds, tested on the fifth: never
 * scored on a message it saw, nor with a threshold chosen on it.
 */
class PredictiveModelCorpusTest {
    private static final int FOLDS = 5;
    private static final int TEST_FOLD = 0;

    private static final List<ModelTrainer.Example> testing = new ArrayList<>();
    private static PredictiveModel model;

    @BeforeAll
    static void train() throws Exception {
        ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
        ModelTrainer trainer = ModelTrainer.defaults();
        FeatureExtractor features = new FeatureExtractor(trainer.dimensionBits());
        List<ModelTrainer.Example> training = new ArrayList<>();
        for (CorpusCache.CorpusMessage message : CorpusCache.loadAllowed()) {
            int[] vector = features.features(extractor.extract(MessageFolders.stripEnvelopeLine(message.raw())));
            (message.fold(FOLDS) == TEST_FOLD ? testing : training).add(new ModelTrainer.Example(vector, message.spam()));
        }
        model = tunedModel(trainer, training);
    }

    /** Spam caught, spam, false positives, ham. */
    private static int[] evaluate(PredictiveModel scoring, List<ModelTrainer.Example> examples) {
        int[] counts = new int[4];
        for (ModelTrainer.Example example : examples) {
            boolean flagged = scoring.isSpam(scoring.score(example.features()));
            if (example.spam()) {
                counts[0] += flagged ? 1 : 0;
                counts[1]++;
            } else {
                counts[2] += flagged ? 1 : 0;
                counts[3]++;
            }
        }
        return counts;
    }

    @Test
    void catchesMostSpamWithFewFalsePositivesOnAHeldOutFold() {
        int[] counts = evaluate(model, testing);
        int caught = counts[0];
        int spam = counts[1];
        int falsePositives = counts[2];
        int ham = counts[3];
        assertThat(spam).isGreaterThan(50);
        assertThat(ham).isGreaterThan(300);
        // One fold of the five: the bounds guard against regressions, docs/benchmarks-filters.md gives the figures.
        assertThat((double) caught / spam).as("caught %d of %d spam", caught, spam).isGreaterThanOrEqualTo(0.97);
        assertThat((double) falsePositives / ham).as("%d false positives in %d ham", falsePositives, ham).isLessThanOrEqualTo(0.015);
    }

    /**
     * Mail arriving after training: a model trained on one fold (a small first training set, so that it makes
     * mistakes worth reporting) misjudges some of three others, the operator reports those mistakes, and the model
     * learns them incrementally. The reported messages are then judged as reported, and on the last fold (never
     * reported, never trained on) the model catches no less spam and flags at most one more ham than before.
     */
    @Test
    void learningReportedMistakesFixesThemWithoutHurtingOtherMail() throws Exception {
        ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
        ModelTrainer trainer = ModelTrainer.defaults();
        FeatureExtractor features = new FeatureExtractor(trainer.dimensionBits());
        List<ModelTrainer.Example> training = new ArrayList<>();
        List<ModelTrainer.Example> reportedFold = new ArrayList<>();
        List<ModelTrainer.Example> unreportedFold = new ArrayList<>();
        for (CorpusCache.CorpusMessage message : CorpusCache.loadAllowed()) {
            int[] vector = features.features(extractor.extract(MessageFolders.stripEnvelopeLine(message.raw())));
            int fold = message.fold(FOLDS);
            (fold == TEST_FOLD ? unreportedFold : fold == FOLDS - 1 ? training : reportedFold)
                .add(new ModelTrainer.Example(vector, message.spam()));
        }
        PredictiveModel trained = tunedModel(trainer, training);
        List<ModelTrainer.Example> mistakes = new ArrayList<>();
        for (ModelTrainer.Example example : reportedFold) {
            if (trained.isSpam(trained.score(example.features())) != example.spam()) {
                mistakes.add(example);
            }
        }
        assertThat(mistakes).as("mistakes on new mail to report").hasSizeGreaterThanOrEqualTo(5);

        IncrementalLearner.Outcome learned = IncrementalLearner.defaults().learn(trained, mistakes);

        // Learned in order: an earlier report may already fix a later one, which then changes nothing.
        assertThat(learned.changed()).isPositive();
        assertThat(learned.changed() + learned.alreadyRight()).isEqualTo(mistakes.size());
        int stillWrong = 0;
        for (ModelTrainer.Example mistake : mistakes) {
            stillWrong += learned.model().isSpam(learned.model().score(mistake.features())) != mistake.spam() ? 1 : 0;
        }
        int[] before = evaluate(trained, unreportedFold);
        int[] after = evaluate(learned.model(), unreportedFold);
        System.out.printf("Learned %d reported mistakes (%d still misjudged); on unreported mail: caught %d -> %d of %d spam, "
            + "false positives %d -> %d of %d ham%n", mistakes.size(), stillWrong, before[0], after[0], before[1],
            before[2], after[2], before[3]);
        assertThat(stillWrong).as("reported messages still misjudged after learning").isZero();
        assertThat(after[0]).as("spam caught on unreported mail").isGreaterThanOrEqualTo(before[0]);
        assertThat(after[2]).as("false positives on unreported mail").isLessThanOrEqualTo(before[2] + 1);
    }

    /** As {@code filter train} does it: the threshold tuned by cross-validation, or the default with too few messages. */
    private static PredictiveModel tunedModel(ModelTrainer trainer, List<ModelTrainer.Example> training) {
        return trainer.train(training, trainer.tuneThreshold(training, ModelTrainer.DEFAULT_TARGET_FALSE_POSITIVE_RATE)
            .orElse(PredictiveModel.DEFAULT_THRESHOLD));
    }
}
