package org.jamesshaping.filter.predictive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;

import org.jamesshaping.testsupport.MutableClock;
import org.junit.jupiter.api.Test;

class AutoLearnQuotaTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-03T00:00:00Z"));

    @Test
    void oneSenderGivesAtMostItsBoundPerWindowThenAgain() {
        AutoLearnQuota quota = new AutoLearnQuota(3, 100, Duration.ofDays(1), clock);
        for (int i = 0; i < 3; i++) {
            assertThat(quota.take("bulk@example.org", "192.0.2")).isEqualTo(AutoLearnQuota.Decision.TAKEN);
        }
        assertThat(quota.take("bulk@example.org", "192.0.2")).isEqualTo(AutoLearnQuota.Decision.SENDER_LIMIT);
        // another sender of the same network still has room
        assertThat(quota.take("other@example.org", "192.0.2")).isEqualTo(AutoLearnQuota.Decision.TAKEN);
        clock.advance(Duration.ofHours(25));
        assertThat(quota.take("bulk@example.org", "192.0.2")).isEqualTo(AutoLearnQuota.Decision.TAKEN);
        assertThat(quota.taken()).isEqualTo(5);
        assertThat(quota.senderLimited()).isEqualTo(1);
    }

    @Test
    void manySendersOfOneNetworkShareItsBound() {
        AutoLearnQuota quota = new AutoLearnQuota(5, 4, Duration.ofDays(1), clock);
        for (int i = 0; i < 4; i++) {
            assertThat(quota.take("sender" + i + "@example.org", "198.51.100")).isEqualTo(AutoLearnQuota.Decision.TAKEN);
        }
        // fresh sender addresses do not buy more examples from the same /24
        assertThat(quota.take("sender99@example.org", "198.51.100")).isEqualTo(AutoLearnQuota.Decision.NETWORK_LIMIT);
        assertThat(quota.take("sender99@example.org", "203.0.113")).isEqualTo(AutoLearnQuota.Decision.TAKEN);
        assertThat(quota.networkLimited()).isEqualTo(1);
    }

    @Test
    void aRefusedMessageCountsAgainstNeitherBound() {
        AutoLearnQuota quota = new AutoLearnQuota(1, 2, Duration.ofDays(1), clock);
        assertThat(quota.take("a@example.org", "192.0.2")).isEqualTo(AutoLearnQuota.Decision.TAKEN);
        assertThat(quota.take("a@example.org", "192.0.2")).isEqualTo(AutoLearnQuota.Decision.SENDER_LIMIT);
        // the refused one did not use the network's second place
        assertThat(quota.take("b@example.org", "192.0.2")).isEqualTo(AutoLearnQuota.Decision.TAKEN);
    }

    @Test
    void networksAreSlash24AndSlash48() {
        assertThat(AutoLearnQuota.network("192.0.2.77")).isEqualTo("192.0.2.0/24");
        assertThat(AutoLearnQuota.network("::ffff:192.0.2.9")).as("IPv4-mapped").isEqualTo("192.0.2.0/24");
        assertThat(AutoLearnQuota.network("2001:db8:1234:5678::1")).isEqualTo(AutoLearnQuota.network("2001:db8:1234:0:0:0:0:2"));
        // every way of writing an address of one /48 is that /48
        assertThat(AutoLearnQuota.network("2001:db8::1")).isEqualTo(AutoLearnQuota.network("2001:db8:0:5::1"))
            .isEqualTo(AutoLearnQuota.network("2001:0db8:0000:ffff:0:0:0:7")).isNotEqualTo(AutoLearnQuota.network("2001:db8:1::1"));
        assertThat(AutoLearnQuota.network("not-an-address")).isEqualTo("not-an-address");
        assertThatThrownBy(() -> new AutoLearnQuota(0, 1, Duration.ofDays(1), clock)).isInstanceOf(IllegalArgumentException.class);
    }
}
