package org.jamesshaping.filter.predictive;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import javax.mail.MessagingException;

import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.MessageContent;

/**
 * Training reports read into training examples, one message in memory at a time: what a full training on reports
 * reads (a server's first model and its later trainings, {@code filter retrain --from-reports}). Keeps the ids of
 * the pending ones, which the saved model's pointer lists, and when the newest one was reported.
 */
public final class ReportExamples {
    private final ContentExtractor extractor;
    private final FeatureExtractor features;
    private final List<ModelTrainer.Example> list = new ArrayList<>();
    private final List<String> pendingIds = new ArrayList<>();
    private int spam;
    private int unreadable;
    private Instant newest = Instant.EPOCH;

    public ReportExamples(ContentExtractor extractor, FeatureExtractor features) {
        this.extractor = extractor;
        this.features = features;
    }

    /** Every report that can be learned (pending and applied), oldest first. */
    public static ReportExamples allKept(TrainingReports reports, ContentExtractor extractor, FeatureExtractor features) {
        ReportExamples examples = new ReportExamples(extractor, features);
        reports.forEachLearnable(examples::add);
        return examples;
    }

    /** Adds one report's message; an unreadable one is counted and skipped (the learner sets those aside). */
    public void add(TrainingReports.Report report, byte[] raw) {
        try {
            MessageContent content = extractor.extract(raw);
            list.add(new ModelTrainer.Example(features.features(content), report.spam(), MessageDates.sentAt(content).orElse(null)));
        } catch (MessagingException | RuntimeException e) {
            unreadable++;
            return;
        }
        spam += report.spam() ? 1 : 0;
        if (report.state() == TrainingReports.State.PENDING) {
            pendingIds.add(report.id());
        }
        if (report.reportedAt().isAfter(newest)) {
            newest = report.reportedAt();
        }
    }

    public List<ModelTrainer.Example> list() {
        return list;
    }

    /** The pending reports read: a model trained on them lists them, and they are then marked applied. */
    public List<String> pendingIds() {
        return pendingIds;
    }

    public int spam() {
        return spam;
    }

    public int ham() {
        return list.size() - spam;
    }

    public int unreadable() {
        return unreadable;
    }

    /** When the newest report read was reported ({@link Instant#EPOCH} for none). */
    public Instant newest() {
        return newest;
    }
}
