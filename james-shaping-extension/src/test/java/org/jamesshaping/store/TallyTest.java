package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.jamesshaping.scoring.Signal;
import org.junit.jupiter.api.Test;

class TallyTest {
    private static final HalfLife ONE_HOUR = new HalfLife(Duration.ofHours(1));
    private static final Duration ERA = Duration.ofHours(HalfLife.ERA_HALF_LIVES);
    /** The start of an era, so that instants just before and after it fall in two eras. */
    private static final Instant ERA_START = Instant.ofEpochMilli(
        Math.floorDiv(Instant.parse("2026-11-26T10:00:00Z").toEpochMilli(), ERA.toMillis()) * ERA.toMillis()).plus(ERA);
    private static final Instant BEFORE = ERA_START.minusSeconds(1);
    private static final Instant AFTER = ERA_START.plusSeconds(1);
    private static final Era OLD_ERA = ONE_HOUR.eraOf(BEFORE);
    private static final Era NEW_ERA = ONE_HOUR.eraOf(AFTER);

    private static Tally acrossTwoEras() {
        return Tally.empty()
            .add(Signal.SPAM, 2, BEFORE, ONE_HOUR)
            .add(Signal.HAM, 1, BEFORE, ONE_HOUR)
            .add(Signal.SPAM, 3, AFTER, ONE_HOUR)
            .add(Signal.CONNECTION, 4, AFTER, ONE_HOUR);
    }

    @Test
    void addKeepsExactTotalsAndOneSetOfScaledValuesPerEra() {
        Tally tally = acrossTwoEras();

        assertThat(OLD_ERA).isNotEqualTo(NEW_ERA);
        assertThat(tally.totals()).isEqualTo(Map.of(Signal.SPAM, 5L, Signal.HAM, 1L, Signal.CONNECTION, 4L));
        assertThat(tally.scaledByEra()).containsOnlyKeys(OLD_ERA, NEW_ERA);
        assertThat(tally.scaledByEra().get(OLD_ERA)).containsOnlyKeys(Signal.SPAM, Signal.HAM);
        assertThat(tally.scaledByEra().get(OLD_ERA).get(Signal.SPAM))
            .isCloseTo(ONE_HOUR.scaledIncrement(2, BEFORE), within(1e-3));
        assertThat(tally.scaledByEra().get(NEW_ERA)).containsOnlyKeys(Signal.SPAM, Signal.CONNECTION);
        assertThat(tally.scaledByEra().get(NEW_ERA).get(Signal.SPAM))
            .isCloseTo(ONE_HOUR.scaledIncrement(3, AFTER), within(1e-9));
        assertThat(tally.decayed(Signal.SPAM, AFTER, ONE_HOUR)).isCloseTo(5.0, within(1e-3));
        assertThat(tally.decayed(Signal.HAM, AFTER, ONE_HOUR)).isCloseTo(1.0, within(1e-3));
        assertThat(tally.decayed(Signal.MESSAGE_ACCEPTED, AFTER, ONE_HOUR)).isZero();
        assertThat(tally.firstSeen()).isEqualTo(BEFORE);
        assertThat(tally.lastSeen()).isEqualTo(AFTER);
    }

    @Test
    void aCopyIsEqualAndIndependent() {
        Tally original = acrossTwoEras();
        Tally copy = original.copy();

        assertThat(copy.totals()).isEqualTo(original.totals());
        assertThat(copy.scaledByEra()).isEqualTo(original.scaledByEra());
        assertThat(copy.firstSeen()).isEqualTo(original.firstSeen());
        assertThat(copy.lastSeen()).isEqualTo(original.lastSeen());

        Map<Signal, Long> totalsBefore = original.totals();
        Map<Era, Map<Signal, Double>> scaledBefore = original.scaledByEra();
        Instant later = AFTER.plus(ERA);
        copy.add(Signal.SPAM, 10, AFTER, ONE_HOUR).add(Signal.REPORTED_HAM, 1, later, ONE_HOUR);
        original.add(Signal.HAM, 7, BEFORE, ONE_HOUR);

        assertThat(copy.total(Signal.SPAM)).isEqualTo(15);
        assertThat(copy.total(Signal.HAM)).isEqualTo(1);
        assertThat(copy.scaledByEra()).hasSize(3);
        assertThat(copy.lastSeen()).isEqualTo(later);
        assertThat(original.total(Signal.SPAM)).isEqualTo(totalsBefore.get(Signal.SPAM));
        assertThat(original.total(Signal.HAM)).isEqualTo(8);
        assertThat(original.scaledByEra().keySet()).isEqualTo(scaledBefore.keySet());
        assertThat(original.scaledByEra().get(NEW_ERA)).isEqualTo(scaledBefore.get(NEW_ERA));
        assertThat(original.lastSeen()).isEqualTo(AFTER);
    }

    @Test
    void mergeAddsFieldByFieldAndLeavesTheOtherUnchanged() {
        Instant later = AFTER.plus(ERA);
        Tally mine = Tally.empty().add(Signal.SPAM, 1, AFTER, ONE_HOUR);
        Tally theirs = acrossTwoEras().add(Signal.KNOWN_SPAM, 1, later, ONE_HOUR);
        Map<Era, Map<Signal, Double>> theirsBefore = theirs.scaledByEra();

        mine.merge(theirs);

        assertThat(mine.totals()).isEqualTo(Map.of(Signal.SPAM, 6L, Signal.HAM, 1L, Signal.CONNECTION, 4L,
            Signal.KNOWN_SPAM, 1L));
        assertThat(mine.scaledByEra()).containsOnlyKeys(OLD_ERA, NEW_ERA, ONE_HOUR.eraOf(later));
        assertThat(mine.scaledByEra().get(NEW_ERA).get(Signal.SPAM))
            .isCloseTo(ONE_HOUR.scaledIncrement(1, AFTER) + ONE_HOUR.scaledIncrement(3, AFTER), within(1e-9));
        assertThat(mine.scaledByEra().get(OLD_ERA)).isEqualTo(theirsBefore.get(OLD_ERA));
        assertThat(mine.decayed(Signal.SPAM, later, ONE_HOUR))
            .isCloseTo(theirs.decayed(Signal.SPAM, later, ONE_HOUR) + Math.pow(2, -HalfLife.ERA_HALF_LIVES), within(1e-12));
        assertThat(mine.firstSeen()).isEqualTo(BEFORE);
        assertThat(mine.lastSeen()).isEqualTo(later);

        assertThat(theirs.total(Signal.SPAM)).isEqualTo(5);
        assertThat(theirs.scaledByEra()).isEqualTo(theirsBefore);
    }

    @Test
    void decayedValuesOfSeveralTalliesAddUpInPlace() {
        Tally first = acrossTwoEras();
        Tally second = Tally.empty().add(Signal.SPAM, 2, AFTER, ONE_HOUR).add(Signal.HAM, 1, AFTER, ONE_HOUR);
        Instant now = AFTER.plus(Duration.ofHours(2));

        double[] sums = new double[Signal.COUNT];
        first.addDecayedTo(sums, now, ONE_HOUR);
        second.addDecayedTo(sums, now, ONE_HOUR);
        Tally.empty().addDecayedTo(sums, now, ONE_HOUR);

        double[] separately = first.decayedAll(now, ONE_HOUR);
        double[] secondValues = second.decayedAll(now, ONE_HOUR);
        for (int i = 0; i < separately.length; i++) {
            separately[i] += secondValues[i];
        }
        assertThat(sums).containsExactly(separately);
        assertThat(sums[Signal.SPAM.ordinal()]).isCloseTo(7.0 / 4, within(1e-3));
    }

    @Test
    void erasWrittenWithAnotherHalfLifeAddAtTheirOwnDecay() {
        HalfLife oneDay = new HalfLife(Duration.ofDays(1));
        Tally tally = Tally.empty().add(Signal.SPAM, 5, AFTER, oneDay).add(Signal.SPAM, 1, AFTER, ONE_HOUR);

        assertThat(tally.scaledByEra()).hasSize(2);
        assertThat(tally.decayed(Signal.SPAM, AFTER, ONE_HOUR)).isCloseTo(6.0, within(1e-9));
        // A day on: the day-long 5 has halved, the hour-long 1 is gone.
        assertThat(tally.decayed(Signal.SPAM, AFTER.plus(Duration.ofDays(1)), ONE_HOUR)).isCloseTo(2.5, within(1e-6));
        assertThat(tally.total(Signal.SPAM)).isEqualTo(6);
    }

    @Test
    void aSignalCountedAsZeroIsListedAndAnUncountedOneIsNot() {
        Tally empty = Tally.empty();
        assertThat(empty.isEmpty()).isTrue();
        assertThat(empty.totals()).isEmpty();
        assertThat(empty.scaledByEra()).isEmpty();
        assertThat(empty.total(Signal.SPAM)).isZero();
        assertThat(empty.copy().isEmpty()).isTrue();
        assertThat(Tally.empty().merge(empty).isEmpty()).isTrue();

        // As read from a document holding zero fields: they are known, so the tally is not empty.
        Tally storedZeros = Tally.empty().addStored(Signal.SPAM, 0);
        assertThat(storedZeros.isEmpty()).isFalse();
        assertThat(storedZeros.totals()).isEqualTo(Map.of(Signal.SPAM, 0L));
        assertThat(storedZeros.scaledByEra()).isEmpty();

        Tally scaledZero = Tally.empty().addStoredScaled(NEW_ERA, Signal.HAM, 0.0);
        assertThat(scaledZero.isEmpty()).isFalse();
        assertThat(scaledZero.totals()).isEmpty();
        assertThat(scaledZero.scaledByEra()).isEqualTo(Map.of(NEW_ERA, Map.of(Signal.HAM, 0.0)));

        // Zeros travel through copy and merge as entries, never as extra fields for other signals.
        Tally merged = Tally.empty().merge(storedZeros).merge(scaledZero.copy());
        assertThat(merged.totals()).isEqualTo(Map.of(Signal.SPAM, 0L));
        assertThat(merged.scaledByEra()).isEqualTo(Map.of(NEW_ERA, Map.of(Signal.HAM, 0.0)));

        Tally zeroCount = Tally.empty().add(Signal.CONNECTION, 0, AFTER, ONE_HOUR);
        assertThat(zeroCount.totals()).isEqualTo(Map.of(Signal.CONNECTION, 0L));
        assertThat(zeroCount.scaledByEra()).isEqualTo(Map.of(NEW_ERA, Map.of(Signal.CONNECTION, 0.0)));

        Tally onlySeen = Tally.empty().seen(AFTER);
        assertThat(onlySeen.isEmpty()).isFalse();
        assertThat(onlySeen.totals()).isEmpty();
        assertThat(onlySeen.copy().isEmpty()).isFalse();
    }

    @Test
    void onlyMoreSignalsForTheSenderNeverWeighWorse() {
        Tally before = acrossTwoEras();

        assertThat(before.copy().mayWeighWorseThan(before)).as("the same totals").isFalse();
        assertThat(before.copy().add(Signal.HAM, 1, AFTER, ONE_HOUR).add(Signal.MESSAGE_ACCEPTED, 2, AFTER, ONE_HOUR)
            .mayWeighWorseThan(before)).as("more for the sender").isFalse();
        assertThat(before.copy().add(Signal.UNKNOWN_RECIPIENT, 1, AFTER, ONE_HOUR).mayWeighWorseThan(before))
            .as("a signal against the sender").isTrue();
        assertThat(Tally.empty().add(Signal.SPAM, 5, AFTER, ONE_HOUR).add(Signal.CONNECTION, 4, AFTER, ONE_HOUR)
            .mayWeighWorseThan(before)).as("less for the sender: the ham gone").isTrue();
        assertThat(before.mayWeighWorseThan(Tally.empty())).as("spam where nothing was known").isTrue();
    }
}
