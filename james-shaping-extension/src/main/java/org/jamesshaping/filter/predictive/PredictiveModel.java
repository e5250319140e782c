package org.jamesshaping.filter.predictive;

import java.time.Instant;

/**
 * A logistic-regression model over hashed features: score = sigmoid(bias + sum of the weights of the features
 * present / sqrt(number of features)). Dividing by the root of the feature count keeps long messages from getting
 * extreme scores just by being long. Immutable: a new model replaces the old one by reference.
 */
public final class PredictiveModel {
    /**
     * Used when the training set is too small to tune a threshold ({@link ModelTrainer#tuneThreshold}),
     * or when a caller fixes none; normally the threshold is tuned at training time.
     */
    public static final double DEFAULT_THRESHOLD = 0.2;

    private final int featureVersion;
    private final int dimensionBits;
    private final float[] weights;
    private final float bias;
    private final double threshold;
    private final int spamCount;
    private final int hamCount;
    private final Instant trainedAt;

    public PredictiveModel(int featureVersion, int dimensionBits, float[] weights, float bias, double threshold,
                           int spamCount, int hamCount, Instant trainedAt) {
        if (weights.length != 1 << dimensionBits) {
            throw new IllegalArgumentException("expected " + (1 << dimensionBits) + " weights, got " + weights.length);
        }
        this.featureVersion = featureVersion;
        this.dimensionBits = dimensionBits;
        this.weights = weights;
        this.bias = bias;
        this.threshold = threshold;
        this.spamCount = spamCount;
        this.hamCount = hamCount;
        this.trainedAt = trainedAt;
    }

    /** Probability-like spam score in [0, 1]. */
    public double score(int[] features) {
        return sigmoid(margin(features));
    }

    double margin(int[] features) {
        if (features.length == 0) {
            return bias;
        }
        double sum = 0;
        for (int feature : features) {
            sum += weights[feature];
        }
        return bias + sum / Math.sqrt(features.length);
    }

    static double sigmoid(double margin) {
        return 1 / (1 + Math.exp(-margin));
    }

    public boolean isSpam(double score) {
        return score >= threshold;
    }

    public FeatureExtractor featureExtractor() {
        return new FeatureExtractor(dimensionBits);
    }

    public int featureVersion() {
        return featureVersion;
    }

    public int dimensionBits() {
        return dimensionBits;
    }

    /** Weights that are not zero: the features training has seen (the stored size of the model). */
    public int nonZeroWeights() {
        int count = 0;
        for (float weight : weights) {
            count += weight != 0 ? 1 : 0;
        }
        return count;
    }

    float weight(int index) {
        return weights[index];
    }

    /** A copy of the weights, for learning into a new model while this one keeps scoring. */
    float[] weightsCopy() {
        return weights.clone();
    }

    public float bias() {
        return bias;
    }

    public double threshold() {
        return threshold;
    }

    public int spamCount() {
        return spamCount;
    }

    public int hamCount() {
        return hamCount;
    }

    public Instant trainedAt() {
        return trainedAt;
    }
}
