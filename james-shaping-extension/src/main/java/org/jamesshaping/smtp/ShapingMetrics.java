package org.jamesshaping.smtp;

import java.util.ArrayList;
import java.util.List;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.jamesshaping.scoring.ClassDecision;
import org.jamesshaping.shaping.ConnectionRegistry;
import org.jamesshaping.shaping.ShapingPolicy;

/** Shaping's metrics, shown at WebAdmin's /metrics: one set per James, whatever the number of SMTP servers. */
@Singleton
public class ShapingMetrics {
    private final List<Metric> connectionsPerClass = new ArrayList<>();
    final Metric limitRejections;
    final Metric overloadRejections;
    final Metric earlyTalkers;
    final Metric dryRunShaped;
    final Metric blockedByClass;

    @Inject
    public ShapingMetrics(MetricFactory metricFactory, GaugeRegistry gaugeRegistry, ConnectionRegistry registry) {
        for (int level = 0; level < ClassDecision.CLASSES; level++) {
            connectionsPerClass.add(metricFactory.generate("shaping_class_" + level + "_connections"));
        }
        limitRejections = metricFactory.generate("shaping_limit_rejections");
        overloadRejections = metricFactory.generate("shaping_overload_rejections");
        earlyTalkers = metricFactory.generate("shaping_early_talkers");
        dryRunShaped = metricFactory.generate("shaping_dry_run_would_shape");
        blockedByClass = metricFactory.generate("shaping_class_9_refusals");
        gaugeRegistry.register("shaping_held_connections", registry::held);
        gaugeRegistry.register("shaping_connection_counters", registry::trackedCounters);
    }

    void connection(int level) {
        connectionsPerClass.get(level).increment();
    }
}
