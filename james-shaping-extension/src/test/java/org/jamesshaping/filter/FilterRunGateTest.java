package org.jamesshaping.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class FilterRunGateTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void noMoreThanTheLimitRunAtOnceHoweverManyThreadsAsk() throws Exception {
        FilterRunGate gate = new FilterRunGate();
        gate.limitAtMost(2);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        ExecutorService spooler = Executors.newFixedThreadPool(12);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < 120; i++) {
                runs.add(spooler.submit(() -> {
                    try (FilterRunGate.Turn turn = gate.enter(LONG)) {
                        mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                        Thread.sleep(2); // a filter's work, long enough for the other threads to pile up
                        running.decrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get(60, TimeUnit.SECONDS);
            }
        } finally {
            spooler.shutdownNow();
        }
        assertThat(mostAtOnce.get()).isEqualTo(2);
        assertThat(gate.waitsCapped()).isZero();
    }

    @Test
    void theLowestBoundOfTheFilterMailetsIsTheServers() {
        FilterRunGate gate = new FilterRunGate();
        gate.limitAtMost(4);
        gate.limitAtMost(6);
        assertThat(gate.limit()).isEqualTo(4);
        gate.limitAtMost(1);
        assertThat(gate.limit()).isEqualTo(1);

        FilterRunGate.Turn first = gate.enter(LONG);
        FilterRunGate.Turn second = gate.enter(Duration.ofMillis(20));
        assertThat(gate.waitsCapped()).as("the second waited out its cap: only one turn after lowering to 1").isEqualTo(1);
        second.close();
        first.close();
    }

    @Test
    void aWaitPastItsCapRunsWithoutATurnAndIsCountedAndTheTurnsStayBalanced() throws Exception {
        FilterRunGate gate = new FilterRunGate();
        gate.limitAtMost(1);
        FilterRunGate.Turn held = gate.enter(LONG);

        FilterRunGate.Turn withoutTurn = gate.enter(Duration.ofMillis(30));
        assertThat(gate.waitsCapped()).isEqualTo(1);
        withoutTurn.close(); // must not hand out a turn it never had

        CountDownLatch entered = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            try (FilterRunGate.Turn turn = gate.enter(LONG)) {
                entered.countDown();
            }
        });
        waiter.start();
        assertThat(entered.await(200, TimeUnit.MILLISECONDS)).as("still one turn only, held").isFalse();
        held.close();
        assertThat(entered.await(10, TimeUnit.SECONDS)).as("the released turn goes to the waiter").isTrue();
        waiter.join();

        FilterRunGate.Turn again = gate.enter(Duration.ofMillis(30));
        FilterRunGate.Turn over = gate.enter(Duration.ofMillis(30));
        assertThat(gate.waitsCapped()).as("exactly one turn exists again").isEqualTo(2);
        over.close();
        again.close();
    }

    @Test
    void aBoundBelowOneIsRefused() {
        assertThatThrownBy(() -> new FilterRunGate().limitAtMost(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(FilterRunGate.defaultLimit()).isPositive();
    }
}
