package org.jamesshaping.bench.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** The overhead benchmark's slow spells: 100-ms windows of a round whose median session was over 1.5 times the variant's. */
class SlowSpellsTest {
    private static final long START = 1_800_000_000_000_000L;

    @Test
    void aWindowOfSlowSessionsIsASpellAndHoldsTheTailThatFellInIt() {
        // 2 s of sessions every 10 ms, 1 ms each, but 3 ms from 1.20 s to 1.30 s (one window), plus one 9 ms
        // session at 0.05 s, alone in a fast window.
        int sessions = 200;
        long[] starts = new long[sessions];
        long[] times = new long[sessions];
        for (int i = 0; i < sessions; i++) {
            starts[i] = START + i * 10_000L;
            times[i] = i >= 120 && i < 130 ? 3_000_000 : 1_000_000;
        }
        times[5] = 9_000_000;

        SlowSpells spells = new SlowSpells();
        spells.add(starts, times, 1_000_000, 2_000_000);

        assertThat(spells.windows).isEqualTo(20);
        assertThat(spells.slow).isEqualTo(1);
        assertThat(spells.slowEarly).isZero();
        assertThat(spells.tail).isEqualTo(11);
        assertThat(spells.tailInSlow).isEqualTo(10);
    }

    @Test
    void aSpellInTheFirstSecondIsCountedAsEarly() {
        long[] starts = new long[100];
        long[] times = new long[100];
        Arrays.setAll(starts, i -> START + i * 10_000L);
        Arrays.setAll(times, i -> i < 10 ? 5_000_000 : 1_000_000);

        SlowSpells spells = new SlowSpells();
        spells.add(starts, times, 1_000_000, 4_000_000);

        assertThat(spells.slow).isEqualTo(1);
        assertThat(spells.slowEarly).isEqualTo(1);
    }
}
