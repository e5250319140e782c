package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

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
}
