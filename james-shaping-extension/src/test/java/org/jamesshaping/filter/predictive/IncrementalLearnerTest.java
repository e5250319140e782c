package org.jamesshaping.filter.predictive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class IncrementalLearnerTest {
    private static final int BITS = 10;

    /** Weights of 0 everywhere but the given features; bias 0, threshold 0.5 (logit 0). */
    private static PredictiveModel model(double threshold, int[] features, float weight) {
        float[] weights = new float[1 << BITS];
        for (int feature : features) {
            weights[feature] = weight;
        }
        return new PredictiveModel(FeatureExtractor.FEATURE_VERSION, BITS, weights, 0f, threshold, 10, 10, Instant.EPOCH);
    }

    private static double logitOf(PredictiveModel model, int[] features) {
        return model.margin(features);
    }

    @Test
    void aMissedSpamIsMovedJustPastTheThresholdByItsMargin() {
        int[] spam = {1, 2, 3, 4};
        PredictiveModel model = model(0.5, spam, -0.5f);
        assertThat(model.isSpam(model.score(spam))).isFalse();

        IncrementalLearner learner = new IncrementalLearner(0.25, 2.0, 10, 1);
        IncrementalLearner.Outcome outcome = learner.learn(model, List.of(new ModelTrainer.Example(spam, true)));

        assertThat(outcome.changed()).isEqualTo(1);
        assertThat(logitOf(outcome.model(), spam)).isCloseTo(0.25, within(1e-5));
        assertThat(outcome.model().isSpam(outcome.model().score(spam))).isTrue();
        assertThat(outcome.model().spamCount()).isEqualTo(11);
        assertThat(outcome.model().hamCount()).isEqualTo(10);
        // The change is spread evenly over the message's own features; nothing else moves.
        assertThat(outcome.model().weight(1)).isEqualTo(outcome.model().weight(4));
        assertThat(outcome.model().weight(5)).isZero();
        assertThat(outcome.model().bias()).isZero();
    }

    @Test
    void aHamCalledSpamGetsTheLargerHamMarginBelowTheThreshold() {
        int[] ham = {7, 8, 9};
        PredictiveModel model = model(0.3, ham, 1f);
        IncrementalLearner.Outcome outcome = new IncrementalLearner(0.25, 2.0, 10, 1)
            .learn(model, List.of(new ModelTrainer.Example(ham, false)));

        assertThat(logitOf(outcome.model(), ham)).isCloseTo(IncrementalLearner.logit(0.3) - 2.0, within(1e-5));
        assertThat(outcome.model().isSpam(outcome.model().score(ham))).isFalse();
        assertThat(outcome.model().hamCount()).isEqualTo(11);
    }

    @Test
    void aMessageAlreadyJudgedRightWithTheMarginChangesNothing() {
        int[] spam = {1, 2, 3};
        PredictiveModel model = model(0.5, spam, 2f);
        IncrementalLearner.Outcome outcome = IncrementalLearner.defaults().learn(model, List.of(new ModelTrainer.Example(spam, true)));

        assertThat(outcome.changed()).isZero();
        assertThat(outcome.alreadyRight()).isEqualTo(1);
        assertThat(outcome.model()).isSameAs(model);
    }

    @Test
    void noWeightMovesMoreThanTheStepPerPassAndTheOriginalModelIsUntouched() {
        int[] spam = {1};
        PredictiveModel model = model(0.5, spam, -5f);
        IncrementalLearner.Outcome onePass = new IncrementalLearner(0.25, 2.0, 0.5, 1)
            .learn(model, List.of(new ModelTrainer.Example(spam, true)));
        IncrementalLearner.Outcome threePasses = new IncrementalLearner(0.25, 2.0, 0.5, 3)
            .learn(model, List.of(new ModelTrainer.Example(spam, true)));

        assertThat(onePass.model().weight(1)).isCloseTo(-4.5f, within(1e-6f));
        assertThat(threePasses.model().weight(1)).isCloseTo(-3.5f, within(1e-6f));
        assertThat(model.weight(1)).isEqualTo(-5f);
    }

    @Test
    void laterPassesRepairWhatALaterReportUndid() {
        // Two reports sharing feature 2: learning the ham pulls the spam back below the threshold in the first pass.
        int[] spam = {1, 2};
        int[] ham = {2, 3};
        PredictiveModel model = model(0.5, new int[0], 0f);
        List<ModelTrainer.Example> reports = List.of(new ModelTrainer.Example(spam, true), new ModelTrainer.Example(ham, false));

        PredictiveModel onePass = new IncrementalLearner(0.25, 2.0, 10, 1).learn(model, reports).model();
        PredictiveModel threePasses = new IncrementalLearner(0.25, 2.0, 10, 3).learn(model, reports).model();

        assertThat(onePass.isSpam(onePass.score(spam))).isFalse();
        assertThat(threePasses.isSpam(threePasses.score(spam))).isTrue();
        assertThat(threePasses.isSpam(threePasses.score(ham))).isFalse();
    }
}
