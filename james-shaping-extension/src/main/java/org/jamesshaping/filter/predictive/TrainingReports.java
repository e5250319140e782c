package org.jamesshaping.filter.predictive;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiConsumer;

import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Binary;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndDeleteOptions;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;

/**
 * The {@code training_reports} collection: messages operators reported as spam or ham, kept raw (features are
 * extracted when they are learned, with the model's own extractor) until the predictive model has learned them.
 * <pre>
 * { _id: "sha256(message):spam", label: "spam", source: "operator", state: "pending|applied|rejected",
 *   reports: 2, size: 5121, raw: BinData, reportedAt: ISODate, appliedIn: "model version", appliedAt: ISODate,
 *   error: "why it was rejected" }
 * </pre>
 * The id is the message's digest with the label, so the same message reported twice is one report (counted
 * twice), while a message reported as spam and later as ham is two.
 *
 * <p>Bounded: at most {@link #MAX_REPORTS_PER_SOURCE} reports per source and {@link #MAX_REPORTS} in all. A new
 * report over a bound takes the place of the oldest one already learned (or set aside); when all are still pending
 * it is refused, so a flood of reports can neither grow the collection nor push out what has not been learned;
 * except that a report of the kind its source has fewer of waiting takes the place of the oldest waiting one of the
 * other kind: while no model exists nothing is learned, and a bound full of ham would refuse forever the spam the
 * first model needs.</p>
 */
public final class TrainingReports {
    public static final String COLLECTION = "training_reports";
    /** Larger messages are refused: MongoDB documents stop at 16 MB, and the filters read far less of a message. */
    public static final int MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
    /** Reports kept per source ({@code operator}, {@code spamtrap}, ...): one source cannot crowd out the others. */
    public static final int MAX_REPORTS_PER_SOURCE = 2_000;
    /** Reports kept in all; a learner pass reads at most {@code ReportLearner.DEFAULT_BATCH} of them, one at a time. */
    public static final int MAX_REPORTS = 4_000;
    /** The source of operators' own reports (WebAdmin and the command line), as {@code SpamSignature.Source} stores it. */
    public static final String OPERATOR_SOURCE = "operator";
    private static final Bson LEARNABLE = Filters.in("state", State.PENDING.stored(), State.APPLIED.stored());
    private static final Bson PENDING = Filters.eq("state", State.PENDING.stored());

    /** Where a report is in its life. */
    public enum State {
        PENDING, APPLIED, REJECTED;

        public String stored() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static State fromStored(String value) {
            return valueOf(value.toUpperCase(Locale.ROOT));
        }
    }

    /** One report, without its message ({@link TrainingReports#message} reads it). */
    public static final class Report {
        private final String id;
        private final boolean spam;
        private final String source;
        private final State state;
        private final long reports;
        private final int size;
        private final Instant reportedAt;
        private final Optional<String> appliedIn;
        private final Optional<String> error;

        Report(Document document) {
            this.id = document.getString("_id");
            this.spam = "spam".equals(document.getString("label"));
            this.source = document.getString("source");
            this.state = State.fromStored(document.getString("state"));
            Number count = document.get("reports", Number.class);
            this.reports = count == null ? 1 : count.longValue();
            this.size = document.getInteger("size", 0);
            this.reportedAt = document.getDate("reportedAt").toInstant();
            this.appliedIn = Optional.ofNullable(document.getString("appliedIn"));
            this.error = Optional.ofNullable(document.getString("error"));
        }

        public String id() {
            return id;
        }

        public boolean spam() {
            return spam;
        }

        public String label() {
            return spam ? "spam" : "ham";
        }

        public String source() {
            return source;
        }

        public State state() {
            return state;
        }

        public long reports() {
            return reports;
        }

        public int size() {
            return size;
        }

        public Instant reportedAt() {
            return reportedAt;
        }

        public Optional<String> appliedIn() {
            return appliedIn;
        }

        public Optional<String> error() {
            return error;
        }
    }

    private final MongoCollection<Document> collection;
    private final int maxReportsPerSource;
    private final int maxReports;

    public TrainingReports(MongoCollection<Document> collection) {
        this(collection, MAX_REPORTS_PER_SOURCE, MAX_REPORTS);
    }

    TrainingReports(MongoCollection<Document> collection, int maxReportsPerSource, int maxReports) {
        this.collection = collection;
        this.maxReportsPerSource = maxReportsPerSource;
        this.maxReports = maxReports;
    }

    public void createIndexes() {
        collection.createIndex(Indexes.ascending("state", "reportedAt"), new IndexOptions().name("state_reportedAt"));
        collection.createIndex(Indexes.ascending("source", "state", "reportedAt"), new IndexOptions().name("source_state_reportedAt"));
    }

    /**
     * Records a report, or counts one more of the same message with the same label. A message that was already
     * learned stays learned: reporting it again does not teach it twice.
     */
    public Report add(byte[] raw, boolean spam, String source, Instant now) {
        Optional<String> refusal = refusal(raw);
        String id = id(raw, spam);
        refusal = refusal.isPresent() ? refusal : full(id, source);
        if (refusal.isPresent()) {
            throw new IllegalArgumentException(refusal.get());
        }
        String label = spam ? "spam" : "ham";
        Document stored = collection.findOneAndUpdate(Filters.eq("_id", id),
            Updates.combine(
                Updates.setOnInsert("label", label),
                Updates.setOnInsert("source", source),
                Updates.setOnInsert("state", State.PENDING.stored()),
                Updates.setOnInsert("size", raw.length),
                Updates.setOnInsert("raw", new Binary(raw)),
                Updates.setOnInsert("reportedAt", Date.from(now)),
                Updates.inc("reports", 1L)),
            new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER).projection(Projections.exclude("raw")));
        return new Report(stored);
    }

    /** Why {@link #add} would refuse this message (empty, or over {@link #MAX_MESSAGE_BYTES}); empty when it would keep it. */
    public static Optional<String> refusal(byte[] raw) {
        if (raw.length == 0) {
            return Optional.of("the reported message is empty");
        }
        if (raw.length > MAX_MESSAGE_BYTES) {
            return Optional.of("the reported message has " + raw.length + " bytes; at most " + MAX_MESSAGE_BYTES + " are accepted");
        }
        return Optional.empty();
    }

    /**
     * Why a new report of this message from this source cannot be kept (every report in its bound still waits to
     * be learned); empty when it can, having made room if needed by deleting the oldest learned or set-aside reports.
     * Reporting a message already kept is always possible: it only counts one more.
     */
    public Optional<String> full(byte[] raw, boolean spam, String source) {
        return full(id(raw, spam), source);
    }

    private Optional<String> full(String id, String source) {
        if (collection.countDocuments(Filters.eq("_id", id)) > 0) {
            return Optional.empty();
        }
        boolean spam = id.endsWith(":spam");
        if (!makeRoom(Filters.eq("source", source), maxReportsPerSource, source, spam)) {
            return Optional.of("the " + maxReportsPerSource + " reports kept from source '" + source
                + "' all wait to be learned; report again once the predictive model has learned them");
        }
        if (!makeRoom(new Document(), maxReports, source, spam)) {
            return Optional.of("the " + maxReports + " reports kept all wait to be learned; report again once the predictive model has learned them");
        }
        return Optional.empty();
    }

    /**
     * Deletes the oldest finished reports among {@code scope} until one more fits under {@code bound}; when all of
     * them wait, the oldest waiting report of the other kind from {@code source}, if it has more of those waiting.
     */
    private boolean makeRoom(Bson scope, int bound, String source, boolean spam) {
        long excess = collection.countDocuments(scope) - bound + 1;
        while (excess > 0) {
            Document oldest = collection.findOneAndDelete(Filters.and(scope, Filters.ne("state", State.PENDING.stored())),
                new FindOneAndDeleteOptions().sort(Sorts.ascending("reportedAt", "_id")).projection(Projections.include("_id")));
            if (oldest == null && (oldest = oldestWaitingOfTheOtherKind(source, spam)) == null) {
                return false;
            }
            excess--;
        }
        return true;
    }

    /** Deletes and returns the oldest pending report of the other kind from {@code source} if it has more of them pending. */
    private Document oldestWaitingOfTheOtherKind(String source, boolean spam) {
        Bson waiting = Filters.and(Filters.eq("source", source), Filters.eq("state", State.PENDING.stored()));
        Bson otherKind = Filters.and(waiting, Filters.eq("label", spam ? "ham" : "spam"));
        if (collection.countDocuments(Filters.and(waiting, Filters.eq("label", spam ? "spam" : "ham"))) >= collection.countDocuments(otherKind)) {
            return null;
        }
        return collection.findOneAndDelete(otherKind,
            new FindOneAndDeleteOptions().sort(Sorts.ascending("reportedAt", "_id")).projection(Projections.include("_id")));
    }

    private static String id(byte[] raw, boolean spam) {
        return digest(raw) + ":" + (spam ? "spam" : "ham");
    }

    /** Pending reports, oldest first, without their messages: {@link #message} reads each one when it is learned. */
    public List<Report> pending(int limit) {
        return pendingMatching(PENDING, limit);
    }

    /** Pending reports from one source, oldest first, without their messages. */
    public List<Report> pendingFrom(String source, int limit) {
        return pendingMatching(Filters.and(PENDING, Filters.eq("source", source)), limit);
    }

    /** Pending reports of one label, oldest first, without their messages. */
    public List<Report> pending(boolean spam, int limit) {
        return pendingMatching(Filters.and(PENDING, Filters.eq("label", spam ? "spam" : "ham")), limit);
    }

    private List<Report> pendingMatching(Bson filter, int limit) {
        List<Report> result = new ArrayList<>();
        for (Document document : collection.find(filter).projection(Projections.exclude("raw")).sort(Sorts.ascending("reportedAt", "_id"))
                .limit(limit)) {
            result.add(new Report(document));
        }
        return result;
    }

    /** Whether any report waits to be learned (reads one id, no message). */
    public boolean hasPending() {
        return collection.find(Filters.eq("state", State.PENDING.stored())).projection(Projections.include("_id")).limit(1).first() != null;
    }

    /** The message of a report still pending; empty when it was learned, set aside or deleted meanwhile. */
    public Optional<byte[]> message(String id) {
        Document document = collection.find(Filters.and(Filters.eq("_id", id), Filters.eq("state", State.PENDING.stored())))
            .projection(Projections.include("raw")).first();
        Binary binary = document == null ? null : document.get("raw", Binary.class);
        return Optional.ofNullable(binary).map(Binary::getData);
    }

    /**
     * Every report that can be learned (pending or applied, not rejected), with its message, oldest first, one at a
     * time: a new model is trained on all of them without holding their messages together in memory.
     */
    public void forEachLearnable(BiConsumer<Report, byte[]> action) {
        for (Document document : collection.find(LEARNABLE).sort(Sorts.ascending("reportedAt", "_id")).batchSize(50)) {
            Binary raw = document.get("raw", Binary.class);
            if (raw != null) {
                action.accept(new Report(document), raw.getData());
            }
        }
    }

    /** Reports that can be learned (pending or applied) reported after {@code instant}: a count, no message read. */
    public long countLearnableReportedAfter(Instant instant) {
        return collection.countDocuments(Filters.and(LEARNABLE, Filters.gt("reportedAt", Date.from(instant))));
    }

    /** Reports of one label that can be learned: a count, no message read. */
    public long countLearnable(boolean spam) {
        return collection.countDocuments(Filters.and(LEARNABLE, Filters.eq("label", spam ? "spam" : "ham")));
    }

    /** The most recent reports in a state (or all states), without their messages. */
    public List<Report> list(Optional<State> state, int limit) {
        List<Report> result = new ArrayList<>();
        for (Document document : collection.find(state.map(s -> Filters.eq("state", s.stored())).orElse(new Document()))
                .projection(Projections.exclude("raw")).sort(Sorts.descending("reportedAt", "_id")).limit(limit)) {
            result.add(new Report(document));
        }
        return result;
    }

    public long count(State state) {
        return collection.countDocuments(Filters.eq("state", state.stored()));
    }

    /** Marks reports as learned by a model version; only those still pending change. Returns how many did. */
    public long markApplied(Collection<String> ids, String version, Instant now) {
        if (ids.isEmpty()) {
            return 0;
        }
        return collection.updateMany(Filters.and(Filters.in("_id", ids), Filters.eq("state", State.PENDING.stored())),
            Updates.combine(Updates.set("state", State.APPLIED.stored()), Updates.set("appliedIn", version),
                Updates.set("appliedAt", Date.from(now)))).getModifiedCount();
    }

    /** A report that can never be learned (not a readable message): kept, with why, and not retried. */
    public void reject(String id, String error, Instant now) {
        collection.updateOne(Filters.and(Filters.eq("_id", id), Filters.eq("state", State.PENDING.stored())),
            Updates.combine(Updates.set("state", State.REJECTED.stored()), Updates.set("error", error),
                Updates.set("appliedAt", Date.from(now))));
    }

    static String digest(byte[] raw) {
        try {
            StringBuilder hex = new StringBuilder(64);
            for (byte b : MessageDigest.getInstance("SHA-256").digest(raw)) {
                hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
