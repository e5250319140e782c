package org.jamesshaping.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.Random;

import org.junit.jupiter.api.Test;

/** The benchmarks' statistics on small inputs whose results are worked out by hand. */
class StatsTest {
    @Test
    void percentileIsTheNearestRankNotAnInterpolation() {
        long[] sorted = {10, 20, 30, 40};

        assertThat(Stats.percentile(sorted, 50)).isEqualTo(20);
        assertThat(Stats.percentile(sorted, 51)).isEqualTo(30);
        assertThat(Stats.percentile(sorted, 99)).isEqualTo(40);
        assertThat(Stats.percentile(sorted, 100)).isEqualTo(40);
        assertThat(Stats.percentile(sorted, 0)).isEqualTo(10);
        assertThat(Stats.percentile(sorted, 25)).isEqualTo(10);
        assertThat(Stats.percentile(sorted, 26)).isEqualTo(20);
        assertThat(Stats.percentile(new long[0], 50)).isEqualTo(-1);
    }

    @Test
    void p99OfAHundredValuesIsTheNinetyNinthAndAboveItTheLast() {
        long[] values = new long[100];
        for (int i = 0; i < 100; i++) {
            values[i] = 100 - i;
        }
        long[] sorted = Stats.sorted(values);

        assertThat(values[0]).as("sorted works on a copy").isEqualTo(100);
        assertThat(Stats.percentile(sorted, 99)).isEqualTo(99);
        assertThat(Stats.percentile(sorted, 99.5)).isEqualTo(100);
        assertThat(Stats.percentile(sorted, 1)).isEqualTo(1);
    }

    @Test
    void medianOfOddAndEvenCountsAndOfNothing() {
        double[] odd = {3, 1, 2};

        assertThat(Stats.median(odd)).isEqualTo(2.0);
        assertThat(odd).as("left unsorted").containsExactly(3, 1, 2);
        assertThat(Stats.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
        assertThat(Stats.median(new double[] {7})).isEqualTo(7.0);
        assertThat(Stats.median(new double[0])).isNaN();
    }

    @Test
    void quantileInterpolatesBetweenTheClosestRanks() {
        double[] values = {4, 2, 1, 3};

        assertThat(Stats.quantile(values, 0)).isEqualTo(1.0);
        assertThat(Stats.quantile(values, 0.25)).isEqualTo(1.75);
        assertThat(Stats.quantile(values, 0.5)).isEqualTo(2.5);
        assertThat(Stats.quantile(values, 0.75)).isEqualTo(3.25);
        assertThat(Stats.quantile(values, 1)).isEqualTo(4.0);
        assertThat(Stats.quantile(new double[] {10, 20}, 0.05)).isEqualTo(10.5, offset(1e-12));
        assertThat(Stats.quantile(new double[] {5}, 0.95)).isEqualTo(5.0);
        assertThat(values).as("left unsorted").containsExactly(4, 2, 1, 3);
    }

    @Test
    void ratiosPercentAndEveryRound() {
        assertThat(Stats.ratios(new double[] {2, 9}, new double[] {4, 3})).containsExactly(0.5, 3.0);
        assertThat(Stats.percent(1, 8)).isEqualTo(12.5);
        assertThat(Stats.percent(547, 547)).isEqualTo(100.0);
        assertThat(Stats.everyRound(3)).containsExactly(0, 1, 2);
    }

    @Test
    void countAtMostCountsTies() {
        long[] sorted = {1, 2, 2, 5};

        assertThat(Stats.countAtMost(sorted, 0)).isZero();
        assertThat(Stats.countAtMost(sorted, 2)).isEqualTo(3);
        assertThat(Stats.countAtMost(sorted, 4)).isEqualTo(3);
        assertThat(Stats.countAtMost(sorted, 5)).isEqualTo(4);
    }

    @Test
    void pooledPercentileCountsEachPickOfARound() {
        long[][] rounds = {{1, 2, 3}, {10, 20}, {}};

        // {1, 2, 3, 10, 20}: rank ceil(2.5) = 3 for p50, 4 for p80.
        assertThat(Stats.pooledPercentile(rounds, new int[] {0, 1}, 50)).isEqualTo(3);
        assertThat(Stats.pooledPercentile(rounds, new int[] {0, 1}, 80)).isEqualTo(10);
        // {10, 10, 20, 20}
        assertThat(Stats.pooledPercentile(rounds, new int[] {1, 1}, 50)).isEqualTo(10);
        assertThat(Stats.pooledPercentile(rounds, new int[] {1, 1}, 75)).isEqualTo(20);
        // {1, 1, 2, 2, 3, 3, 10, 20}, the empty round adding nothing.
        assertThat(Stats.pooledPercentile(rounds, new int[] {0, 2, 0, 1}, 50)).isEqualTo(2);
        assertThat(Stats.pooledPercentile(rounds, new int[] {2}, 50)).isEqualTo(-1);
    }

    @Test
    void theResampledIntervalDrawsRoundROfBothTogether() {
        // Each round of own is twice base's, the rounds themselves ten times apart: paired draws give 2 every time,
        // independent draws would give 0.2 or 20 half of the time.
        long[][] base = {{100}, {1000}};
        long[][] own = {{200}, {2000}};

        assertThat(Stats.pooledRatioInterval(own, base, 99, 200, new Random(3))).containsExactly(2.0, 2.0);
    }

    @Test
    void theResampledIntervalSpansTheRatiosTheDrawsCanGive() {
        // Two rounds drawn twice: own's pooled p99 is 100 for picks {0, 0} (a quarter of the draws) and 300 otherwise.
        long[][] base = {{100}, {100}};
        long[][] own = {{100}, {300}};

        assertThat(Stats.pooledRatioInterval(own, base, 99, 1000, new Random(3))).containsExactly(1.0, 3.0);
    }

    @Test
    void areaUnderRocCountsTiesHalf() {
        // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered right.
        assertThat(Stats.areaUnderRoc(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true})).isEqualTo(0.75);
        // Positives 0.5 and 0.9 against 0.2 and 0.5: 3 pairs right, one tie.
        assertThat(Stats.areaUnderRoc(new double[] {0.2, 0.5, 0.5, 0.9}, new boolean[] {false, true, false, true})).isEqualTo(0.875);
        assertThat(Stats.areaUnderRoc(new double[] {0.5, 0.5}, new boolean[] {true, false})).isEqualTo(0.5);
        assertThat(Stats.areaUnderRoc(new double[] {1, 2, 3}, new boolean[] {false, true, true})).isEqualTo(1.0);
        assertThat(Stats.areaUnderRoc(new double[] {1, 2, 3}, new boolean[] {true, true, false})).isEqualTo(0.0);
    }
}
