package org.jamesshaping.store;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The same contract against a real MongoDB 7. Skipped, and reported as skipped, where no Docker engine runs;
 * it never replaces the embedded run.
 */
@Testcontainers(disabledWithoutDocker = true)
class MongoContainerStoreTest extends ReputationStoreContract {
    @Container
    static final GenericContainer<?> MONGO = new GenericContainer<>("mongo:7").withExposedPorts(27017);

    @Override
    String mongoUri() {
        return "mongodb://" + MONGO.getHost() + ":" + MONGO.getMappedPort(27017);
    }
}
