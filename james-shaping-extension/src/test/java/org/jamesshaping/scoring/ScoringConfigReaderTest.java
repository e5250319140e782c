package org.jamesshaping.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.util.Map;
import java.util.Optional;

import org.apache.commons.configuration2.MapConfiguration;
import org.apache.commons.configuration2.XMLConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.io.FileHandler;
import org.junit.jupiter.api.Test;

class ScoringConfigReaderTest {
    private static Optional<ScoringConfig> properties(Map<String, Object> keys) throws ConfigurationException {
        return ScoringConfigReader.fromProperties(new MapConfiguration(keys));
    }

    private static XMLConfiguration handler(String content) throws ConfigurationException {
        XMLConfiguration configuration = new XMLConfiguration();
        new FileHandler(configuration).load(new StringReader(content));
        return configuration;
    }

    @Test
    void withoutScoringKeysTheDefaultsApply() throws Exception {
        assertThat(properties(Map.of("mongo.uri", "mongodb://mongo:27017"))).isEmpty();
    }

    @Test
    void everyKnobIsReadFromShapingProperties() throws Exception {
        ScoringConfig config = properties(Map.of(
            "scoring.weight.unknownRecipients", "3",
            "scoring.prior.badness", "0.4",
            "scoring.prior.strength", "5",
            "scoring.subnet.weight", "8",
            "scoring.subnet.address.weight", "3",
            "scoring.wide.weight", "6",
            "scoring.wide.network.weight", "1",
            "scoring.fastlane.good", "30",
            "scoring.thresholds", "0.2,0.3,0.4,0.5,0.6,0.7")).orElseThrow();

        ScoringConfig expected = new ScoringConfig().weight(Signal.UNKNOWN_RECIPIENT, 3).prior(0.4, 5).subnetWeight(8)
            .neighbourAddressWeight(3).wideWeight(6).wideNetworkWeight(1)
            .fastLane(30, 0.12, 5, 0.2).thresholds(new double[] {0.2, 0.3, 0.4, 0.5, 0.6, 0.7});
        assertThat(config).isEqualTo(expected).isNotEqualTo(new ScoringConfig());
    }

    @Test
    void aMisspeltKeyABadNumberOrAnUnknownSignalStopsJamesWithTheKeyNamed() {
        assertThatThrownBy(() -> properties(Map.of("scoring.subnetWeight", "8")))
            .isInstanceOf(ConfigurationException.class).hasMessageContaining("scoring.subnetWeight").hasMessageContaining("scoring.subnet.weight");
        assertThatThrownBy(() -> properties(Map.of("scoring.prior.strength", "ten")))
            .isInstanceOf(ConfigurationException.class).hasMessageContaining("scoring.prior.strength");
        assertThatThrownBy(() -> properties(Map.of("scoring.weight.spamtraps", "12")))
            .isInstanceOf(ConfigurationException.class).hasMessageContaining("unknown signal 'spamtraps'");
        assertThatThrownBy(() -> properties(Map.of("scoring.prior.badness", "NaN")))
            .isInstanceOf(ConfigurationException.class).hasMessageContaining("scoring.prior.badness");
        assertThatThrownBy(() -> properties(Map.of("scoring.trusted.max.badness", "1.5")))
            .isInstanceOf(ConfigurationException.class).hasMessageContaining("from 0 to 1");
        assertThatThrownBy(() -> properties(Map.of("scoring.thresholds", "0.5,0.4,0.6,0.7,0.8,0.9")))
            .isInstanceOf(ConfigurationException.class).hasMessageContaining("must not decrease");
    }

    @Test
    void theDeprecatedReputationBlockReadsAsBefore() throws Exception {
        ScoringConfig config = ScoringConfigReader.fromReputationBlock(handler("<handler><reputation>"
            + "<weight signal=\"unknownRecipients\">3</weight><prior badness=\"0.4\" strength=\"5\"/><subnetWeight>8</subnetWeight>"
            + "</reputation></handler>")).orElseThrow();

        assertThat(config).isEqualTo(new ScoringConfig().weight(Signal.UNKNOWN_RECIPIENT, 3).prior(0.4, 5).subnetWeight(8));
        assertThat(ScoringConfigReader.fromReputationBlock(handler("<handler><preset>stage3</preset></handler>"))).isEmpty();
    }
}
