package org.jamesshaping.bench.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** The overhead benchmark's CPU by group of threads between two readings of /proc, with threads that come and go. */
class ThreadGroupDeltasTest {
    private static ProcCpu.ThreadTicks ticks(String group, long value) {
        return new ProcCpu.ThreadTicks(group, value);
    }

    @Test
    void aThreadThatEndedChargesNoGroupWithNegativeTime() {
        // spooler-1 (tid 12) used 500 ticks before the round and ended during it; spooler-2 (tid 13) started during it.
        Map<Integer, ProcCpu.ThreadTicks> before = Map.of(11, ticks("smtpserver-io-N", 1000), 12, ticks("spooler-N", 500));
        Map<Integer, ProcCpu.ThreadTicks> after = Map.of(11, ticks("smtpserver-io-N", 1300), 13, ticks("spooler-N", 40));

        Map<String, Long> deltas = ProcCpu.groupDeltas(before, after);

        assertThat(deltas).containsExactlyInAnyOrderEntriesOf(Map.of("smtpserver-io-N", 300L, "spooler-N", 40L));
    }

    @Test
    void aThreadIdReusedByAnotherGroupCountsFromZero() {
        Map<Integer, ProcCpu.ThreadTicks> before = Map.of(20, ticks("spooler-N", 700));
        Map<Integer, ProcCpu.ThreadTicks> after = Map.of(20, ticks("shaping-store-N", 5));

        assertThat(ProcCpu.groupDeltas(before, after)).containsExactlyInAnyOrderEntriesOf(Map.of("shaping-store-N", 5L));
    }
}
