package org.jamesshaping.admin.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.Map;

import org.apache.commons.configuration2.MapConfiguration;
import org.apache.james.core.healthcheck.Result;
import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.jamesshaping.runtime.Scheduler;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.store.ReputationKey;
import org.jamesshaping.store.ReputationStore;
import org.jamesshaping.store.StoreSettings;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import reactor.core.publisher.Mono;

/** The write-behind check with MongoDB up: healthy, then degraded once the buffer holds more than half its bound. */
class WriteBehindHealthCheckTest {
    private EmbeddedMongo mongo;
    private ReputationStore store;

    @BeforeEach
    void start() throws Exception {
        mongo = EmbeddedMongo.startInMemory();
        StoreSettings settings = StoreSettings.from(new MapConfiguration(Map.of(
            "mongo.uri", mongo.uri(), "buffer.max.keys", "10", "status.copy.file", "none")), null);
        Scheduler scheduler = new Scheduler();
        store = new ReputationStore(settings, scheduler, new RecordingMetricFactory(), new NoopGaugeRegistry(), Clock.systemUTC());
        // No scheduled flush: what is recorded stays in the buffer until the test flushes it.
        scheduler.close();
    }

    @AfterEach
    void stop() {
        store.close();
        mongo.stop();
    }

    @Test
    void degradedAboveHalfTheBufferBoundAndHealthyOnceWritten() {
        WriteBehindHealthCheck check = new WriteBehindHealthCheck(store);
        assertThat(Mono.from(check.check()).block().isHealthy()).isTrue();

        // Each address holds two keys (itself and its /24): 2 addresses = 4 keys, not above 5.
        store.record(ReputationKey.parseAddress("192.0.2.1"), Signal.RECIPIENT_REJECTED);
        store.record(ReputationKey.parseAddress("198.51.100.1"), Signal.RECIPIENT_REJECTED);
        assertThat(Mono.from(check.check()).block().isHealthy()).isTrue();

        store.record(ReputationKey.parseAddress("203.0.113.1"), Signal.RECIPIENT_REJECTED);
        Result degraded = Mono.from(check.check()).block();
        assertThat(degraded.isDegraded()).as(degraded.toString()).isTrue();
        assertThat(degraded.getCause()).hasValueSatisfying(cause -> assertThat(cause).contains("6 reputation updates waiting"));

        store.flush();
        assertThat(Mono.from(check.check()).block().isHealthy()).isTrue();
    }
}
