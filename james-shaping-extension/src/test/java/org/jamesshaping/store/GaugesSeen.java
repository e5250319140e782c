package org.jamesshaping.store;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.james.metrics.api.Gauge;
import org.apache.james.metrics.api.GaugeRegistry;

/** The gauges a component registered, by name, to read them as /metrics would. */
public final class GaugesSeen implements GaugeRegistry {
    private final Map<String, Gauge<?>> gauges = new ConcurrentHashMap<>();

    @Override
    public <T> GaugeRegistry register(String name, Gauge<T> gauge) {
        gauges.put(name, gauge);
        return this;
    }

    @Override
    public <T> SettableGauge<T> settableGauge(String name) {
        throw new UnsupportedOperationException("not used by the extension");
    }

    public Gauge<?> get(String name) {
        Gauge<?> gauge = gauges.get(name);
        if (gauge == null) {
            throw new IllegalArgumentException("no gauge " + name + " registered; registered: " + gauges.keySet());
        }
        return gauge;
    }
}
