package org.jamesshaping.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class TtlTest {
    @Test
    void readsJamesDurationsAndIsoOnes() {
        assertThat(Ttl.parse("30m")).contains(Duration.ofMinutes(30));
        assertThat(Ttl.parse("12h")).contains(Duration.ofHours(12));
        assertThat(Ttl.parse("1d")).contains(Duration.ofDays(1));
        assertThat(Ttl.parse("2w")).contains(Duration.ofDays(14));
        assertThat(Ttl.parse("PT30M")).contains(Duration.ofMinutes(30));
        assertThat(Ttl.parse(" ")).isEmpty();
    }

    @Test
    void aTtlTooLargeToBeADurationIsBadInputNotAServerError() {
        assertThatThrownBy(() -> Ttl.parse("100000000000000d")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("100000000000000d");
        assertThatThrownBy(() -> Ttl.parse("P99999999999999999D")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Ttl.parse("0s")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
        assertThatThrownBy(() -> Ttl.parse("soon")).isInstanceOf(IllegalArgumentException.class);
    }
}
