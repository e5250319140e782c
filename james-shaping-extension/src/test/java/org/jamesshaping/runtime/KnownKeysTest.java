package org.jamesshaping.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.slf4j.helpers.NOPLogger;

class KnownKeysTest {
    private final KnownKeys keys = new KnownKeys("conf/test.properties",
        List.of("mongo.uri", "mongo.timeout", "flush.interval", "decay.half.life", "cache.refresh.interval"));

    @Test
    void aSlipIsAnsweredWithTheClosestKnownKey() {
        assertThat(keys.closest("mongo.url")).contains("mongo.uri");
        assertThat(keys.closest("decay.halflife")).contains("decay.half.life");
        assertThat(keys.closest("Flush.Interval")).contains("flush.interval");
        assertThat(keys.closest("cache.refresh")).contains("cache.refresh.interval");
        assertThat(keys.closest("colour")).isEmpty();
    }

    @Test
    void onlyUnknownKeysAreWarnedOnceEachNamingTheFileAndTheCandidate() {
        List<String> warnings = keys.warnUnknown(NOPLogger.NOP_LOGGER,
            List.of("mongo.uri", "mongo.timout", "mongo.timout", "something.else"));
        assertThat(warnings).containsExactly(
            "conf/test.properties: unknown key 'mongo.timout' is ignored; did you mean 'mongo.timeout'?",
            "conf/test.properties: unknown key 'something.else' is ignored; known keys: [cache.refresh.interval, "
                + "decay.half.life, flush.interval, mongo.timeout, mongo.uri]");
        assertThat(keys.warnUnknown(NOPLogger.NOP_LOGGER, List.of("mongo.uri", "flush.interval"))).isEmpty();
    }

    @Test
    void distanceCountsEdits() {
        assertThat(KnownKeys.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(KnownKeys.distance("", "abc")).isEqualTo(3);
        assertThat(KnownKeys.distance("same", "same")).isZero();
    }
}
