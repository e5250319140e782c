package org.jamesshaping.filter;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Trains a {@link PredictiveModel} with AdaGrad logistic regression on feature vectors. Ham errors are weighted
 * more than spam errors ({@code hamWeight}) because a lost legitimate message costs more than a missed spam.
 * Deterministic for a given seed and input order.
 */
public final class ModelTrainer {
    /** One training message. */
    public static final class Example {
        private final int[] features;
        private final boolean spam;

        public Example(int[] features, boolean spam) {
            this.features = features;
            this.spam = spam;
        }

        public int[] features() {
            return features;
        }

        public boolean spam() {
            return spam;
        }
    }

    private final int dimensionBits;
    private final int epochs;
    private final double learningRate;
    private final double hamWeight;
    private final double l2;
    private final long seed;

    public ModelTrainer(int dimensionBits, int epochs, double learningRate, double hamWeight, double l2, long seed) {
        this.dimensionBits = dimensionBits;
        this.epochs = epochs;
        this.learningRate = learningRate;
        this.hamWeight = hamWeight;
        this.l2 = l2;
        this.seed = seed;
    }

    public static ModelTrainer defaults() {
        return new ModelTrainer(20, 12, 0.5, 1.0, 1e-6, 42);
    }

    public int dimensionBits() {
        return dimensionBits;
    }

    public PredictiveModel train(List<Example> examples, double threshold) {
        int dimension = 1 << dimensionBits;
        float[] weights = new float[dimension];
        float[] gradientSquares = new float[dimension];
        double bias = 0;
        double biasGradientSquares = 0;
        List<Example> order = new ArrayList<>(examples);
        Random random = new Random(seed);
        int spam = 0;
        for (Example example : examples) {
            spam += example.spam() ? 1 : 0;
        }
        for (int epoch = 0; epoch < epochs; epoch++) {
            java.util.Collections.shuffle(order, random);
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
            }
        }
        return new PredictiveModel(FeatureExtractor.FEATURE_VERSION, dimensionBits, weights, (float) bias, threshold,
            spam, examples.size() - spam, Instant.now());
    }
}
