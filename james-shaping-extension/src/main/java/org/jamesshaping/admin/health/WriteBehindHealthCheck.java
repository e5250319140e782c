package org.jamesshaping.admin.health;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.james.core.healthcheck.ComponentName;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.core.healthcheck.Result;
import org.jamesshaping.store.ReputationStore;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Mono;

/**
 * Whether reputation updates reach MongoDB. Degraded, never unhealthy: while MongoDB refuses them the updates are
 * held in memory and written once it is back, and a restart (what an unhealthy probe may trigger) would lose them.
 * Degraded too when the buffer is more than half full: past {@code buffer.max.keys} updates for new senders are
 * dropped.
 */
public class WriteBehindHealthCheck implements HealthCheck {
    public static final ComponentName NAME = new ComponentName("james-shaping-write-behind");

    private final ReputationStore store;
    private final Clock clock;

    @Inject
    public WriteBehindHealthCheck(ReputationStore store) {
        this(store, Clock.systemUTC());
    }

    WriteBehindHealthCheck(ReputationStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    @Override
    public ComponentName componentName() {
        return NAME;
    }

    @Override
    public Publisher<Result> check() {
        return Mono.fromCallable(this::result);
    }

    Result result() {
        int depth = store.bufferDepth();
        int maxKeys = store.settings().bufferMaxKeys();
        Optional<Instant> heldSince = store.writesHeldSince();
        if (heldSince.isPresent() && depth > 0) {
            return Result.degraded(NAME, depth + " reputation updates held in memory: MongoDB refuses writes since "
                + heldSince.get() + " (" + Duration.between(heldSince.get(), clock.instant()).toSeconds() + " s)");
        }
        if (depth > maxKeys / 2) {
            return Result.degraded(NAME, depth + " reputation updates waiting, more than half of buffer.max.keys ("
                + maxKeys + "); past it updates for new senders are dropped");
        }
        return Result.healthy(NAME);
    }
}
