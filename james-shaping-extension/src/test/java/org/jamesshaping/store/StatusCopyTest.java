package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.jamesshaping.runtime.Scheduler;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.jamesshaping.testsupport.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The last good copy of the operator statuses on local disk, and a James started while MongoDB is down. */
class StatusCopyTest {
    static final InetAddress BLOCKED = ReputationKey.parseAddress("203.0.113.7");
    static final InetAddress ALLOWED = ReputationKey.parseAddress("203.0.113.9");
    static final ReputationKey BLOCKED_NET = ReputationKey.parse("203.0.113.0/24");

    @TempDir
    Path folder;
    final MutableClock clock = new MutableClock(Instant.now());
    final List<AutoCloseable> closeables = new ArrayList<>();
    EmbeddedMongo mongo;
    Path copy;
    StoreSettings settings;

    @BeforeEach
    void start() {
        mongo = EmbeddedMongo.inMemory().start(0);
        copy = folder.resolve("var").resolve("shaping").resolve("operator-statuses.json");
        settings = StoreSettings.defaults(mongo.uri()).withDatabase("copy_" + UUID.randomUUID().toString().replace("-", ""))
            .withTimeout(Duration.ofSeconds(1)).withIntervals(Duration.ofMillis(300), Duration.ofMillis(100)).withStatusCopy(copy);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
        mongo.stop();
    }

    ReputationStore store(StoreSettings storeSettings) {
        Scheduler scheduler = new Scheduler();
        ReputationStore store = new ReputationStore(storeSettings, scheduler, new RecordingMetricFactory(), new GaugesSeen(), clock);
        closeables.add(() -> {
            scheduler.close();
            store.close();
        });
        return store;
    }

    @Test
    void aStoreStartedWithoutMongoEnforcesTheStatusesLastReadFromIt() {
        ReputationStore first = store(settings);
        first.setStatus(BLOCKED_NET, ManualStatus.Value.BLOCK, "bots", Optional.empty(), "test");
        first.setStatus(ReputationKey.ofAddress(ALLOWED), ManualStatus.Value.ALLOW, "partner", Optional.empty(), "test");
        assertThat(copy).exists();

        mongo.stop();
        ReputationStore restarted = store(settings);
        assertThat(restarted.manualStatus(BLOCKED).map(match -> match.status().value())).contains(ManualStatus.Value.BLOCK);
        assertThat(restarted.manualStatus(BLOCKED).get().status().reason()).isEqualTo("bots");
        assertThat(restarted.manualStatus(ALLOWED).map(match -> match.status().value())).contains(ManualStatus.Value.ALLOW);
        // Reloads that fail while MongoDB is away keep the copy's entries.
        restarted.refreshStatusesQuietly();
        assertThat(restarted.manualStatus(BLOCKED)).isPresent();
    }

    @Test
    void theCopyFollowsWhatIsReadFromMongoIncludingAnotherServersChanges() throws Exception {
        ReputationStore here = store(settings);
        ReputationStore elsewhere = store(settings.withStatusCopy(folder.resolve("elsewhere.json")));
        elsewhere.setStatus(BLOCKED_NET, ManualStatus.Value.BLOCK, "set elsewhere", Optional.empty(), "other");
        here.refreshStatuses();
        assertThat(Files.readString(copy)).contains("203.0.113.0/24").contains("set elsewhere");

        elsewhere.forget(BLOCKED_NET);
        here.refreshStatuses();
        assertThat(Files.readString(copy)).doesNotContain("203.0.113.0/24");
        mongo.stop();
        assertThat(store(settings).manualStatus(BLOCKED)).isEmpty();
    }

    @Test
    void anUnreadableCopyIsIgnored() throws Exception {
        Files.createDirectories(copy.getParent());
        Files.writeString(copy, "[{\"key\":\"not an address\",\"status\":\"block\"}, {\"key\":\"203.0.113.0/24\",\"status\":\"block\","
            + "\"setAt\":\"2026-01-01T00:00:00Z\"}");
        mongo.stop();
        assertThat(store(settings).manualStatus(BLOCKED)).isEmpty();
        Files.writeString(copy, "[{\"key\":\"not an address\",\"status\":\"block\"}, {\"key\":\"203.0.113.0/24\",\"status\":\"block\","
            + "\"setAt\":\"2026-01-01T00:00:00Z\"}]");
        assertThat(store(settings).manualStatus(BLOCKED)).isPresent();
    }
}
