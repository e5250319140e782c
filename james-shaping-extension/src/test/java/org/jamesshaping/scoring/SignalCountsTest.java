package org.jamesshaping.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SignalCountsTest {
    @Test
    void signalsThatSpeakForTheSenderAreToldFromTheRest() {
        SignalCounts clean = new SignalCounts().add(Signal.CONNECTION).add(Signal.RECIPIENT_ACCEPTED, 3).add(Signal.MESSAGE_ACCEPTED);
        assertThat(clean.isEmpty()).isFalse();
        assertThat(clean.onlyForSender()).isTrue();

        SignalCounts mixed = clean.copy().add(Signal.UNKNOWN_RECIPIENT);
        assertThat(mixed.onlyForSender()).isFalse();
        assertThat(clean.onlyForSender()).as("the copy is independent").isTrue();
        assertThat(mixed.count(Signal.RECIPIENT_ACCEPTED)).isEqualTo(3);
    }

    @Test
    void aCountBackToZeroNoLongerCounts() {
        SignalCounts counts = new SignalCounts().add(Signal.CONNECTION).add(Signal.PROTOCOL_VIOLATION, 2);
        counts.add(Signal.PROTOCOL_VIOLATION, -2);
        assertThat(counts.onlyForSender()).isTrue();
        counts.add(Signal.CONNECTION, -1);
        assertThat(counts.isEmpty()).isTrue();
    }

    @Test
    void clearedCountsAreEmptyAndSumsAddUp() {
        SignalCounts counts = new SignalCounts().add(Signal.SPAMTRAP_HIT).add(Signal.CONNECTION);
        SignalCounts sum = new SignalCounts().add(Signal.CONNECTION).addAll(counts);
        counts.clear();
        assertThat(counts.isEmpty()).isTrue();
        assertThat(counts.onlyForSender()).isTrue();
        assertThat(sum.count(Signal.CONNECTION)).isEqualTo(2);
        assertThat(sum.count(Signal.SPAMTRAP_HIT)).isEqualTo(1);
        assertThat(sum.onlyForSender()).isFalse();
    }
}
