package org.jamesshaping.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void withinTheBurstNoWaitIsNeeded() {
        TokenBucket bucket = new TokenBucket(1000, 500, 0);
        assertThat(bucket.take(500, 0)).isZero();
    }

    @Test
    void aDebtIsRepaidAtTheRate() {
        TokenBucket bucket = new TokenBucket(1000, 500, 0);
        // 1500 bytes against 500 available: 1000 in debt, one second at 1000 B/s.
        assertThat(bucket.take(1500, 0)).isEqualTo(SECOND);
        // Half a second later half the debt is repaid.
        assertThat(bucket.take(0, SECOND / 2)).isEqualTo(SECOND / 2);
        assertThat(bucket.take(0, SECOND)).isZero();
    }

    @Test
    void refillNeverExceedsTheBurst() {
        TokenBucket bucket = new TokenBucket(1000, 500, 0);
        bucket.take(500, 0);
        assertThat(bucket.take(0, 100 * SECOND)).isZero();
        assertThat(bucket.tokens()).isCloseTo(500.0, within(1e-9));
    }

    @Test
    void sustainedTrafficIsHeldToTheRate() {
        long rate = 256 * 1024;
        TokenBucket bucket = new TokenBucket(rate, TokenBucket.defaultBurst(rate), 0);
        long now = 0;
        long sent = 0;
        // A sender that writes 64 KB whenever the reader resumes, for 2 MB.
        while (sent < 2 * 1024 * 1024) {
            long wait = bucket.take(65_536, now);
            sent += 65_536;
            now += wait;
        }
        double seconds = (double) now / SECOND;
        assertThat(sent / seconds).isCloseTo(rate, within(rate * 0.05));
    }

    @Test
    void aRetunedRateAppliesToTheNextDebt() {
        TokenBucket bucket = new TokenBucket(1000, 1000, 0);
        bucket.setRate(2000, 1000);
        assertThat(bucket.take(3000, 0)).isEqualTo(SECOND);
    }
}
