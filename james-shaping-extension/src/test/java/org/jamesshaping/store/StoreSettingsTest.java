package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;

import org.apache.commons.configuration2.BaseConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.junit.jupiter.api.Test;

class StoreSettingsTest {
    static final Path VAR = Path.of("/opt/james/var");

    static StoreSettings read(String key, String value) throws ConfigurationException {
        BaseConfiguration conf = new BaseConfiguration();
        if (key != null) {
            conf.setProperty(key, value);
        }
        return StoreSettings.from(conf, VAR);
    }

    @Test
    void theStatusCopyIsUnderJamesVarFolderUnlessAbsoluteOrNone() throws ConfigurationException {
        assertThat(read(null, null).statusCopy()).contains(VAR.resolve("shaping/operator-statuses.json"));
        assertThat(read("status.copy.file", "statuses.json").statusCopy()).contains(VAR.resolve("statuses.json"));
        assertThat(read("status.copy.file", "/srv/copy.json").statusCopy()).contains(Path.of("/srv/copy.json"));
        assertThat(read("status.copy.file", "none").statusCopy()).isEmpty();
    }

    @Test
    void theCacheLoadQueueIsAPositiveNumber() throws ConfigurationException {
        assertThat(read(null, null).cacheLoadQueue()).isEqualTo(StoreSettings.DEFAULT_CACHE_LOAD_QUEUE);
        assertThat(read("cache.load.queue", "500").cacheLoadQueue()).isEqualTo(500);
        assertThatThrownBy(() -> read("cache.load.queue", "0")).isInstanceOf(ConfigurationException.class)
            .hasMessageContaining("cache.load.queue");
        assertThatThrownBy(() -> read("cache.load.queue", "many")).isInstanceOf(ConfigurationException.class)
            .hasMessageContaining("cache.load.queue");
    }

    @Test
    void eachCopyChangesOnlyItsOwnSetting() throws ConfigurationException {
        StoreSettings base = read("cache.load.queue", "500").withStatusCopy(Path.of("/srv/copy.json"))
            .withFingerprintUnseenExpiry(Duration.ofDays(3));
        StoreSettings changed = base.withMongoUri("mongodb://other:27017").withDatabase("other").withTimeout(Duration.ofSeconds(9))
            .withBufferMaxKeys(77);

        assertThat(changed.mongoUri()).isEqualTo("mongodb://other:27017");
        assertThat(changed.database()).isEqualTo("other");
        assertThat(changed.mongoTimeout()).isEqualTo(Duration.ofSeconds(9));
        assertThat(changed.bufferMaxKeys()).isEqualTo(77);
        assertThat(changed.cacheLoadQueue()).isEqualTo(500);
        assertThat(changed.statusCopy()).contains(Path.of("/srv/copy.json"));
        assertThat(changed.fingerprintUnseenExpiry()).isEqualTo(Duration.ofDays(3));
        assertThat(changed.cacheSize()).isEqualTo(base.cacheSize());
        assertThat(changed.halfLife().duration()).isEqualTo(base.halfLife().duration());
        assertThat(changed.retention()).isEqualTo(base.retention());
        StoreSettings intervals = changed.withIntervals(Duration.ofSeconds(7), Duration.ofMillis(300));
        assertThat(intervals.refreshInterval()).isEqualTo(Duration.ofSeconds(7));
        assertThat(intervals.flushInterval()).isEqualTo(Duration.ofMillis(300));
        assertThat(intervals.withCacheLoadQueue(9).cacheLoadQueue()).isEqualTo(9);
        assertThat(intervals.withCacheLoadQueue(9).mongoUri()).isEqualTo("mongodb://other:27017");
        assertThat(base.mongoUri()).as("the original is unchanged").isEqualTo(StoreSettings.DEFAULT_URI);
    }
}
