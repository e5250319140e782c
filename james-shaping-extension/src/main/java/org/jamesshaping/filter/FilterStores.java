package org.jamesshaping.filter;

import java.io.Closeable;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import javax.annotation.PreDestroy;
import javax.inject.Inject;
import javax.inject.Singleton;

import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.fingerprint.FingerprintService;
import org.jamesshaping.filter.predictive.IncrementalLearner;
import org.jamesshaping.filter.predictive.ModelBootstrap;
import org.jamesshaping.filter.predictive.ModelTrainer;
import org.jamesshaping.filter.predictive.PredictiveModel;
import org.jamesshaping.filter.predictive.PredictiveModelService;
import org.jamesshaping.filter.predictive.PredictiveModelStore;
import org.jamesshaping.filter.predictive.ReportLearner;
import org.jamesshaping.filter.predictive.TrainingReports;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.store.StoreSettings;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;

/**
 * One {@link FingerprintService}, one {@link PredictiveModelService} (with its {@link ReportLearner}) and one MongoDB
 * client per configured store, shared by every
 * mailet and matcher that names the same store, so a server keeps one index and one model in memory and one set
 * of background refreshers, however many processors use the filters.
 */
@Singleton
public class FilterStores implements Closeable {
    private final Map<String, FingerprintService> fingerprints = new ConcurrentHashMap<>();
    private final Map<String, PredictiveModelService> models = new ConcurrentHashMap<>();
    private final Map<MongoConnection, MongoClient> clients = new ConcurrentHashMap<>();
    private final Map<MongoConnection, TrainingReports> reports = new ConcurrentHashMap<>();
    private final Map<MongoConnection, PredictiveModelStore> modelStores = new ConcurrentHashMap<>();
    private final FilterMetrics metrics;
    private final Duration fingerprintUnseenExpiry;
    private final FilterRunGate runGate = new FilterRunGate();

    /** As James builds it: the filters' metrics at WebAdmin's /metrics, the expiry of shaping.properties. */
    @Inject
    public FilterStores(MetricFactory metricFactory, GaugeRegistry gauges, StoreSettings settings) {
        this.metrics = new FilterMetrics(metricFactory, gauges, this::oldestModelTrainedAt, this::pendingReports, Clock.systemUTC());
        this.fingerprintUnseenExpiry = settings.fingerprintUnseenExpiry();
        gauges.register("shaping_filter_turn_waits_capped", runGate::waitsCapped);
    }

    /** Outside James's injector (tests): metrics counted but shown nowhere, fingerprints never expire. */
    public FilterStores() {
        this.metrics = FilterMetrics.unregistered(this::oldestModelTrainedAt, this::pendingReports);
        this.fingerprintUnseenExpiry = Duration.ZERO;
    }

    /** Mails this filter gave up on since James started, their time budget spent ({@code not-run; reason=timeout}). */
    public long timeouts(Verdict.Filter filter) {
        return metrics.notRunCount(filter, "timeout");
    }

    public FilterMetrics metrics() {
        return metrics;
    }

    /** The bound on messages judged at once by all filter mailets of this server. */
    public FilterRunGate runGate() {
        return runGate;
    }

    /** When the oldest predictive model in use was trained; null when none is loaded. */
    private Instant oldestModelTrainedAt() {
        return models.values().stream()
            .map(PredictiveModelService::current)
            .flatMap(Optional::stream)
            .map(PredictiveModel::trainedAt)
            .min(Comparator.naturalOrder())
            .orElse(null);
    }

    /** Operator reports not learned yet, as counted by the last learning pass of each shared model. */
    private long pendingReports() {
        return models.values().stream().mapToLong(PredictiveModelService::pendingReports).sum();
    }

    public FingerprintService fingerprints(MongoConnection connection, double threshold, Duration refreshInterval) {
        String key = connection + "|" + connection.timeout() + "|" + threshold;
        return fingerprints.computeIfAbsent(key,
            ignored -> new FingerprintService(connection, threshold, refreshInterval, fingerprintUnseenExpiry, Clock.systemUTC()));
    }

    /**
     * @param modelLocation {@code mongo} for the shared model, otherwise the path of a model file
     * @param learnInterval how often the shared model learns pending operator reports ({@link ReportLearner});
     *                      zero for never. Model files never learn: they are the operator's own.
     */
    public PredictiveModelService models(String modelLocation, MongoConnection connection, Duration refreshInterval,
                                         Duration learnInterval) {
        if (!modelLocation.equals("mongo")) {
            return models.computeIfAbsent("file|" + modelLocation, ignored -> new PredictiveModelService(
                PredictiveModelService.fileSource(Paths.get(modelLocation)), refreshInterval));
        }
        PredictiveModelStore store = modelStores.computeIfAbsent(connection,
            ignored -> new PredictiveModelStore(database(connection).getCollection(PredictiveModelStore.COLLECTION)));
        PredictiveModelService service = models.computeIfAbsent("mongo|" + connection, ignored ->
            // The client is this registry's, closed with it.
            new PredictiveModelService(PredictiveModelService.mongoSource(store, () -> { }), refreshInterval));
        if (!learnInterval.isZero()) {
            service.startLearning(new ReportLearner(store, trainingReports(connection), IncrementalLearner.defaults(),
                new ContentExtractor(ContentLimits.DEFAULT), Clock.systemUTC(), ReportLearner.DEFAULT_BATCH),
                Optional.of(new ModelBootstrap(store, trainingReports(connection), new ContentExtractor(ContentLimits.DEFAULT),
                    ModelTrainer.defaults(), Clock.systemUTC())), learnInterval);
        }
        return service;
    }

    /** The operators' training reports in this store (indexes created on first use). */
    public TrainingReports trainingReports(MongoConnection connection) {
        return reports.computeIfAbsent(connection, ignored -> {
            TrainingReports created = new TrainingReports(database(connection).getCollection(TrainingReports.COLLECTION));
            try {
                created.createIndexes();
            } catch (MongoException e) {
                // MongoDB down at start: the index is only for speed; it is created by the next server that starts.
            }
            return created;
        });
    }

    /** One client per store, shared by everything here that uses it. */
    private MongoDatabase database(MongoConnection connection) {
        return clients.computeIfAbsent(connection, MongoConnection::open).getDatabase(connection.database());
    }

    @PreDestroy
    @Override
    public void close() {
        List<Closeable> all = new ArrayList<>(fingerprints.values());
        all.addAll(models.values());
        clients.values().forEach(client -> all.add(client::close));
        fingerprints.clear();
        models.clear();
        reports.clear();
        modelStores.clear();
        clients.clear();
        for (Closeable closeable : all) {
            try {
                closeable.close();
            } catch (Exception e) {
                // Shutting down: nothing left to do about it.
            }
        }
    }
}
