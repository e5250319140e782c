package org.jamesshaping.filter.predictive;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.mail.MessagingException;

import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.MessageContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fresh install's first model: while no model exists, once the pending training reports (operator reports and
 * autolearned mail) hold at least {@value #MIN_PER_CLASS} spam and {@value #MIN_PER_CLASS} ham, a model is trained
 * on them (the oldest of each kind, at most {@value #MAX_REPORTS} in all; {@link ModelTrainer#defaults()}, threshold tuned as
 * {@code filter train} tunes it) and saved as the first
 * version, unless a model appeared meanwhile. Its pointer lists the reports, so {@link ReportLearner} marks them
 * applied instead of learning them again. Until then the filter says {@code not-run; reason=no-model}.
 */
public final class ModelBootstrap {
    /** Fewer examples of a kind than this make a model that flags at random: the filter waits. */
    public static final int MIN_PER_CLASS = 50;
    /** Reports read for the first model at most: the oldest of each kind, half of them each when both have as many. */
    public static final int MAX_REPORTS = 1_000;
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
        FeatureExtractor features = new FeatureExtractor(trainer.dimensionBits());
        List<ModelTrainer.Example> examples = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (TrainingReports.Report report : pending) {
            // One reported message in memory at a time; one learned or deleted meanwhile is skipped.
            Optional<byte[]> raw = reports.message(report.id());
            if (raw.isEmpty()) {
                continue;
            }
            try {
                MessageContent content = extractor.extract(raw.get());
                examples.add(new ModelTrainer.Example(features.features(content), report.spam(), MessageDates.sentAt(content).orElse(null)));
                ids.add(report.id());
            } catch (MessagingException | RuntimeException e) {
                // ReportLearner sets unreadable reports aside once a model exists.
            }
        }
        double threshold = trainer.tune(examples, ModelTrainer.DEFAULT_TARGET_FALSE_POSITIVE_RATE, ModelTrainer.DEFAULT_THRESHOLD_MARGIN)
            .map(ModelTrainer.Tuning::threshold).orElse(PredictiveModel.DEFAULT_THRESHOLD);
        PredictiveModel model = trainer.train(examples, threshold);
        Optional<String> version = models.saveFirst(model, ids, clock.instant());
        if (version.isPresent()) {
            LOGGER.info("First predictive model trained on {} reported spam and {} ham (threshold {}): version {}", model.spamCount(),
                model.hamCount(), String.format(java.util.Locale.ROOT, "%.4f", threshold), version.get());
        }
        return version;
    }

    /** Loads a version this bootstrap saved (for the server that saved it). */
    PredictiveModel load(String version) throws IOException {
        return models.load(version);
    }
}
