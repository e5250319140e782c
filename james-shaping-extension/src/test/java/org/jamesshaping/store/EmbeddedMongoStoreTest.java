package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import org.jamesshaping.scoring.Signal;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


/** The store contract on the embedded MongoDB wire-protocol server, plus what needs a MongoDB we can stop. */
class EmbeddedMongoStoreTest extends ReputationStoreContract {
    @TempDir
    static Path folder;
    static EmbeddedMongo mongo;

    @BeforeAll
    static void start() {
        startServer();
    }

    /** First on a port the kernel picks, then again on the same one (an outage that ends). */
    private static void startServer() {
        if (mongo == null) {
            mongo = EmbeddedMongo.persistent(folder.resolve("store.mv"));
        }
        mongo.start();
    }

    /** Stops as a mongod does on SIGTERM: what it acknowledged is on disk. */
    private static void stopServer() {
        mongo.stop();
    }

    @AfterAll
    static void stop() {
        stopServer();
    }

    @Override
    String mongoUri() {
        return mongo.uri();
    }

    @Test
    void updatesHeldDuringAnOutageConvergeToExactTotals() throws Exception {
        // A short timeout, so that each failed flush during the outage returns quickly.
        ReputationStore service = service(settings().withTimeout(Duration.ofMillis(300)));
        for (int i = 0; i < 100; i++) {
            service.record(SENDER, Signal.CONNECTION);
        }
        assertThat(service.flush().failed).isFalse();

        stopServer();
        try {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 20; i++) {
                    service.record(SENDER, Signal.CONNECTION);
                    service.record(NEIGHBOUR, Signal.MESSAGE_ACCEPTED);
                }
                WriteBehindBuffer.FlushResult result = service.flush();
                assertThat(result.failed).isTrue();
                assertThat(result.keysWaiting).isGreaterThan(0);
                // SMTP keeps its view while MongoDB is away.
                assertThat(service.sender(SENDER).address().total(Signal.CONNECTION)).isEqualTo(100 + 20 * (round + 1));
            }
        } finally {
            startServer();
        }

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (service.bufferDepth() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(service.bufferDepth()).isZero();
        ReputationStore reader = service(settings());
        assertThat(reader.lookup(ReputationKey.ofAddress(SENDER)).total(Signal.CONNECTION)).isEqualTo(160);
        assertThat(reader.lookup(ReputationKey.ofAddress(NEIGHBOUR)).total(Signal.MESSAGE_ACCEPTED)).isEqualTo(60);
        assertThat(reader.lookup(ReputationKey.subnetOf(SENDER)).total(Signal.CONNECTION)).isEqualTo(160);
    }
}
