package org.jamesshaping.admin;

import javax.inject.Inject;

import org.jamesshaping.store.ReputationStore;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.mongodb.MongoException;

/** The {@link ShapingMBean} implementation, on top of the same reports as WebAdmin. */
public class ShapingManagement implements ShapingMBean {
    public static final String OBJECT_NAME = "org.apache.james:type=extension,name=shaping";

    private final ReputationReports reports;
    private final ReputationStore reputation;
    private final ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Inject
    public ShapingManagement(ReputationReports reports, ReputationStore reputation) {
        this.reports = reports;
        this.reputation = reputation;
    }

    @Override
    public String reputation(String ipOrCidr) {
        return toJson(guard(() -> reports.lookup(ipOrCidr)));
    }

    @Override
    public String top(int limit) {
        return toJson(guard(() -> reports.top(limit, ReputationReports.Sort.SCORE)));
    }

    @Override
    public String topTable(int limit) {
        return guard(() -> reports.topTable(limit, ReputationReports.Sort.SCORE));
    }

    @Override
    public String statuses(String status, int limit, int offset) {
        return toJson(guard(() -> reports.statuses(status, limit, offset)));
    }

    @Override
    public String statusesTable(String status, int limit, int offset) {
        return guard(() -> reports.statusesTable(status, limit, offset));
    }

    @Override
    public String exportStatuses() {
        return guard(reports::exportStatuses);
    }

    @Override
    public String importStatuses(String file, boolean force) {
        return toJson(guard(() -> reports.importStatuses(file, force, "jmx")));
    }

    @Override
    public String setStatus(String ipOrCidr, String status, String reason, String ttl) {
        return setStatus(ipOrCidr, status, reason, ttl, false);
    }

    @Override
    public String setStatus(String ipOrCidr, String status, String reason, String ttl, boolean force) {
        return toJson(guard(() -> reports.setStatus(ipOrCidr, status, reason, ttl, "jmx", force)));
    }

    @Override
    public String pin(String ipOrCidr, int shapingClass, String reason, String ttl) {
        return pin(ipOrCidr, shapingClass, reason, ttl, false);
    }

    @Override
    public String pin(String ipOrCidr, int shapingClass, String reason, String ttl, boolean force) {
        return toJson(guard(() -> reports.pin(ipOrCidr, shapingClass, reason, ttl, "jmx", force)));
    }

    @Override
    public void report(String ip, String verdict) {
        guard(() -> {
            reports.report(ip, verdict);
            return null;
        });
    }

    @Override
    public boolean forget(String ipOrCidr) {
        return guard(() -> reports.forget(ipOrCidr));
    }

    @Override
    public int getWriteBehindDepth() {
        return reputation.bufferDepth();
    }

    @Override
    public long getDroppedUpdates() {
        return reputation.droppedUpdates();
    }

    private interface Call<T> {
        T run();
    }

    /** Only JDK exception types cross JMX: a driver exception would not deserialize in the CLI. */
    private static <T> T guard(Call<T> call) {
        try {
            return call.run();
        } catch (MongoException e) {
            throw new IllegalStateException("The reputation store (MongoDB) is unavailable: " + e.getMessage());
        }
    }

    private String toJson(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Could not render " + value, e);
        }
    }
}
