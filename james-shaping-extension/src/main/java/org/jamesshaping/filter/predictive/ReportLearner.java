package org.jamesshaping.filter.predictive;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.mail.MessagingException;

import org.jamesshaping.filter.content.ContentExtractor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies pending operator reports ({@link TrainingReports}) to the shared predictive model: loads the current
 * version, lets the {@link IncrementalLearner} learn the reported messages in the order they came, and saves the
 * result as a new version if no other server or training replaced the model meanwhile (then the reports stay
 * pending and the next pass learns them on top of the newer model). Run by every server whose predictive filter
 * uses the shared model, every {@code learnInterval}, and by {@code ./james-shaping filter learn}.
 *
 * <p>Reports wait while there is no model yet: there is nothing to correct before {@code filter train} ran, and
 * while a server trains the model again ({@link ModelBootstrap#retrainIfDue}). Into a model a server trained from
 * the reports, only operators' reports are learned one by one; the others wait for its next full training.</p>
 */
public final class ReportLearner {
    private static final Logger LOGGER = LoggerFactory.getLogger(ReportLearner.class);
    /** Reports learned per pass; the rest wait for the next pass, so one pass holds at most this many messages. */
    public static final int DEFAULT_BATCH = 200;

    /** What a pass did. */
    public static final class Pass {
        public enum Result { NOTHING_PENDING, NO_MODEL, LEARNED, MODEL_REPLACED_MEANWHILE, TRAINING_UNDER_WAY }

        private final Result result;
        private final int learned;
        private final int changed;
        private final int rejected;
        private final Optional<String> version;
        private final Optional<PredictiveModel> model;

        Pass(Result result, int learned, int changed, int rejected, Optional<String> version) {
            this(result, learned, changed, rejected, version, Optional.empty());
        }

        Pass(Result result, int learned, int changed, int rejected, Optional<String> version, Optional<PredictiveModel> model) {
            this.result = result;
            this.learned = learned;
            this.changed = changed;
            this.rejected = rejected;
            this.version = version;
            this.model = model;
        }

        public Result result() {
            return result;
        }

        /** Reports now applied (including those the model already judged right). */
        public int learned() {
            return learned;
        }

        /** Of those, the reports that changed weights. */
        public int changed() {
            return changed;
        }

        /** Reports that are not readable messages, set aside. */
        public int rejected() {
            return rejected;
        }

        /** The new model version, when one was saved. */
        public Optional<String> version() {
            return version;
        }

        /** The model saved as {@link #version()}: a server can use it without reading it back. */
        public Optional<PredictiveModel> model() {
            return model;
        }

        @Override
        public String toString() {
            return result + ": " + learned + " learned (" + changed + " changed the model), " + rejected + " rejected"
                + version.map(v -> ", model " + v).orElse("");
        }
    }

    private final PredictiveModelStore models;
    private final TrainingReports reports;
    private final IncrementalLearner learner;
    private final ContentExtractor extractor;
    private final Clock clock;
    private final int batch;

    public ReportLearner(PredictiveModelStore models, TrainingReports reports, IncrementalLearner learner,
                         ContentExtractor extractor, Clock clock, int batch) {
        this.models = models;
        this.reports = reports;
        this.learner = learner;
        this.extractor = extractor;
        this.clock = clock;
        this.batch = batch;
    }

    /** Reports not learned yet (a count in MongoDB). */
    public long pendingReports() {
        return reports.count(TrainingReports.State.PENDING);
    }

    /** One pass over at most one batch of pending reports. */
    public Pass learnPending() throws IOException {
        return learnPending(version -> Optional.empty());
    }

    /**
     * As {@link #learnPending()}, starting from {@code inMemory.apply(version)} when the caller already holds the
     * current version (a server's loaded model), instead of reading it from MongoDB again.
     */
    public Pass learnPending(java.util.function.Function<String, Optional<PredictiveModel>> inMemory) throws IOException {
        Optional<PredictiveModelStore.Pointer> pointer = models.current();
        if (pointer.isEmpty()) {
            // Nothing to learn into: no report is read, only whether one waits.
            return new Pass(reports.hasPending() ? Pass.Result.NO_MODEL : Pass.Result.NOTHING_PENDING, 0, 0, 0, Optional.empty());
        }
        // A learner that saved this version may have stopped before marking its reports: finish its work.
        reports.markApplied(pointer.get().reports(), pointer.get().version(), clock.instant());
        if (pointer.get().trainingUnderWay(clock.instant()).isPresent()) {
            // A server is training the model again: what waits goes into its model or is learned on top of it.
            return new Pass(Pass.Result.TRAINING_UNDER_WAY, 0, 0, 0, Optional.empty());
        }
        // A model a server trained from the kept reports takes machine-made reports (autolearn, spamtraps) only
        // through its next full training: one by one, spam that the first model's capped threshold leaves below it
        // pulls the tokens all mail shares towards spam, and flags half the ham after a few dozen updates.
        List<TrainingReports.Report> pending = pointer.get().trainedFromReports()
            ? reports.pendingFrom(TrainingReports.OPERATOR_SOURCE, batch) : reports.pending(batch);
        if (pending.isEmpty()) {
            return new Pass(Pass.Result.NOTHING_PENDING, 0, 0, 0, Optional.empty());
        }
        String base = pointer.get().version();
        Optional<PredictiveModel> held = inMemory.apply(base);
        PredictiveModel model = held.isPresent() ? held.get() : models.load(base);
        FeatureExtractor features = model.featureExtractor();
        List<ModelTrainer.Example> examples = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        int rejected = 0;
        for (TrainingReports.Report report : pending) {
            // One message in memory at a time: only its features are kept.
            Optional<byte[]> raw = reports.message(report.id());
            if (raw.isEmpty()) {
                continue;
            }
            try {
                examples.add(new ModelTrainer.Example(features.features(extractor.extract(raw.get())), report.spam()));
                ids.add(report.id());
            } catch (MessagingException | RuntimeException e) {
                reports.reject(report.id(), "not a readable message: " + e.getMessage(), clock.instant());
                LOGGER.warn("Training report {} is not a readable message ({}); set aside", report.id(), e.getMessage());
                rejected++;
            }
        }
        if (examples.isEmpty()) {
            return new Pass(Pass.Result.LEARNED, 0, 0, rejected, Optional.empty());
        }
        IncrementalLearner.Outcome outcome = learner.learn(model, examples);
        Optional<String> version = models.saveLearned(outcome.model(), base, ids, clock.instant());
        if (version.isEmpty()) {
            LOGGER.info("The predictive model changed while learning {} reports; they stay pending for the next pass", ids.size());
            return new Pass(Pass.Result.MODEL_REPLACED_MEANWHILE, 0, 0, rejected, Optional.empty());
        }
        reports.markApplied(ids, version.get(), clock.instant());
        Pass pass = new Pass(Pass.Result.LEARNED, ids.size(), outcome.changed(), rejected, version, Optional.of(outcome.model()));
        LOGGER.info("Predictive model learned {} reports ({} changed it, {} were already judged right): version {}",
            ids.size(), outcome.changed(), outcome.alreadyRight(), version.get());
        return pass;
    }
}
