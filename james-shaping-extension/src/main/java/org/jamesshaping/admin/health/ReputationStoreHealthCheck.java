package org.jamesshaping.admin.health;

import javax.inject.Inject;

import org.apache.james.core.healthcheck.ComponentName;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.core.healthcheck.Result;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.store.ReputationStore;
import org.reactivestreams.Publisher;

import com.mongodb.MongoException;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Whether the reputation store's MongoDB answers a {@code ping}. Unhealthy when it does not: the fleet no longer
 * shares what it learns and operator calls fail, although SMTP goes on from memory. The ping waits at most the
 * configured {@code mongo.timeout}, on a thread of its own, never on WebAdmin's.
 */
public class ReputationStoreHealthCheck implements HealthCheck {
    public static final ComponentName NAME = new ComponentName("james-shaping-mongodb");

    private final ReputationStore store;

    @Inject
    public ReputationStoreHealthCheck(ReputationStore store) {
        this.store = store;
    }

    @Override
    public ComponentName componentName() {
        return NAME;
    }

    @Override
    public Publisher<Result> check() {
        return Mono.fromCallable(this::ping).subscribeOn(Schedulers.boundedElastic());
    }

    private Result ping() {
        try {
            store.ping();
            return Result.healthy(NAME);
        } catch (MongoException e) {
            return Result.unhealthy(NAME, "MongoDB " + MongoConnection.redact(store.settings().mongoUri())
                + " does not answer: " + e.getMessage(), e);
        }
    }
}
