package org.jamesshaping.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.jamesshaping.store.ReputationKey;
import org.junit.jupiter.api.Test;

class ConnectionRegistryTest {
    private static final ReputationKey NETWORK = ReputationKey.parse("192.0.2.0/24");

    @Test
    void countsConnectionsUntilTheyEnd() {
        ConnectionRegistry registry = new ConnectionRegistry();
        registry.connected(NETWORK);
        registry.connected(NETWORK);
        registry.connected(NETWORK);
        assertThat(registry.connections(NETWORK)).isEqualTo(3);
        registry.disconnected(NETWORK);
        registry.disconnected(NETWORK);
        registry.disconnected(NETWORK);
        assertThat(registry.connections(NETWORK)).isZero();
        registry.connected(NETWORK);
        assertThat(registry.connections(NETWORK)).isEqualTo(1);
    }

    /** Event loops connecting and disconnecting the same network at once never lose or invent a connection. */
    @Test
    void concurrentConnectionsOfOneNetworkAreCountedExactly() throws Exception {
        ConnectionRegistry registry = new ConnectionRegistry();
        registry.connected(NETWORK);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger belowHeld = new AtomicInteger();
        Thread checker = new Thread(() -> {
            while (running.get()) {
                if (registry.connections(NETWORK) < 1) {
                    belowHeld.incrementAndGet();
                }
            }
        });
        checker.start();
        int threads = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> loops = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread loop = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 200_000; i++) {
                    registry.connected(NETWORK);
                    registry.disconnected(NETWORK);
                }
            });
            loop.start();
            loops.add(loop);
        }
        start.countDown();
        for (Thread loop : loops) {
            loop.join();
        }
        running.set(false);
        checker.join();

        assertThat(belowHeld.get()).as("reads that lost the connection held throughout").isZero();
        assertThat(registry.connections(NETWORK)).isEqualTo(1);
        registry.disconnected(NETWORK);
        assertThat(registry.connections(NETWORK)).isZero();
    }

    /** Idle counters are swept as new addresses arrive, and a sweep never loses a live connection. */
    @Test
    void idleCountersAreSweptWhileLiveOnesKeepCounting() throws Exception {
        ConnectionRegistry registry = new ConnectionRegistry();
        registry.connected(NETWORK);
        int threads = 4;
        int addressesPerThread = 50_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> loops = new ArrayList<>();
        AtomicInteger lost = new AtomicInteger();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread loop = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < addressesPerThread; i++) {
                    // Each address connects, is counted, disconnects: its counter goes idle and sweeps run meanwhile.
                    ReputationKey address = ReputationKey.parse("10." + thread + "." + (i >> 8 & 0xff) + "." + (i & 0xff));
                    registry.connected(address);
                    registry.connected(NETWORK);
                    if (registry.connections(address) != 1 || registry.connections(NETWORK) < 2) {
                        lost.incrementAndGet();
                    }
                    registry.disconnected(NETWORK);
                    registry.disconnected(address);
                }
            });
            loop.start();
            loops.add(loop);
        }
        start.countDown();
        for (Thread loop : loops) {
            loop.join();
        }

        assertThat(lost.get()).as("connections not counted while open").isZero();
        assertThat(registry.connections(NETWORK)).isEqualTo(1);
        assertThat(registry.trackedCounters()).as("counters kept for %d addresses seen", threads * addressesPerThread)
            .isLessThan(2 * 4096 + threads * 2);
        registry.disconnected(NETWORK);
        assertThat(registry.connections(NETWORK)).isZero();
        registry.connected(NETWORK);
        assertThat(registry.connections(NETWORK)).isEqualTo(1);
    }
}
