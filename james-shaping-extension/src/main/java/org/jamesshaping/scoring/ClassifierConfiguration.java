package org.jamesshaping.scoring;

import java.util.Arrays;

import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;

/**
 * Reads the {@code <reputation>} block of the TrafficShaper handler: how signals weigh, and where the classes
 * start. Everything is optional; see {@link ReputationClassifier.Settings} for the defaults.
 *
 * <pre>{@code
 * <reputation>
 *     <weight signal="spamtrapHits">12</weight>       <!-- positive: abuse; negative: legitimate mail -->
 *     <prior badness="0.3" strength="10"/>           <!-- a new sender: 30% bad, worth 10 events -->
 *     <subnetWeight>20</subnetWeight>                <!-- the neighbours count as at most 20 events -->
 *     <fastLane good="20" maxBadness="0.12" trustedGood="5" trustedMaxBadness="0.2"/>   <!-- classes 0 and 1 -->
 *     <thresholds>0.25,0.42,0.5,0.58,0.66,0.75</thresholds>   <!-- badness where classes 3..8 start -->
 * </reputation>
 * }</pre>
 */
public final class ClassifierConfiguration {
    private ClassifierConfiguration() {
    }

    public static ReputationClassifier.Settings from(HierarchicalConfiguration<ImmutableNode> handler) throws ConfigurationException {
        ReputationClassifier.Settings settings = new ReputationClassifier.Settings();
        if (handler.configurationsAt("reputation").isEmpty()) {
            return settings;
        }
        HierarchicalConfiguration<ImmutableNode> config = handler.configurationAt("reputation");
        for (HierarchicalConfiguration<ImmutableNode> weight : config.configurationsAt("weight")) {
            String field = weight.getString("[@signal]", "");
            Signal signal = Signal.fromField(field).orElseThrow(() -> new ConfigurationException(
                "TrafficShaper <reputation>: unknown signal '" + field + "'; known: " + Arrays.toString(fieldNames())));
            settings.weight(signal, number(weight.getString(""), "weight of " + field));
        }
        if (!config.configurationsAt("prior").isEmpty()) {
            settings.prior(number(config.getString("prior[@badness]", "0.3"), "prior badness"),
                number(config.getString("prior[@strength]", "10"), "prior strength"));
        }
        if (config.containsKey("subnetWeight")) {
            settings.subnetWeight(number(config.getString("subnetWeight"), "subnetWeight"));
        }
        if (!config.configurationsAt("fastLane").isEmpty()) {
            settings.fastLane(number(config.getString("fastLane[@good]", "20"), "fastLane good"),
                number(config.getString("fastLane[@maxBadness]", "0.12"), "fastLane maxBadness"),
                number(config.getString("fastLane[@trustedGood]", "5"), "fastLane trustedGood"),
                number(config.getString("fastLane[@trustedMaxBadness]", "0.2"), "fastLane trustedMaxBadness"));
        }
        if (config.containsKey("thresholds")) {
            String[] parts = String.join(",", config.getStringArray("thresholds")).split(",");
            double[] values = new double[parts.length];
            for (int i = 0; i < parts.length; i++) {
                values[i] = number(parts[i], "thresholds");
            }
            try {
                settings.thresholds(values);
            } catch (IllegalArgumentException e) {
                throw new ConfigurationException("TrafficShaper <reputation>: " + e.getMessage());
            }
        }
        return settings;
    }

    private static String[] fieldNames() {
        return Arrays.stream(Signal.values()).map(Signal::field).toArray(String[]::new);
    }

    private static double number(String raw, String what) throws ConfigurationException {
        try {
            return Double.parseDouble(raw == null ? "" : raw.trim());
        } catch (NumberFormatException e) {
            throw new ConfigurationException("TrafficShaper <reputation>: " + what + " is not a number: '" + raw + "'");
        }
    }
}
