package org.jamesshaping.filter;

import java.io.Closeable;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.annotation.PreDestroy;
import javax.inject.Singleton;

/**
 * One {@link FingerprintService} and one {@link PredictiveModelService} per configured store, shared by every
 * mailet and matcher that names the same store, so a server keeps one index and one model in memory and one set
 * of background refreshers, however many processors use the filters.
 */
@Singleton
public class FilterStores implements Closeable {
    private final Map<String, FingerprintService> fingerprints = new ConcurrentHashMap<>();
    private final Map<String, PredictiveModelService> models = new ConcurrentHashMap<>();

    public FingerprintService fingerprints(MongoConnection connection, double threshold, Duration refreshInterval) {
        String key = connection + "|" + connection.timeout() + "|" + threshold;
        return fingerprints.computeIfAbsent(key,
            ignored -> new FingerprintService(connection, threshold, refreshInterval, Clock.systemUTC()));
    }

    /** @param modelLocation {@code mongo} for the shared model, otherwise the path of a model file */
    public PredictiveModelService models(String modelLocation, MongoConnection connection, Duration refreshInterval) {
        boolean mongo = modelLocation.equals("mongo");
        String key = mongo ? "mongo|" + connection : "file|" + modelLocation;
        return models.computeIfAbsent(key, ignored -> new PredictiveModelService(
            mongo ? PredictiveModelService.mongoSource(connection) : PredictiveModelService.fileSource(Paths.get(modelLocation)),
            refreshInterval));
    }

    @PreDestroy
    @Override
    public void close() {
        List<Closeable> all = new ArrayList<>(fingerprints.values());
        all.addAll(models.values());
        fingerprints.clear();
        models.clear();
        for (Closeable closeable : all) {
            try {
                closeable.close();
            } catch (Exception e) {
                // Shutting down: nothing left to do about it.
            }
        }
    }
}
