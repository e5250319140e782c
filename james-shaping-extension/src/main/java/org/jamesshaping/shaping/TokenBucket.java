package org.jamesshaping.shaping;

/**
 * Bytes a sender may still send: refilled at {@code rate} bytes per second up to {@code burst}. Taking more than
 * is available leaves a debt, and the time to repay it is how long reading must pause, which is how Netty's
 * traffic shaper works too: bytes already read cannot be un-read, so the next read is delayed instead.
 * Shared by all connections of an address or subnet, hence synchronized; the critical section is a few
 * arithmetic operations.
 */
public final class TokenBucket {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private long rate;
    private long burst;
    private double tokens;
    private long lastRefillNanos;

    public TokenBucket(long rate, long burst, long nowNanos) {
        setRate(rate, burst);
        this.tokens = burst;
        this.lastRefillNanos = nowNanos;
    }

    /** A burst of a tenth of a second of traffic, at least one TCP segment. */
    public static long defaultBurst(long rate) {
        return Math.max(1460, rate / 10);
    }

    public synchronized void setRate(long rate, long burst) {
        if (rate <= 0) {
            throw new IllegalArgumentException("rate must be positive, got " + rate);
        }
        this.rate = rate;
        this.burst = Math.max(1, burst);
        this.tokens = Math.min(tokens, this.burst);
    }

    /**
     * Takes {@code bytes} that have just been read.
     *
     * @return nanoseconds to wait before reading again; 0 when within budget
     */
    public synchronized long take(long bytes, long nowNanos) {
        refill(nowNanos);
        tokens -= bytes;
        if (tokens >= 0) {
            return 0;
        }
        return (long) Math.ceil(-tokens * NANOS_PER_SECOND / rate);
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - lastRefillNanos;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + (double) elapsed * rate / NANOS_PER_SECOND);
            lastRefillNanos = nowNanos;
        }
    }

    public synchronized long rate() {
        return rate;
    }

    synchronized double tokens() {
        return tokens;
    }
}
