package org.jamesshaping.bench.flood;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.HdrHistogram.Histogram;

/** The figures of one run of one phase, as measured; the report derives everything else from them. */
final class PhaseResult {
    final FloodBenchmark.Phase phase;
    final int repeat;
    final int abusiveConnections;
    double seconds;

    long legitAccepted;
    long legitFailed;
    long legitTimedOut;
    Histogram legitLatencyMicros;
    /** [seconds since the start, latency ms] of each accepted legitimate transaction. */
    final List<double[]> legitLatencyPoints = new ArrayList<>();
    List<String> legitFailureSamples = new ArrayList<>();

    long abusiveAccepted;
    long abusiveBytes;
    long abusiveRefused;
    long abusiveRcptAccepted;
    long abusiveRcptRejected;
    long abusiveConnectionsOpened;
    long abusiveGaveUp;
    long abusiveClosedByServer;
    long abusiveRefusedAtGreeting;
    long abusiveConnectFailures;
    /** Abusive connections open, sampled each second (the last sample: at the end). */
    final List<Integer> abusiveOpen = new ArrayList<>();
    long[] abusiveAcceptedPerSecond = new long[0];
    final Map<String, Long> abusiveAcceptedByGroup = new LinkedHashMap<>();
    int abusiveAddressesUsed;

    Map<String, List<int[]>> classes = new LinkedHashMap<>();
    Map<String, Double> secondsToShaped = new LinkedHashMap<>();

    double serverCpuSeconds;
    /** James's CPU seconds by thread family (digits of thread names replaced by N), for where the CPU goes. */
    final Map<String, Double> serverCpuByThreads = new LinkedHashMap<>();
    double mongoCpuSeconds;
    double clientCpuSeconds;
    long serverThreadsMax;
    long serverThreadsEnd;
    long serverHeapUsedKb;
    long serverRssMaxKb;
    long serverRssEndKb;
    Histogram clientLagMicros;

    long spoolBacklog;
    long legitDelivered;
    long legitUndelivered;
    Histogram deliveryDelayMillis;
    double drainSeconds;

    PhaseResult(FloodBenchmark.Phase phase, int repeat, int abusiveConnections) {
        this.phase = phase;
        this.repeat = repeat;
        this.abusiveConnections = abusiveConnections;
    }

    long legitP(double percentile) {
        return legitLatencyMicros.getTotalCount() == 0 ? -1 : legitLatencyMicros.getValueAtPercentile(percentile);
    }

    double abusivePerSecond() {
        return abusiveAccepted / seconds;
    }

    long deliveryP(double percentile) {
        return deliveryDelayMillis == null || deliveryDelayMillis.getTotalCount() == 0 ? -1 : deliveryDelayMillis.getValueAtPercentile(percentile);
    }
}
