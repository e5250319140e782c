package org.jamesshaping.filter.predictive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class ModelTrainerTest {
    private static final ModelTrainer TRAINER = new ModelTrainer(16, 6, 0.5, 1, 1e-6, 3);

    /**
     * Spam and ham draw most features from their own range and some from a shared one, with a few ham that look
     * like spam: held-out scores overlap, so the threshold has a real choice to make.
     */
    private static List<ModelTrainer.Example> overlappingExamples(int spam, int ham, long seed) {
        Random random = new Random(seed);
        List<ModelTrainer.Example> examples = new ArrayList<>();
        for (int i = 0; i < spam + ham; i++) {
            boolean isSpam = i < spam;
            boolean looksLikeSpam = isSpam || random.nextInt(20) == 0;
            int own = looksLikeSpam ? 0 : 5_000;
            int[] features = IntStream.concat(random.ints(20, own, own + 300), random.ints(20, 20_000, 20_300))
                .sorted().distinct().toArray();
            examples.add(new ModelTrainer.Example(features, isSpam));
        }
        return examples;
    }

    @Test
    void theThresholdIsJustAboveTheHamScoreThatKeepsTheTargetRate() {
        double[] ham = {0.01, 0.02, 0.05, 0.10, 0.30, 0.60, 0.70, 0.80, 0.90, 0.93};
        assertThat(ModelTrainer.thresholdFor(ham, 0)).isEqualTo(Math.nextUp(0.93)).isGreaterThan(0.93);
        assertThat(ModelTrainer.thresholdFor(ham, 0.1)).isEqualTo(Math.nextUp(0.90));
        assertThat(ModelTrainer.thresholdFor(ham, 0.25)).isEqualTo(Math.nextUp(0.80));
        // clamped: never so low that most mail is flagged, never above 0.95
        assertThat(ModelTrainer.thresholdFor(ham, 0.95)).isEqualTo(0.05);
        assertThat(ModelTrainer.thresholdFor(new double[] {0.1, 0.99}, 0)).isEqualTo(0.95);
        assertThatThrownBy(() -> ModelTrainer.thresholdFor(ham, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void heldOutScoresCoverEveryHamOnceAndAStricterTargetGivesAHigherThreshold() {
        List<ModelTrainer.Example> examples = overlappingExamples(150, 400, 11);
        double[] scores = TRAINER.heldOutHamScores(examples).orElseThrow();
        assertThat(scores).hasSize(400);
        assertThat(scores).isSorted();
        // the spam-looking ham were not seen by the model that scored them, so some score high
        assertThat(scores[scores.length - 1]).isGreaterThan(0.5);

        double strict = TRAINER.tuneThreshold(examples, 0.01).orElseThrow();
        double lenient = TRAINER.tuneThreshold(examples, 0.1).orElseThrow();
        assertThat(strict).isGreaterThan(lenient);
        // at most 4 of 400 held-out ham flagged, unless that would need a threshold above the 0.95 cap
        long aboveCap = java.util.Arrays.stream(scores).filter(score -> score >= ModelTrainer.MAX_TUNED_THRESHOLD).count();
        assertThat(java.util.Arrays.stream(scores).filter(score -> score >= strict).count()).isLessThanOrEqualTo(Math.max(4, aboveCap));
        assertThat(java.util.Arrays.stream(scores).filter(score -> score >= lenient).count()).isLessThanOrEqualTo(40);
        assertThat(TRAINER.train(examples, lenient).threshold()).isEqualTo(lenient);
    }

    private static List<ModelTrainer.Example> dated(List<ModelTrainer.Example> examples) {
        List<ModelTrainer.Example> dated = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            ModelTrainer.Example example = examples.get(i);
            dated.add(new ModelTrainer.Example(example.features(), example.spam(), Instant.parse("2002-08-01T00:00:00Z").plusSeconds(3_600L * i)));
        }
        return dated;
    }

    @Test
    void datedExamplesAreTunedOnTheirLatestHamByAModelOfTheEarlierMail() {
        List<ModelTrainer.Example> examples = dated(overlappingExamples(150, 400, 11));
        double[] latest = TRAINER.latestHamScores(examples).orElseThrow();
        // the latest 30% of the 400 ham, each scored once by a model that saw only earlier mail
        assertThat(latest).hasSize(120).isSorted();
        assertThat(latest[latest.length - 1]).isGreaterThan(0.5);
        ModelTrainer.Tuning tuning = TRAINER.tune(examples, 0.01, 0).orElseThrow();
        assertThat(tuning.method()).isEqualTo("time split");
        assertThat(tuning.heldOutHam()).isEqualTo(120);
        assertThat(tuning.threshold()).isEqualTo(ModelTrainer.thresholdFor(latest, 0.01));
        // the margin moves the threshold up on the logit scale
        double withMargin = TRAINER.tune(examples, 0.01, 1).orElseThrow().threshold();
        double logit = Math.log(tuning.threshold() / (1 - tuning.threshold()));
        assertThat(withMargin).isCloseTo(Math.min(ModelTrainer.MAX_TUNED_THRESHOLD, 1 / (1 + Math.exp(-(logit + 1)))),
            org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void undatedExamplesAreTunedByCrossValidation() {
        List<ModelTrainer.Example> examples = overlappingExamples(150, 400, 11);
        assertThat(TRAINER.latestHamScores(examples)).isEmpty();
        ModelTrainer.Tuning tuning = TRAINER.tune(examples, 0.01, 0).orElseThrow();
        assertThat(tuning.method()).isEqualTo("cross-validation");
        assertThat(tuning.heldOutHam()).isEqualTo(400);
    }

    @Test
    void tooFewExamplesKeepTheDefaultThreshold() {
        List<ModelTrainer.Example> examples = overlappingExamples(ModelTrainer.MIN_EXAMPLES_PER_CLASS_FOR_TUNING - 1, 300, 5);
        // Empty: the caller (filter train) then uses PredictiveModel.DEFAULT_THRESHOLD, as FilterToolTest shows.
        assertThat(TRAINER.tuneThreshold(examples, 0.01)).isEmpty();
    }

    @Test
    void severalRunsAverageTheWeightsOfRunsWithDifferentShuffles() {
        List<ModelTrainer.Example> examples = overlappingExamples(100, 200, 17);
        ModelTrainer single = new ModelTrainer(16, 6, 0.5, 1, 1e-6, 3);
        ModelTrainer other = new ModelTrainer(16, 6, 0.5, 1, 1e-6, 3 + 7919);
        ModelTrainer averaged = new ModelTrainer(16, 6, 0.5, 1, 1e-6, 3, 2);
        PredictiveModel first = single.train(examples, 0.5);
        PredictiveModel second = other.train(examples, 0.5);
        PredictiveModel both = averaged.train(examples, 0.5);
        assertThat(new ModelTrainer(16, 6, 0.5, 1, 1e-6, 3, 1).train(examples, 0.5).margin(examples.get(0).features()))
            .isEqualTo(first.margin(examples.get(0).features()));
        for (ModelTrainer.Example example : examples.subList(95, 105)) {
            double mean = (first.margin(example.features()) + second.margin(example.features())) / 2;
            assertThat(both.margin(example.features())).isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-4));
        }
        assertThat(both.spamCount()).isEqualTo(100);
        assertThat(both.hamCount()).isEqualTo(200);
        assertThatThrownBy(() -> new ModelTrainer(16, 6, 0.5, 1, 1e-6, 3, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
