package org.jamesshaping.bench.shaping;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.jamesshaping.bench.Stats;

/**
 * Slow spells of one variant, round by round: 100-ms windows whose median session took over 1.5 times the variant's
 * median (a JVM picking up after idling, compiling, or losing a core), and how much of the variant's tail beyond its
 * p99 started in one. A p99 ratio with most of its tail in a few spells says which James had them, not what each costs.
 */
final class SlowSpells {
    /** A window of a round whose median session took over this many times the variant's median is a slow spell. */
    static final double SPELL_FACTOR = 1.5;
    static final long SPELL_WINDOW_MICROS = 100_000;

    int windows;
    int slow;
    int slowEarly;
    long tail;
    long tailInSlow;

    /** One round's sessions (intended start, µs since the epoch; session time, ns) against the variant's median and p99. */
    void add(long[] startEpochMicros, long[] sessionNanos, long medianNanos, long p99Nanos) {
        if (startEpochMicros.length == 0) {
            return;
        }
        long first = Arrays.stream(startEpochMicros).min().getAsLong();
        Map<Long, List<Long>> byWindow = new TreeMap<>();
        for (int i = 0; i < startEpochMicros.length; i++) {
            byWindow.computeIfAbsent((startEpochMicros[i] - first) / SPELL_WINDOW_MICROS, k -> new ArrayList<>()).add(sessionNanos[i]);
        }
        Set<Long> slowWindows = new HashSet<>();
        byWindow.forEach((window, times) -> {
            windows++;
            long[] sorted = Stats.sorted(times.stream().mapToLong(Long::longValue).toArray());
            if (Stats.percentile(sorted, 50) > SPELL_FACTOR * medianNanos) {
                slow++;
                slowWindows.add(window);
                if (window * SPELL_WINDOW_MICROS < 1_000_000) {
                    slowEarly++;
                }
            }
        });
        for (int i = 0; i < startEpochMicros.length; i++) {
            if (sessionNanos[i] > p99Nanos) {
                tail++;
                if (slowWindows.contains((startEpochMicros[i] - first) / SPELL_WINDOW_MICROS)) {
                    tailInSlow++;
                }
            }
        }
    }
}
