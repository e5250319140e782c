package org.jamesshaping.filter.predictive;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.jamesshaping.runtime.DaemonThreads;
import org.jamesshaping.store.MongoConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;

/**
 * Keeps the current predictive model in memory for the mail path, reloading it in the background when its
 * source (MongoDB's current version, or a model file's modification time) changes. Scoring never waits on I/O;
 * before the first successful load {@link #current()} is empty and the mailet reports that it did not run.
 */
public class PredictiveModelService implements Closeable {
    private static final Logger LOGGER = LoggerFactory.getLogger(PredictiveModelService.class);

    /** Where models come from. */
    public interface Source {
        /** A token that changes when the model changes (version, modification time). */
        Optional<String> version() throws IOException;

        PredictiveModel load(String version) throws IOException;

        default void close() {
        }
    }

    private final Source source;
    private final ScheduledExecutorService scheduler;
    private volatile PredictiveModel model;
    private volatile String loadedVersion;
    private boolean learning;
    private volatile long pendingReports;
    private volatile Optional<ModelBootstrap> bootstrap = Optional.empty();

    public PredictiveModelService(Source source, Duration refreshInterval) {
        this.source = source;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("shaping-model"));
        scheduler.scheduleWithFixedDelay(this::refreshQuietly, 0, refreshInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    public static Source mongoSource(MongoConnection connection) {
        MongoClient client = connection.open();
        return mongoSource(new PredictiveModelStore(
            client.getDatabase(connection.database()).getCollection(PredictiveModelStore.COLLECTION)), client::close);
    }

    /** @param onClose releases what the store uses (its client) */
    public static Source mongoSource(PredictiveModelStore store, Runnable onClose) {
        return new Source() {
            @Override
            public Optional<String> version() {
                return store.currentVersion();
            }

            @Override
            public PredictiveModel load(String version) throws IOException {
                return store.load(version);
            }

            @Override
            public void close() {
                onClose.run();
            }
        };
    }

    public static Source fileSource(Path file) {
        return new Source() {
            @Override
            public Optional<String> version() throws IOException {
                if (!Files.isRegularFile(file)) {
                    return Optional.empty();
                }
                FileTime modified = Files.getLastModifiedTime(file);
                return Optional.of(modified.toMillis() + ":" + Files.size(file));
            }

            @Override
            public PredictiveModel load(String version) throws IOException {
                return ModelCodec.readFile(file);
            }
        };
    }

    /**
     * Also applies operator reports to the shared model every {@code interval}, on the same background thread
     * (so learning and reloading never overlap), and loads the learned model at once. Only the first call starts
     * it: every mailet naming this model shares one learner.
     */
    public synchronized void startLearning(ReportLearner learner, Duration interval) {
        startLearning(learner, Optional.empty(), interval);
    }

    /**
     * As {@link #startLearning(ReportLearner, Duration)}; while there is no model, {@code bootstrap} may train the first
     * one, and it trains a model it trained again when enough reports came since ({@link ModelBootstrap#retrainIfDue}).
     */
    public synchronized void startLearning(ReportLearner learner, Optional<ModelBootstrap> bootstrap, Duration interval) {
        this.bootstrap = bootstrap;
        if (learning) {
            return;
        }
        learning = true;
        // Servers started together would all learn at the same instant; the loser of the race only wastes a pass.
        long first = interval.toMillis() / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, interval.toMillis() / 2));
        scheduler.scheduleWithFixedDelay(() -> learnQuietly(learner), first, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void learnQuietly(ReportLearner learner) {
        try {
            // Runs on the thread that also reloads, so model and loadedVersion do not change meanwhile.
            PredictiveModel held = model;
            String heldVersion = loadedVersion;
            ReportLearner.Pass pass = learner.learnPending(
                version -> version.equals(heldVersion) ? Optional.ofNullable(held) : Optional.empty());
            pendingReports = learner.pendingReports();
            if (pass.result() == ReportLearner.Pass.Result.NO_MODEL && bootstrap.isPresent()) {
                Optional<String> first = bootstrap.get().trainIfEnough();
                if (first.isPresent()) {
                    model = bootstrap.get().load(first.get());
                    loadedVersion = first.get();
                }
                return;
            }
            if (pass.version().isPresent() && pass.model().isPresent()) {
                // The learned model is this server's at once; the others read it within their refresh interval.
                model = pass.model().get();
                loadedVersion = pass.version().get();
            }
            if (bootstrap.isPresent()) {
                Optional<String> retrained = bootstrap.get().retrainIfDue();
                if (retrained.isPresent()) {
                    model = bootstrap.get().load(retrained.get());
                    loadedVersion = retrained.get();
                }
            }
        } catch (IOException | MongoException | IllegalStateException e) {
            LOGGER.warn("Cannot apply operator reports to the predictive model now ({}); they stay pending", e.getMessage());
        } catch (RuntimeException e) {
            LOGGER.error("Unexpected error applying operator reports to the predictive model", e);
        }
    }

    /** Operator reports still pending after the last learning pass (0 for a model that does not learn). */
    public long pendingReports() {
        return pendingReports;
    }

    public Optional<PredictiveModel> current() {
        return Optional.ofNullable(model);
    }

    /** Reloads when the source changed; also what the background thread runs. */
    public void refresh() throws IOException {
        Optional<String> version = source.version();
        if (version.isEmpty() || version.get().equals(loadedVersion)) {
            return;
        }
        PredictiveModel loaded = source.load(version.get());
        model = loaded;
        loadedVersion = version.get();
        LOGGER.info("Loaded predictive model {} ({} spam / {} ham, trained {}, threshold {})", version.get(),
            loaded.spamCount(), loaded.hamCount(), loaded.trainedAt(), loaded.threshold());
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (IOException | MongoException | IllegalStateException e) {
            LOGGER.warn("Cannot load the predictive model ({}); {}", e.getMessage(),
                model == null ? "no predictive verdicts until it loads" : "keeping the loaded one");
        } catch (RuntimeException e) {
            LOGGER.error("Unexpected error loading the predictive model", e);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        source.close();
    }
}
