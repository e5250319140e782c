package org.jamesshaping.shaping;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How one shaping class treats a connection. Zero means "no delay" for durations and "no limit" for rates and
 * counts, so a class of all zeros is unshaped.
 */
public final class ClassSettings {
    public static final ClassSettings UNSHAPED = new ClassSettings(Duration.ZERO, Duration.ZERO, 0, 0, 0, 0, 0, 0, 0, false);

    private final Duration greetingDelay;
    private final Duration replyDelay;
    /** The delays in nanoseconds, converted once: read on every reply. */
    private final long greetingDelayNanos;
    private final long replyDelayNanos;
    private final long commandReadRate;
    private final long dataReadRate;
    private final int maxConnectionsPerIp;
    private final int maxConnectionsPerSubnet;
    private final int connectionsPerMinutePerIp;
    private final int maxRecipientsPerTransaction;
    private final int maxMessagesPerConnection;
    private final boolean rejectAtData;

    public ClassSettings(Duration greetingDelay, Duration replyDelay, long commandReadRate, long dataReadRate,
                         int maxConnectionsPerIp, int maxConnectionsPerSubnet, int connectionsPerMinutePerIp,
                         int maxRecipientsPerTransaction, int maxMessagesPerConnection, boolean rejectAtData) {
        this.greetingDelay = greetingDelay;
        this.replyDelay = replyDelay;
        this.greetingDelayNanos = greetingDelay.toNanos();
        this.replyDelayNanos = replyDelay.toNanos();
        this.commandReadRate = commandReadRate;
        this.dataReadRate = dataReadRate;
        this.maxConnectionsPerIp = maxConnectionsPerIp;
        this.maxConnectionsPerSubnet = maxConnectionsPerSubnet;
        this.connectionsPerMinutePerIp = connectionsPerMinutePerIp;
        this.maxRecipientsPerTransaction = maxRecipientsPerTransaction;
        this.maxMessagesPerConnection = maxMessagesPerConnection;
        this.rejectAtData = rejectAtData;
    }

    /** A connection in this class is held: delayed or read slowly, so it counts against the held-connection cap. */
    public boolean holds() {
        return !greetingDelay.isZero() || !replyDelay.isZero() || commandReadRate > 0 || dataReadRate > 0;
    }

    public boolean isUnshaped() {
        return !holds() && maxConnectionsPerIp == 0 && maxConnectionsPerSubnet == 0 && connectionsPerMinutePerIp == 0
            && maxRecipientsPerTransaction == 0 && maxMessagesPerConnection == 0 && !rejectAtData;
    }

    /** The same class with its greeting and reply delays cut to {@code max}. */
    ClassSettings withDelaysAtMost(Duration max) {
        if (greetingDelay.compareTo(max) <= 0 && replyDelay.compareTo(max) <= 0) {
            return this;
        }
        return new ClassSettings(min(greetingDelay, max), min(replyDelay, max), commandReadRate, dataReadRate, maxConnectionsPerIp,
            maxConnectionsPerSubnet, connectionsPerMinutePerIp, maxRecipientsPerTransaction, maxMessagesPerConnection, rejectAtData);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Delays multiplied and rates and limits divided by {@code factor}: the arithmetic of the presets. */
    ClassSettings scaled(double factor) {
        return new ClassSettings(
            Duration.ofMillis(Math.round(greetingDelay.toMillis() * factor)),
            Duration.ofMillis(Math.round(replyDelay.toMillis() * factor)),
            divide(commandReadRate, factor), divide(dataReadRate, factor),
            (int) divide(maxConnectionsPerIp, factor), (int) divide(maxConnectionsPerSubnet, factor),
            (int) divide(connectionsPerMinutePerIp, factor), (int) divide(maxRecipientsPerTransaction, factor),
            (int) divide(maxMessagesPerConnection, factor), rejectAtData);
    }

    private static long divide(long limit, double factor) {
        return limit == 0 ? 0 : Math.max(1, Math.round(limit / factor));
    }

    public Duration greetingDelay() {
        return greetingDelay;
    }

    public Duration replyDelay() {
        return replyDelay;
    }

    public long greetingDelayNanos() {
        return greetingDelayNanos;
    }

    public long replyDelayNanos() {
        return replyDelayNanos;
    }

    public long commandReadRate() {
        return commandReadRate;
    }

    public long dataReadRate() {
        return dataReadRate;
    }

    public int maxConnectionsPerIp() {
        return maxConnectionsPerIp;
    }

    public int maxConnectionsPerSubnet() {
        return maxConnectionsPerSubnet;
    }

    public int connectionsPerMinutePerIp() {
        return connectionsPerMinutePerIp;
    }

    public int maxRecipientsPerTransaction() {
        return maxRecipientsPerTransaction;
    }

    public int maxMessagesPerConnection() {
        return maxMessagesPerConnection;
    }

    /**
     * Refuse this class's messages at the end of DATA with a permanent {@code 550 5.7.1}: the sending MTA then
     * bounces rather than retries, where an early 4xx would bring the same mail back again and again.
     */
    public boolean rejectAtData() {
        return rejectAtData;
    }

    /** For logs and the operator API. */
    public Map<String, Object> describe() {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("greetingDelay", greetingDelay.toString());
        result.put("replyDelay", replyDelay.toString());
        result.put("commandReadRate", commandReadRate);
        result.put("dataReadRate", dataReadRate);
        result.put("maxConnectionsPerIp", maxConnectionsPerIp);
        result.put("maxConnectionsPerSubnet", maxConnectionsPerSubnet);
        result.put("connectionsPerMinutePerIp", connectionsPerMinutePerIp);
        result.put("maxRecipientsPerTransaction", maxRecipientsPerTransaction);
        result.put("maxMessagesPerConnection", maxMessagesPerConnection);
        result.put("rejectAtData", rejectAtData);
        return result;
    }
}
