package org.jamesshaping.scoring;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * How signals weigh and where the classes start: every knob of the {@link ReputationClassifier}, with its default.
 * Read once per James from {@code shaping.properties} ({@link ScoringConfigReader}); each key is documented there
 * beside its default. Not thread-safe while being built; published to the SMTP path only once built.
 */
public final class ScoringConfig {
    final Map<Signal, Double> weights = new EnumMap<>(Signal.class);
    /** {@link #weights} again, for {@link ReputationClassifier}; rebuilt whenever a weight is set. */
    ReputationClassifier.WeightTable weightTable;
    /** A new sender's badness, and how many events it is worth: one typo does not condemn it. */
    double priorBadness = 0.3;
    double priorStrength = 10;
    /** The neighbours (the /24 or /64 without the address) count as at most this many events. */
    double subnetWeight = 20;
    /** Each distinct neighbour address with a standing of its own counts as this many events, up to {@link #subnetWeight}. */
    double neighbourAddressWeight = 2;
    /**
     * The wide network (the /16 or /48, without the sender's own subnet) shifts a sender's prior as at most this many
     * events: half the subnet's neighbours, so that alone it brings a fresh address to class 6 at worst, and the
     * own history of a clean sender outweighs it within a few messages.
     */
    double wideWeight = 10;
    /** Each distinct subnet of the wide network with a standing of its own counts as this many events, up to {@link #wideWeight}. */
    double wideNetworkWeight = 0.5;
    /** Good evidence of a message counts at most this many of its distinct recipients; so does the spam verdict on it. */
    int recipientsPerMessage = 5;
    /** Class 0 (fast lane): at least this much good evidence and at most this badness. */
    double fastLaneGood = 20;
    double fastLaneMaxBadness = 0.12;
    /** Class 1 (clean history). */
    double trustedGood = 5;
    double trustedMaxBadness = 0.2;
    /** Badness at which classes 3 to 8 start; below the first, class 2. */
    double[] thresholds = {0.25, 0.42, 0.5, 0.58, 0.66, 0.75};

    /** The defaults. */
    public ScoringConfig() {
        // Positive: evidence of abuse. Negative: evidence of legitimate mail.
        weights.put(Signal.SPAMTRAP_HIT, 12.0);
        weights.put(Signal.UNKNOWN_RECIPIENT, 1.5);
        weights.put(Signal.EARLY_TALK, 8.0);
        weights.put(Signal.PROTOCOL_VIOLATION, 1.0);
        weights.put(Signal.HELO_ANOMALY, 1.5);
        weights.put(Signal.SPAM, 4.0);
        weights.put(Signal.KNOWN_SPAM, 6.0);
        weights.put(Signal.REPORTED_SPAM, 8.0);
        weights.put(Signal.MESSAGE_ABORTED, 0.5);
        weights.put(Signal.AUTH_FAILURE, 1.5);
        weights.put(Signal.HAM, -2.0);
        weights.put(Signal.REPORTED_HAM, -8.0);
        // Good evidence only from messages taken at the end of DATA: an accepted RCPT alone earns nothing.
        weights.put(Signal.MESSAGE_ACCEPTED, -1.0);
        weights.put(Signal.RECIPIENT_DELIVERED, -0.5);
        weightTable = new ReputationClassifier.WeightTable(weights);
    }

    public ScoringConfig weight(Signal signal, double value) {
        weights.put(signal, value);
        weightTable = new ReputationClassifier.WeightTable(weights);
        return this;
    }

    public ScoringConfig prior(double badness, double strength) {
        this.priorBadness = badness;
        this.priorStrength = strength;
        return this;
    }

    public ScoringConfig subnetWeight(double value) {
        this.subnetWeight = value;
        return this;
    }

    public ScoringConfig neighbourAddressWeight(double value) {
        this.neighbourAddressWeight = value;
        return this;
    }

    public ScoringConfig wideWeight(double value) {
        this.wideWeight = value;
        return this;
    }

    public ScoringConfig wideNetworkWeight(double value) {
        this.wideNetworkWeight = value;
        return this;
    }

    public ScoringConfig recipientsPerMessage(int value) {
        this.recipientsPerMessage = value;
        return this;
    }

    /** The recipients of a message that count, for its good evidence and for a spam verdict on it: 1 to the cap. */
    public int countedRecipients(int distinct) {
        return Math.max(1, Math.min(distinct, recipientsPerMessage));
    }

    public ScoringConfig fastLane(double fastLaneGoodValue, double maxBadness, double trustedGoodValue, double trustedMaxBadnessValue) {
        this.fastLaneGood = fastLaneGoodValue;
        this.fastLaneMaxBadness = maxBadness;
        this.trustedGood = trustedGoodValue;
        this.trustedMaxBadness = trustedMaxBadnessValue;
        return this;
    }

    /** @throws IllegalArgumentException unless there are 6 that do not decrease */
    public ScoringConfig thresholds(double[] values) {
        if (values.length != 6) {
            throw new IllegalArgumentException("6 thresholds are needed (classes 3 to 8), got " + values.length);
        }
        for (int i = 1; i < values.length; i++) {
            if (values[i] < values[i - 1]) {
                throw new IllegalArgumentException("thresholds must not decrease");
            }
        }
        this.thresholds = values.clone();
        return this;
    }

    public Map<Signal, Double> weights() {
        return Collections.unmodifiableMap(weights);
    }

    /** Same knobs, same values: how two sources of the configuration are told to agree. */
    @Override
    public boolean equals(Object other) {
        if (!(other instanceof ScoringConfig)) {
            return false;
        }
        ScoringConfig that = (ScoringConfig) other;
        return weights.equals(that.weights) && priorBadness == that.priorBadness && priorStrength == that.priorStrength
            && subnetWeight == that.subnetWeight && neighbourAddressWeight == that.neighbourAddressWeight
            && wideWeight == that.wideWeight && wideNetworkWeight == that.wideNetworkWeight
            && recipientsPerMessage == that.recipientsPerMessage && fastLaneGood == that.fastLaneGood
            && fastLaneMaxBadness == that.fastLaneMaxBadness && trustedGood == that.trustedGood
            && trustedMaxBadness == that.trustedMaxBadness && Arrays.equals(thresholds, that.thresholds);
    }

    @Override
    public int hashCode() {
        return Objects.hash(weights, priorBadness, priorStrength, subnetWeight, fastLaneGood, Arrays.hashCode(thresholds));
    }
}
