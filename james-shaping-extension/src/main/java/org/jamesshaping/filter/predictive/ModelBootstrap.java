package org.jamesshaping.filter.predictive;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.jamesshaping.filter.content.ContentExtractor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fresh install's first model: while no model exists, once the pending training reports (operator reports and
 * autolearned mail) hold at least {@value #MIN_PER_CLASS} spam and {@value #MIN_PER_CLASS} ham, a model is trained
 * on them (the oldest of each kind, at most {@value #MAX_REPORTS} in all; {@link ModelTrainer#defaults()}, threshold tuned as
 * {@code filter train} tunes it) and saved as the first
 * version, unless a model appeared meanwhile. Its pointer lists the reports, so {@link ReportLearner} marks them
 * applied instead of learning them again. Until then the filter says {@code not-run; reason=no-model}.
 *
 * <p>Such a model is then trained again, in full, on every kept report (pending and applied, at most
 * {@link TrainingReports#MAX_REPORTS}) each time new reports reach one {@value #RETRAIN_AFTER_ONE_IN}th of what its
 * last training read, at least {@value #RETRAIN_AFTER_AT_LEAST}; only operators' reports are learned one by one in
 * between ({@link ReportLearner}). A first model trained on a few hundred examples sets its threshold badly, and
 * autolearned spam learned one by one would pull the tokens all mail shares towards spam; a full training weighs them
 * all and tunes the threshold again. A model an operator trained is never retrained. The
 * training leases the model ({@link PredictiveModelStore#leaseTraining}) so that no server's learning pass replaces
 * it meanwhile.</p>
 */
public final class ModelBootstrap {
    /** Fewer examples of a kind than this make a model that flags at random: the filter waits. */
    public static final int MIN_PER_CLASS = 50;
    /** Reports read for the first model at most: the oldest of each kind, half of them each when both have as many. */
    public static final int MAX_REPORTS = 1_000;
    /** A server-trained model is due for a full training once new reports reach this fraction of what its last one
     *  read: autolearned reports wait for it, so few may wait (a training on the 4,000 kept reports takes seconds). */
    public static final int RETRAIN_AFTER_ONE_IN = 8;
    /** ... and at least this many: a training on a few new reports would only cost CPU. */
    public static final int RETRAIN_AFTER_AT_LEAST = 2 * MIN_PER_CLASS;
    private static final Logger LOGGER = LoggerFactory.getLogger(ModelBootstrap.class);

    private final PredictiveModelStore models;
    private final TrainingReports reports;
    private final ContentExtractor extractor;
    private final ModelTrainer trainer;
    private final Clock clock;

    public ModelBootstrap(PredictiveModelStore models, TrainingReports reports, ContentExtractor extractor, ModelTrainer trainer,
                          Clock clock) {
        this.models = models;
        this.reports = reports;
        this.extractor = extractor;
        this.trainer = trainer;
        this.clock = clock;
    }

    /** The version of the first model when this call saved one; empty when a model exists or examples are too few. */
    public Optional<String> trainIfEnough() {
        if (models.current().isPresent()) {
            return Optional.empty();
        }
        // Each kind read on its own: the oldest reports of a fresh install are often all of one kind (users' mail
        // learned as ham for days before a trap gets its first spam), and the oldest MAX_REPORTS alone could then
        // never hold MIN_PER_CLASS of the other, however many wait behind them.
        List<TrainingReports.Report> pendingSpam = reports.pending(true, MAX_REPORTS);
        List<TrainingReports.Report> pendingHam = reports.pending(false, MAX_REPORTS);
        if (pendingSpam.size() < MIN_PER_CLASS || pendingHam.size() < MIN_PER_CLASS) {
            LOGGER.debug("No predictive model yet: {} spam and {} ham reported, {} of each needed", pendingSpam.size(), pendingHam.size(),
                MIN_PER_CLASS);
            return Optional.empty();
        }
        // At most MAX_REPORTS in all: the oldest half of the bound of each kind, more of one when the other has fewer.
        int spam = Math.min(pendingSpam.size(), Math.max(MAX_REPORTS / 2, MAX_REPORTS - pendingHam.size()));
        List<TrainingReports.Report> pending = new ArrayList<>(pendingSpam.subList(0, spam));
        pending.addAll(pendingHam.subList(0, Math.min(pendingHam.size(), MAX_REPORTS - spam)));
        ReportExamples examples = new ReportExamples(extractor, new FeatureExtractor(trainer.dimensionBits()));
        for (TrainingReports.Report report : pending) {
            // One reported message in memory at a time; one learned or deleted meanwhile is skipped.
            reports.message(report.id()).ifPresent(raw -> examples.add(report, raw));
        }
        PredictiveModel model = train(examples);
        Optional<String> version = models.saveFirst(model, examples.pendingIds(), examples.newest(), clock.instant());
        if (version.isPresent()) {
            LOGGER.info("First predictive model trained on {} reported spam and {} ham (threshold {}): version {}", model.spamCount(),
                model.hamCount(), String.format(java.util.Locale.ROOT, "%.4f", model.threshold()), version.get());
        }
        return version;
    }

    /**
     * The version of a model trained again on every kept report, when the current model is a server's (trained from
     * reports, never an operator's) and enough reports came since its last training; empty otherwise, or when the
     * model changed meanwhile (then the next pass looks again).
     */
    public Optional<String> retrainIfDue() {
        Optional<PredictiveModelStore.Pointer> current = models.current();
        if (current.isEmpty() || !current.get().trainedFromReports()) {
            return Optional.empty();
        }
        PredictiveModelStore.Pointer base = current.get();
        long newer = reports.countLearnableReportedAfter(base.trainedThrough().orElse(Instant.EPOCH));
        // Counted before any message is read: a store short of one kind would otherwise be read whole every pass.
        if (newer < retrainAfter(base.trainedOn()) || reports.countLearnable(true) < MIN_PER_CLASS
                || reports.countLearnable(false) < MIN_PER_CLASS) {
            return Optional.empty();
        }
        String lease = UUID.randomUUID().toString();
        if (!models.leaseTraining(base.version(), lease, clock.instant())) {
            return Optional.empty();
        }
        try {
            return trainAgain(base, newer);
        } finally {
            // Nothing left to release once the new version replaced the pointer, which held the lease.
            models.releaseTraining(lease);
        }
    }

    private Optional<String> trainAgain(PredictiveModelStore.Pointer base, long newer) {
        ReportExamples examples = ReportExamples.allKept(reports, extractor, new FeatureExtractor(trainer.dimensionBits()));
        if (examples.spam() < MIN_PER_CLASS || examples.ham() < MIN_PER_CLASS) {
            return Optional.empty();
        }
        PredictiveModel model = train(examples);
        Optional<String> version = models.saveRetrained(model, base.version(), examples.pendingIds(), examples.list().size(),
            examples.newest(), clock.instant());
        if (version.isEmpty()) {
            LOGGER.info("The predictive model changed while it was being trained again on the kept reports; the next pass looks again");
            return version;
        }
        reports.markApplied(examples.pendingIds(), version.get(), clock.instant());
        LOGGER.info("Predictive model trained again on the {} kept reports ({} spam, {} ham; {} reported since its last training on {}), "
                + "threshold {}: version {}", examples.list().size(), model.spamCount(), model.hamCount(), newer, base.trainedOn(),
            String.format(java.util.Locale.ROOT, "%.4f", model.threshold()), version.get());
        return version;
    }

    /** New reports after which a model trained on {@code trainedOn} reports is trained again. */
    static long retrainAfter(int trainedOn) {
        return Math.max(RETRAIN_AFTER_AT_LEAST, trainedOn / RETRAIN_AFTER_ONE_IN);
    }

    private PredictiveModel train(ReportExamples examples) {
        double threshold = trainer.tune(examples.list(), ModelTrainer.DEFAULT_TARGET_FALSE_POSITIVE_RATE, ModelTrainer.DEFAULT_THRESHOLD_MARGIN)
            .map(ModelTrainer.Tuning::threshold).orElse(PredictiveModel.DEFAULT_THRESHOLD);
        return trainer.train(examples.list(), threshold);
    }

    /** Loads a version this bootstrap saved (for the server that saved it). */
    PredictiveModel load(String version) throws IOException {
        return models.load(version);
    }
}
