package org.jamesshaping.scoring;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;

/**
 * Reads a {@link ScoringConfig}: from the {@code scoring.*} keys of {@code shaping.properties}, or from the
 * {@code <reputation>} block that earlier versions read in the TrafficShaper handler of {@code smtpserver.xml}.
 * Every key is optional; a bad value, or a {@code scoring.*} key that is not one of them, stops James at start with
 * the key named.
 */
public final class ScoringConfigReader {
    static final String PREFIX = "scoring.";
    private static final String WEIGHT = PREFIX + "weight.";
    private static final Set<String> KEYS = Set.of(PREFIX + "prior.badness", PREFIX + "prior.strength", PREFIX + "subnet.weight", PREFIX + "subnet.address.weight",
        PREFIX + "wide.weight", PREFIX + "wide.network.weight", PREFIX + "recipients.per.message",
        PREFIX + "fastlane.good", PREFIX + "fastlane.max.badness", PREFIX + "trusted.good", PREFIX + "trusted.max.badness",
        PREFIX + "thresholds");

    private ScoringConfigReader() {
    }

    /** The {@code scoring.*} keys of shaping.properties, a weight as {@code scoring.weight.<signal>}. */
    public static Set<String> keys() {
        Set<String> keys = new TreeSet<>(KEYS);
        for (Signal signal : Signal.values()) {
            keys.add(WEIGHT + signal.field());
        }
        return keys;
    }

    /** The elements of a TrafficShaper's {@code <reputation>} block. */
    public static final Set<String> REPUTATION_BLOCK_KEYS = Set.of("weight", "prior", "subnetWeight", "fastLane", "thresholds");

    /** The scoring of {@code shaping.properties}; empty when it sets no {@code scoring.*} key (the defaults apply). */
    public static Optional<ScoringConfig> fromProperties(Configuration properties) throws ConfigurationException {
        List<String> keys = new ArrayList<>();
        for (Iterator<String> it = properties.getKeys(PREFIX.substring(0, PREFIX.length() - 1)); it.hasNext(); ) {
            keys.add(it.next());
        }
        if (keys.isEmpty()) {
            return Optional.empty();
        }
        ScoringConfig config = new ScoringConfig();
        for (String key : keys) {
            if (key.startsWith(WEIGHT)) {
                String field = key.substring(WEIGHT.length());
                config.weight(signal(field, "shaping.properties: " + key), finite(properties.getString(key), "shaping.properties: " + key));
            } else if (!KEYS.contains(key)) {
                throw new ConfigurationException("shaping.properties: unknown key '" + key + "'; scoring keys are " + new TreeSet<>(KEYS)
                    + " and " + WEIGHT + "<signal>");
            }
        }
        String where = "shaping.properties: ";
        config.prior(badness(properties, PREFIX + "prior.badness", config.priorBadness),
            atLeastZero(properties, PREFIX + "prior.strength", config.priorStrength));
        config.subnetWeight(atLeastZero(properties, PREFIX + "subnet.weight", config.subnetWeight));
        config.neighbourAddressWeight(atLeastZero(properties, PREFIX + "subnet.address.weight", config.neighbourAddressWeight));
        config.wideWeight(atLeastZero(properties, PREFIX + "wide.weight", config.wideWeight));
        config.wideNetworkWeight(atLeastZero(properties, PREFIX + "wide.network.weight", config.wideNetworkWeight));
        config.fastLane(atLeastZero(properties, PREFIX + "fastlane.good", config.fastLaneGood),
            badness(properties, PREFIX + "fastlane.max.badness", config.fastLaneMaxBadness),
            atLeastZero(properties, PREFIX + "trusted.good", config.trustedGood),
            badness(properties, PREFIX + "trusted.max.badness", config.trustedMaxBadness));
        if (properties.containsKey(PREFIX + "thresholds")) {
            thresholds(config, String.join(",", properties.getStringArray(PREFIX + "thresholds")), where + PREFIX + "thresholds");
        }
        return Optional.of(config);
    }

    /** The {@code <reputation>} block of a TrafficShaper handler, or empty when it has none. */
    public static Optional<ScoringConfig> fromReputationBlock(HierarchicalConfiguration<ImmutableNode> handler) throws ConfigurationException {
        if (handler.configurationsAt("reputation").isEmpty()) {
            return Optional.empty();
        }
        String where = "TrafficShaper <reputation>: ";
        HierarchicalConfiguration<ImmutableNode> block = handler.configurationAt("reputation");
        ScoringConfig config = new ScoringConfig();
        for (HierarchicalConfiguration<ImmutableNode> weight : block.configurationsAt("weight")) {
            String field = weight.getString("[@signal]", "");
            config.weight(signal(field, where + "weight"), finite(weight.getString(""), where + "weight of " + field));
        }
        if (!block.configurationsAt("prior").isEmpty()) {
            config.prior(finite(block.getString("prior[@badness]", "0.3"), where + "prior badness"),
                finite(block.getString("prior[@strength]", "10"), where + "prior strength"));
        }
        if (block.containsKey("subnetWeight")) {
            config.subnetWeight(finite(block.getString("subnetWeight"), where + "subnetWeight"));
        }
        if (!block.configurationsAt("fastLane").isEmpty()) {
            config.fastLane(finite(block.getString("fastLane[@good]", "20"), where + "fastLane good"),
                finite(block.getString("fastLane[@maxBadness]", "0.12"), where + "fastLane maxBadness"),
                finite(block.getString("fastLane[@trustedGood]", "5"), where + "fastLane trustedGood"),
                finite(block.getString("fastLane[@trustedMaxBadness]", "0.2"), where + "fastLane trustedMaxBadness"));
        }
        if (block.containsKey("thresholds")) {
            thresholds(config, String.join(",", block.getStringArray("thresholds")), where + "thresholds");
        }
        return Optional.of(config);
    }

    private static Signal signal(String field, String where) throws ConfigurationException {
        Optional<Signal> signal = Signal.fromField(field);
        if (signal.isEmpty()) {
            List<String> known = new ArrayList<>();
            for (Signal each : Signal.values()) {
                known.add(each.field());
            }
            throw new ConfigurationException(where + ": unknown signal '" + field + "'; known: " + known);
        }
        return signal.get();
    }

    private static void thresholds(ScoringConfig config, String raw, String where) throws ConfigurationException {
        String[] parts = raw.split(",");
        double[] values = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            values[i] = finite(parts[i], where);
        }
        try {
            config.thresholds(values);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(where + ": " + e.getMessage());
        }
    }

    private static double badness(Configuration properties, String key, double defaultValue) throws ConfigurationException {
        double value = properties.containsKey(key) ? finite(properties.getString(key), "shaping.properties: " + key) : defaultValue;
        if (value < 0 || value > 1) {
            throw new ConfigurationException("shaping.properties: " + key + " is a badness, from 0 to 1, got " + value);
        }
        return value;
    }

    private static double atLeastZero(Configuration properties, String key, double defaultValue) throws ConfigurationException {
        double value = properties.containsKey(key) ? finite(properties.getString(key), "shaping.properties: " + key) : defaultValue;
        if (value < 0) {
            throw new ConfigurationException("shaping.properties: " + key + " must not be negative, got " + value);
        }
        return value;
    }

    private static double finite(String raw, String what) throws ConfigurationException {
        try {
            double value = Double.parseDouble(raw == null ? "" : raw.trim());
            if (Double.isFinite(value)) {
                return value;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw new ConfigurationException(what + " is not a number: '" + raw + "'");
    }
}
