package org.jamesshaping.filter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.jamesshaping.filter.tool.MessageFolders;
import org.junit.jupiter.api.Test;

/**
 * Trained on four folds of the allowed sets, threshold tuned inside those four folds, tested on the fifth: never
 * scored on a message it saw, nor with a threshold chosen on it.
 */
class PredictiveModelCorpusTest {
    private static final int FOLDS = 5;
    private static final int TEST_FOLD = 0;

    @Test
    void catchesMostSpamWithFewFalsePositivesOnAHeldOutFold() throws Exception {
        ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
        ModelTrainer trainer = ModelTrainer.defaults();
        FeatureExtractor features = new FeatureExtractor(trainer.dimensionBits());
        List<ModelTrainer.Example> training = new ArrayList<>();
        List<ModelTrainer.Example> testing = new ArrayList<>();
        for (CorpusCache.CorpusMessage message : CorpusCache.loadAllowed()) {
            int[] vector = features.features(extractor.extract(MessageFolders.stripEnvelopeLine(message.raw())));
            (message.fold(FOLDS) == TEST_FOLD ? testing : training).add(new ModelTrainer.Example(vector, message.spam()));
        }
        PredictiveModel model = trainer.trainWithTunedThreshold(training, ModelTrainer.DEFAULT_TARGET_FALSE_POSITIVE_RATE);

        int spam = 0;
        int caught = 0;
        int ham = 0;
        int falsePositives = 0;
        for (ModelTrainer.Example example : testing) {
            boolean flagged = model.isSpam(model.score(example.features()));
            if (example.spam()) {
                spam++;
                caught += flagged ? 1 : 0;
            } else {
                ham++;
                falsePositives += flagged ? 1 : 0;
            }
        }
        assertThat(spam).isGreaterThan(50);
        assertThat(ham).isGreaterThan(300);
        // One fold of the five: the bounds guard against regressions, docs/benchmarks-filters.md gives the figures.
        assertThat((double) caught / spam).as("caught %d of %d spam", caught, spam).isGreaterThanOrEqualTo(0.97);
        assertThat((double) falsePositives / ham).as("%d false positives in %d ham", falsePositives, ham).isLessThanOrEqualTo(0.015);
    }
}
