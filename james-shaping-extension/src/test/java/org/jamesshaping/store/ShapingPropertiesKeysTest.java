package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileReader;
import java.util.Map;

import org.apache.commons.configuration2.MapConfiguration;
import org.apache.commons.configuration2.PropertiesConfiguration;
import org.junit.jupiter.api.Test;

/** Keys of conf/shaping.properties that nothing reads are warned about at start, with the closest known key. */
class ShapingPropertiesKeysTest {
    @Test
    void theSampleFileHasNoUnknownKey() throws Exception {
        PropertiesConfiguration sample = new PropertiesConfiguration();
        try (FileReader reader = new FileReader("../james-conf/shaping.properties")) {
            sample.read(reader);
        }
        assertThat(sample.getKeys().hasNext()).isTrue();
        assertThat(StoreSettings.warnUnknownKeys(sample)).isEmpty();
    }

    @Test
    void storeAndScoringSlipsAreNamedWithWhatWasMeant() {
        assertThat(StoreSettings.warnUnknownKeys(new MapConfiguration(Map.of(
            "mongo.uri", "mongodb://127.0.0.1", "decay.halflife", "14d", "scoring.weight.earlytalk", "3",
            "scorng.prior.badness", "0.3"))))
            .containsExactlyInAnyOrder(
                "conf/shaping.properties: unknown key 'decay.halflife' is ignored; did you mean 'decay.half.life'?",
                "conf/shaping.properties: unknown key 'scoring.weight.earlytalk' is ignored; did you mean 'scoring.weight.earlyTalk'?",
                "conf/shaping.properties: unknown key 'scorng.prior.badness' is ignored; did you mean 'scoring.prior.badness'?");
    }
}
