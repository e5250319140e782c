package org.jamesshaping.filter.predictive;

import java.util.List;

/**
 * Teaches a trained {@link PredictiveModel} single messages an operator reported, without retraining: for each
 * message the filter got wrong (or only just right), the smallest change of weights that puts the message's score
 * a margin beyond the model's threshold on the reported side (a larger margin for ham than for spam). This is the passive-aggressive update of Crammer et
 * al. (2006) in the model's own units: the margin is {@code bias + sum(w[f]) / sqrt(n)} over the message's n
 * distinct features, so adding {@code d} to each of their weights moves it by {@code d * sqrt(n)}.
 *
 * <ul>
 *   <li>Passive: a message already on the right side with the margin changes nothing, so reporting it twice, or
 *       reporting what the filter already caught, costs the rest of the mail nothing.</li>
 *   <li>Minimal: the change is spread evenly over the message's own features (the least total change that does the
 *       job), and no weight moves by more than {@code maxStep} per message, so one odd report cannot swing the
 *       verdicts on everything that shares its common tokens. A message that would need more is moved further
 *       in the next pass.</li>
 *   <li>The bias is never touched: it would move every message's score.</li>
 * </ul>
 */
public final class IncrementalLearner {
    /**
     * How far beyond the threshold a reported spam is put, in logit units. Small: spam reports push shared tokens
     * towards spam, and every bit of margin there is paid for in false positives on other mail.
     */
    public static final double DEFAULT_SPAM_MARGIN = 0.25;
    /** How far below the threshold a reported ham is put: a lost legitimate message costs more than a missed spam. */
    public static final double DEFAULT_HAM_MARGIN = 2.0;
    /** The most one report may move one weight in one pass. Trained weights are mostly within +-2. */
    public static final double DEFAULT_MAX_STEP = 0.5;
    /** Passes over a batch: a later report can undo part of an earlier one; a pass that changes nothing ends it. */
    public static final int DEFAULT_PASSES = 3;

    private final double spamMargin;
    private final double hamMargin;
    private final double maxStep;
    private final int passes;

    public IncrementalLearner(double spamMargin, double hamMargin, double maxStep, int passes) {
        if (!(spamMargin >= 0) || !(hamMargin >= 0) || !(maxStep > 0) || passes < 1) {
            throw new IllegalArgumentException("margins must be >= 0, maxStep > 0 and passes >= 1, got "
                + spamMargin + ", " + hamMargin + ", " + maxStep + ", " + passes);
        }
        this.spamMargin = spamMargin;
        this.hamMargin = hamMargin;
        this.maxStep = maxStep;
        this.passes = passes;
    }

    /** The defaults, chosen on the allowed training corpus (see PredictiveModelCorpusTest and docs/filters.md). */
    public static IncrementalLearner defaults() {
        return new IncrementalLearner(DEFAULT_SPAM_MARGIN, DEFAULT_HAM_MARGIN, DEFAULT_MAX_STEP, DEFAULT_PASSES);
    }

    /** What learning a batch of reports did. */
    public static final class Outcome {
        private final PredictiveModel model;
        private final int changed;
        private final int alreadyRight;

        Outcome(PredictiveModel model, int changed, int alreadyRight) {
            this.model = model;
            this.changed = changed;
            this.alreadyRight = alreadyRight;
        }

        /** The updated model (the same instance when nothing changed). */
        public PredictiveModel model() {
            return model;
        }

        /** Reports that moved weights. */
        public int changed() {
            return changed;
        }

        /** Reports already judged right with the margin when their turn came: nothing to learn from them. */
        public int alreadyRight() {
            return alreadyRight;
        }
    }

    /**
     * Learns the examples in order (each sees the weights the previous ones left), in up to {@code passes} passes.
     * Returns a new model; the given one is not modified, so the mail path can keep scoring with it meanwhile.
     */
    public Outcome learn(PredictiveModel model, List<ModelTrainer.Example> examples) {
        double targetLogit = logit(model.threshold());
        float[] weights = null;
        boolean[] moved = new boolean[examples.size()];
        for (int pass = 0; pass < passes; pass++) {
            boolean anyMoved = false;
            for (int i = 0; i < examples.size(); i++) {
                ModelTrainer.Example example = examples.get(i);
                int[] features = example.features();
                if (features.length == 0) {
                    continue;
                }
                double sqrtN = Math.sqrt(features.length);
                double sum = 0;
                for (int feature : features) {
                    sum += weights == null ? model.weight(feature) : weights[feature];
                }
                double current = model.bias() + sum / sqrtN;
                // How far the margin must move, signed towards the reported side.
                double needed = example.spam() ? targetLogit + spamMargin - current : targetLogit - hamMargin - current;
                if (example.spam() ? needed <= 0 : needed >= 0) {
                    continue;
                }
                double step = Math.max(-maxStep, Math.min(maxStep, needed / sqrtN));
                if (weights == null) {
                    weights = model.weightsCopy();
                }
                for (int feature : features) {
                    weights[feature] += (float) step;
                }
                moved[i] = true;
                anyMoved = true;
            }
            if (!anyMoved) {
                break;
            }
        }
        int spam = 0;
        int changed = 0;
        for (int i = 0; i < examples.size(); i++) {
            spam += examples.get(i).spam() ? 1 : 0;
            changed += moved[i] ? 1 : 0;
        }
        if (weights == null) {
            return new Outcome(model, 0, examples.size());
        }
        PredictiveModel learned = new PredictiveModel(model.featureVersion(), model.dimensionBits(), weights, model.bias(),
            model.threshold(), model.spamCount() + spam, model.hamCount() + examples.size() - spam, model.trainedAt());
        return new Outcome(learned, changed, examples.size() - changed);
    }

    /** The margin at which {@link PredictiveModel#score} equals the threshold; thresholds at 0 or 1 are kept finite. */
    static double logit(double threshold) {
        double p = Math.max(1e-6, Math.min(1 - 1e-6, threshold));
        return Math.log(p / (1 - p));
    }
}
