package org.jamesshaping.filter.predictive;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Trains a {@link PredictiveModel} with AdaGrad logistic regression on feature vectors. Ham errors are weighted
 * more than spam errors ({@code hamWeight}) because a lost legitimate message costs more than a missed spam.
 * Deterministic for a given seed and input order.
 *
 * <p>With {@code runs} > 1 the model is the average of that many models trained on different shuffles (seeds
 * {@code seed}, {@code seed + 7919}, ...). The score is linear in the weights before the sigmoid, so averaging the
 * weights averages the margins: one weight vector, the same scoring cost, and much less of the variance that the
 * order of the stochastic updates puts on the few messages near the threshold.</p>
 *
 * <p>{@link #tuneThreshold} chooses the spam threshold, by cross-validation inside the training
 * set only: models trained on {@value #TUNING_FOLDS}-1 of {@value #TUNING_FOLDS} parts score the remaining part, and
 * the threshold is set just above the ham score that keeps the false-positive rate of those held-out scores within
 * the target. Messages used to evaluate the final model must not be in the training set, or the threshold is
 * tuned on them.</p>
 */
public final class ModelTrainer {
    /** One training message. */
    public static final class Example {
        private final int[] features;
        private final boolean spam;
        private final Instant sentAt;

        public Example(int[] features, boolean spam) {
            this(features, spam, null);
        }

        /** {@code sentAt} ({@link MessageDates}) may be null: such examples are trained on, never held out by time. */
        public Example(int[] features, boolean spam, Instant sentAt) {
            this.features = features;
            this.spam = spam;
            this.sentAt = sentAt;
        }

        public Instant sentAt() {
            return sentAt;
        }

        public int[] features() {
            return features;
        }

        public boolean spam() {
            return spam;
        }
    }

    /** Told how far a long training has come: {@code examples} updates done so far by this trainer. */
    public interface Progress {
        Progress NONE = done -> { };

        void examplesDone(long done);
    }

    /** Parts of the training set for threshold tuning. */
    public static final int TUNING_FOLDS = 4;
    /** Below this many spam or ham the held-out scores say too little: the default threshold is used. */
    public static final int MIN_EXAMPLES_PER_CLASS_FOR_TUNING = 40;
    /** Target false-positive rate of the tuned threshold, measured on held-out training ham. */
    public static final double DEFAULT_TARGET_FALSE_POSITIVE_RATE = 0.002;
    /**
     * Logits added to the tuned threshold ({@link #thresholdFor(double[], double, double)}): on the time split the
     * latest ham scored higher than the held-out ham of the training period, and 2 logits kept false positives at
     * 0.36% where none gave 1.70% (docs/benchmarks-filters.md).
     */
    public static final double DEFAULT_THRESHOLD_MARGIN = 2.0;
    /** A tuned threshold is kept inside these bounds, so a few odd messages cannot make the filter flag nothing or everything. */
    static final double MIN_TUNED_THRESHOLD = 0.05;
    static final double MAX_TUNED_THRESHOLD = 0.95;

    private final int dimensionBits;
    private final int epochs;
    private final double learningRate;
    private final double hamWeight;
    private final double l2;
    private final long seed;
    private final int runs;
    private final Progress progress;
    private final AtomicLong examplesDone = new AtomicLong();

    public ModelTrainer(int dimensionBits, int epochs, double learningRate, double hamWeight, double l2, long seed) {
        this(dimensionBits, epochs, learningRate, hamWeight, l2, seed, 1);
    }

    public ModelTrainer(int dimensionBits, int epochs, double learningRate, double hamWeight, double l2, long seed, int runs) {
        this(dimensionBits, epochs, learningRate, hamWeight, l2, seed, runs, Progress.NONE);
    }

    private ModelTrainer(int dimensionBits, int epochs, double learningRate, double hamWeight, double l2, long seed, int runs,
                         Progress progress) {
        this.progress = progress;
        if (runs < 1) {
            throw new IllegalArgumentException("runs must be at least 1, got " + runs);
        }
        this.runs = runs;
        this.dimensionBits = dimensionBits;
        this.epochs = epochs;
        this.learningRate = learningRate;
        this.hamWeight = hamWeight;
        this.l2 = l2;
        this.seed = seed;
    }

    public static ModelTrainer defaults() {
        return new ModelTrainer(22, 12, 0.7, 1.0, 1e-6, 42, 5);
    }

    public int dimensionBits() {
        return dimensionBits;
    }

    /** The same trainer, reporting its progress (from the training thread, after every 100 example updates). */
    public ModelTrainer withProgress(Progress listener) {
        return new ModelTrainer(dimensionBits, epochs, learningRate, hamWeight, l2, seed, runs, listener);
    }

    /** Example updates that {@link #train} does for {@code examples} messages: what {@link Progress} counts. */
    public long updatesFor(int examples) {
        return (long) examples * epochs * runs;
    }

    /** A tuned threshold and how it was tuned (for {@code filter train}'s summary). */
    public static final class Tuning {
        private final double threshold;
        private final String method;
        private final int heldOutHam;

        Tuning(double threshold, String method, int heldOutHam) {
            this.threshold = threshold;
            this.method = method;
            this.heldOutHam = heldOutHam;
        }

        public double threshold() {
            return threshold;
        }

        /** "time split" or "cross-validation". */
        public String method() {
            return method;
        }

        public int heldOutHam() {
            return heldOutHam;
        }
    }

    /**
     * The threshold tuned on held-out ham of {@code examples}: on the latest ones by date when the examples are
     * dated ({@link #latestHamScores}: it holds better on later mail, docs/benchmarks-filters.md), else by
     * cross-validation ({@link #heldOutHamScores}); empty when there are too few examples.
     */
    public Optional<Tuning> tune(List<Example> examples, double targetFalsePositiveRate, double marginLogits) {
        Optional<double[]> latest = latestHamScores(examples);
        if (latest.isPresent()) {
            return Optional.of(new Tuning(thresholdFor(latest.get(), targetFalsePositiveRate, marginLogits), "time split",
                latest.get().length));
        }
        return heldOutHamScores(examples).map(scores -> new Tuning(thresholdFor(scores, targetFalsePositiveRate, marginLogits),
            "cross-validation", scores.length));
    }

    /**
     * The threshold tuned on held-out parts of {@code examples} ({@link #tune}) with no margin, or empty when there
     * are too few examples.
     */
    public Optional<Double> tuneThreshold(List<Example> examples, double targetFalsePositiveRate) {
        return tune(examples, targetFalsePositiveRate, 0).map(Tuning::threshold);
    }

    /**
     * Scores of every ham example by a model that did not see it (trained on the other parts), sorted ascending;
     * empty with fewer than {@link #MIN_EXAMPLES_PER_CLASS_FOR_TUNING} spam or ham.
     */
    public Optional<double[]> heldOutHamScores(List<Example> examples) {
        int spam = 0;
        for (Example example : examples) {
            spam += example.spam() ? 1 : 0;
        }
        int ham = examples.size() - spam;
        if (spam < MIN_EXAMPLES_PER_CLASS_FOR_TUNING || ham < MIN_EXAMPLES_PER_CLASS_FOR_TUNING) {
            return Optional.empty();
        }
        // Parts are assigned after a seeded shuffle so that files sorted by date or source spread over all parts.
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed ^ 0x74756e65L));
        int[] part = new int[examples.size()];
        for (int rank = 0; rank < order.size(); rank++) {
            part[order.get(rank)] = rank % TUNING_FOLDS;
        }
        double[] scores = new double[ham];
        int seen = 0;
        for (int fold = 0; fold < TUNING_FOLDS; fold++) {
            List<Example> training = new ArrayList<>();
            for (int i = 0; i < examples.size(); i++) {
                if (part[i] != fold) {
                    training.add(examples.get(i));
                }
            }
            PredictiveModel model = train(training, PredictiveModel.DEFAULT_THRESHOLD);
            for (int i = 0; i < examples.size(); i++) {
                if (part[i] == fold && !examples.get(i).spam()) {
                    scores[seen++] = model.score(examples.get(i).features());
                }
            }
        }
        Arrays.sort(scores);
        return Optional.of(scores);
    }

    /**
     * Scores of the latest ham ({@link TimeSplit}, the latest {@code 1 - }{@value TimeSplit#DEFAULT_TRAIN_FRACTION}
     * of spam and of ham by date) by a model trained on the earlier messages only, sorted ascending: held out as mail
     * arriving after training is. Empty with fewer than {@link #MIN_EXAMPLES_PER_CLASS_FOR_TUNING} spam or ham
     * on either side, or when fewer than 90% of the examples have a date.
     */
    public Optional<double[]> latestHamScores(List<Example> examples) {
        return latestScores(examples).map(scores -> scores[0]);
    }

    /**
     * {@link #latestHamScores} and the latest spam's scores by the same model: {ham, spam}, each sorted ascending
     * (what a calibration of the scores on later mail needs); empty in the same cases.
     */
    public Optional<double[][]> latestScores(List<Example> examples) {
        int dated = 0;
        for (Example example : examples) {
            dated += example.sentAt() != null ? 1 : 0;
        }
        if (dated < 0.9 * examples.size()) {
            return Optional.empty();
        }
        boolean[] latest = TimeSplit.latest(examples, Example::sentAt, Example::spam, TimeSplit.DEFAULT_TRAIN_FRACTION);
        List<Example> earlier = new ArrayList<>();
        int[] counts = new int[4];
        for (int i = 0; i < examples.size(); i++) {
            Example example = examples.get(i);
            counts[(latest[i] ? 2 : 0) + (example.spam() ? 1 : 0)]++;
            if (!latest[i]) {
                earlier.add(example);
            }
        }
        for (int count : counts) {
            if (count < MIN_EXAMPLES_PER_CLASS_FOR_TUNING) {
                return Optional.empty();
            }
        }
        PredictiveModel model = train(earlier, PredictiveModel.DEFAULT_THRESHOLD);
        double[][] scores = {new double[counts[2]], new double[counts[3]]};
        int[] seen = new int[2];
        for (int i = 0; i < examples.size(); i++) {
            if (latest[i]) {
                int kind = examples.get(i).spam() ? 1 : 0;
                scores[kind][seen[kind]++] = model.score(examples.get(i).features());
            }
        }
        Arrays.sort(scores[0]);
        Arrays.sort(scores[1]);
        return Optional.of(scores);
    }

    /**
     * Just above the (allowed + 1)-th highest held-out ham score, where allowed = floor(target x ham): at most
     * "allowed" of those ham score at or above it. Clamped to [{@value #MIN_TUNED_THRESHOLD}, {@value #MAX_TUNED_THRESHOLD}].
     */
    public static double thresholdFor(double[] sortedHamScores, double targetFalsePositiveRate) {
        return thresholdFor(sortedHamScores, targetFalsePositiveRate, 0);
    }

    /**
     * {@link #thresholdFor(double[], double)} moved up by {@code marginLogits} on the logit scale (then clamped):
     * later ham scores higher than held-out ham of the training period, and the margin keeps the false-positive
     * rate near its target when the scores shift.
     */
    public static double thresholdFor(double[] sortedHamScores, double targetFalsePositiveRate, double marginLogits) {
        if (!(targetFalsePositiveRate >= 0 && targetFalsePositiveRate < 1)) {
            throw new IllegalArgumentException("target false-positive rate must be in [0, 1), got " + targetFalsePositiveRate);
        }
        int ham = sortedHamScores.length;
        int allowed = (int) Math.floor(targetFalsePositiveRate * ham);
        double threshold = Math.nextUp(sortedHamScores[ham - 1 - allowed]);
        if (marginLogits != 0) {
            double clamped = Math.max(1e-9, Math.min(1 - 1e-9, threshold));
            threshold = PredictiveModel.sigmoid(Math.log(clamped / (1 - clamped)) + marginLogits);
        }
        return Math.max(MIN_TUNED_THRESHOLD, Math.min(MAX_TUNED_THRESHOLD, threshold));
    }

    /** The average of {@code runs} models trained on different shuffles of the examples (see the class comment). */
    public PredictiveModel train(List<Example> examples, double threshold) {
        int spam = 0;
        for (Example example : examples) {
            spam += example.spam() ? 1 : 0;
        }
        float[] weights = new float[1 << dimensionBits];
        double bias = 0;
        float[] runWeights = new float[weights.length];
        for (int run = 0; run < runs; run++) {
            Arrays.fill(runWeights, 0f);
            bias += trainOnce(examples, runWeights, seed + 7919L * run) / runs;
            for (int i = 0; i < weights.length; i++) {
                weights[i] += runWeights[i] / runs;
            }
        }
        return new PredictiveModel(FeatureExtractor.FEATURE_VERSION, dimensionBits, weights, (float) bias, threshold,
            spam, examples.size() - spam, Instant.now());
    }

    /** One AdaGrad run from zero weights into {@code weights}; returns the bias. */
    private double trainOnce(List<Example> examples, float[] weights, long runSeed) {
        int dimension = weights.length;
        float[] gradientSquares = new float[dimension];
        double bias = 0;
        double biasGradientSquares = 0;
        List<Example> order = new ArrayList<>(examples);
        Random random = new Random(runSeed);
        for (int epoch = 0; epoch < epochs; epoch++) {
            Collections.shuffle(order, random);
            for (Example example : order) {
                int[] features = example.features();
                double scale = features.length == 0 ? 0 : 1 / Math.sqrt(features.length);
                double sum = 0;
                for (int feature : features) {
                    sum += weights[feature];
                }
                double predicted = PredictiveModel.sigmoid(bias + sum * scale);
                double target = example.spam() ? 1 : 0;
                double importance = example.spam() ? 1 : hamWeight;
                double gradient = (predicted - target) * importance;
                for (int feature : features) {
                    double g = gradient * scale + l2 * weights[feature];
                    gradientSquares[feature] += (float) (g * g);
                    weights[feature] -= (float) (learningRate * g / Math.sqrt(gradientSquares[feature] + 1e-8));
                }
                biasGradientSquares += gradient * gradient;
                bias -= learningRate * gradient / Math.sqrt(biasGradientSquares + 1e-8);
                long done = examplesDone.incrementAndGet();
                if (done % 100 == 0) {
                    progress.examplesDone(done);
                }
            }
        }
        return bias;
    }
}
