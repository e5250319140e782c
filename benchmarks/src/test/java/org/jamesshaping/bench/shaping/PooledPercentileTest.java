package org.jamesshaping.bench.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.LongStream;

import org.jamesshaping.bench.Stats;
import org.junit.jupiter.api.Test;

/** The overhead benchmark's pooled percentile, computed without concatenating rounds, and its resampled interval. */
class PooledPercentileTest {
    private final Random random = new Random(7);

    @Test
    void equalsThePercentileOfTheRoundsPutTogether() {
        for (int trial = 0; trial < 200; trial++) {
            long[][] rounds = new long[1 + random.nextInt(6)][];
            for (int r = 0; r < rounds.length; r++) {
                // Small value range: many ties between and within rounds.
                rounds[r] = Stats.sorted(LongStream.generate(() -> random.nextInt(50)).limit(random.nextInt(300)).toArray());
            }
            int[] picks = random.ints(rounds.length, 0, rounds.length).toArray();
            long[] together = Stats.sorted(Arrays.stream(picks).mapToObj(pick -> rounds[pick]).flatMapToLong(Arrays::stream).toArray());
            for (double p : new double[] {1, 50, 99, 100}) {
                assertThat(Stats.pooledPercentile(rounds, picks, p))
                    .as("p%s of %s", p, Arrays.toString(together))
                    .isEqualTo(Stats.percentile(together, p));
            }
        }
    }

    @Test
    void theIntervalHoldsTheRatioOfIdenticalServersAndExcludesADoubledTail() {
        long[][] base = new long[20][];
        long[][] same = new long[20][];
        long[][] slowTail = new long[20][];
        for (int r = 0; r < 20; r++) {
            base[r] = roundOfSessions();
            same[r] = roundOfSessions();
            slowTail[r] = Stats.sorted(Arrays.stream(roundOfSessions()).map(t -> t > 5_000 ? 2 * t : t).toArray());
        }
        double[] identical = Stats.pooledRatioInterval(same, base, 99, 500, new Random(1));
        double[] doubled = Stats.pooledRatioInterval(slowTail, base, 99, 500, new Random(1));

        assertThat(identical[0]).isLessThan(1.0);
        assertThat(identical[1]).isGreaterThan(1.0);
        assertThat(doubled[0]).isGreaterThan(1.5);
    }

    /** Session times with an exponential tail: 1,000 to 8,000 or so, p99 near 5,600. */
    private long[] roundOfSessions() {
        return Stats.sorted(LongStream.generate(() -> 1000 + (long) (-1000 * Math.log(1 - random.nextDouble()))).limit(2000).toArray());
    }
}
