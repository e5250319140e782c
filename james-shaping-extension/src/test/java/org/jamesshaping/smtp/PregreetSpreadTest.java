package org.jamesshaping.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LongSummaryStatistics;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class PregreetSpreadTest {
    private static final long PREGREET = TimeUnit.MILLISECONDS.toNanos(1500);

    @Test
    void aNewSendersWaitIsNeverShorterThanThePregreetAndNeverTwiceIt() {
        LongSummaryStatistics waits = IntStream.range(0, 10_000).mapToLong(i -> Decider.spread(PREGREET)).summaryStatistics();

        assertThat(waits.getMin()).isGreaterThanOrEqualTo(PREGREET);
        assertThat(waits.getMax()).isLessThan(2 * PREGREET);
    }

    @Test
    void connectionsOpenedTogetherAreReleasedOverTheWholeSpread() {
        // 10,000 draws: a tenth of the spread at either end is missed with a probability of about 1e-457.
        LongSummaryStatistics waits = IntStream.range(0, 10_000).mapToLong(i -> Decider.spread(PREGREET)).summaryStatistics();

        assertThat(waits.getMin()).isLessThan(PREGREET + PREGREET / 10);
        assertThat(waits.getMax()).isGreaterThan(2 * PREGREET - PREGREET / 10);
    }
}
