package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;

import org.jamesshaping.scoring.Signal;
import org.junit.jupiter.api.Test;

class HalfLifeTest {
    private static final HalfLife ONE_HOUR = new HalfLife(Duration.ofHours(1));
    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    @Test
    void aCountHalvesEveryHalfLife() {
        Tally tally = Tally.empty().add(Signal.SPAM, 8, T0, ONE_HOUR);
        assertThat(tally.decayed(Signal.SPAM, T0, ONE_HOUR)).isCloseTo(8.0, within(1e-9));
        assertThat(tally.decayed(Signal.SPAM, T0.plus(Duration.ofHours(1)), ONE_HOUR)).isCloseTo(4.0, within(1e-9));
        assertThat(tally.decayed(Signal.SPAM, T0.plus(Duration.ofHours(3)), ONE_HOUR)).isCloseTo(1.0, within(1e-9));
        assertThat(tally.total(Signal.SPAM)).isEqualTo(8);
    }

    @Test
    void incrementsAddWithoutReadingPreviousValues() {
        Tally tally = Tally.empty()
            .add(Signal.HAM, 4, T0, ONE_HOUR)
            .add(Signal.HAM, 4, T0.plus(Duration.ofHours(1)), ONE_HOUR);
        // 4 from an hour ago is worth 2 now, plus 4 fresh.
        assertThat(tally.decayed(Signal.HAM, T0.plus(Duration.ofHours(1)), ONE_HOUR)).isCloseTo(6.0, within(1e-9));
    }

    @Test
    void valuesStayContinuousAcrossAnEraBoundary() {
        Duration era = Duration.ofHours(HalfLife.ERA_HALF_LIVES);
        Instant eraStart = Instant.ofEpochMilli(Math.floorDiv(T0.toEpochMilli(), era.toMillis()) * era.toMillis()).plus(era);
        Instant before = eraStart.minusSeconds(1);
        Tally tally = Tally.empty().add(Signal.SPAM, 1, before, ONE_HOUR).add(Signal.SPAM, 1, eraStart.plusSeconds(1), ONE_HOUR);
        assertThat(ONE_HOUR.eraField(before)).isNotEqualTo(ONE_HOUR.eraField(eraStart.plusSeconds(1)));
        assertThat(tally.decayed(Signal.SPAM, eraStart.plusSeconds(1), ONE_HOUR)).isCloseTo(2.0, within(1e-3));
    }

    @Test
    void scaledValuesStayFiniteForDecades() {
        Instant far = Instant.parse("2090-01-01T00:00:00Z");
        HalfLife short1s = new HalfLife(Duration.ofSeconds(1));
        assertThat(short1s.scaledIncrement(1, far)).isFinite();
        Tally tally = Tally.empty().add(Signal.SPAM, 1, far, short1s);
        assertThat(tally.decayed(Signal.SPAM, far, short1s)).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void fieldsWrittenWithAnotherHalfLifeDecayAtTheHalfLifeTheyWereWrittenWith() {
        HalfLife oneDay = new HalfLife(Duration.ofDays(1));
        Tally tally = Tally.empty().add(Signal.SPAM, 8, T0, oneDay).add(Signal.SPAM, 4, T0, ONE_HOUR);
        // Read by a one-hour server a day later: the day-old 8 is worth 4, the one-hour 4 has all but gone.
        assertThat(tally.decayed(Signal.SPAM, T0.plus(Duration.ofDays(1)), ONE_HOUR)).isCloseTo(4.0 + 4.0 / (1 << 24), within(1e-9));
        assertThat(tally.decayed(Signal.SPAM, T0, ONE_HOUR)).isCloseTo(12.0, within(1e-9));
        assertThat(tally.total(Signal.SPAM)).isEqualTo(12);
    }
}
