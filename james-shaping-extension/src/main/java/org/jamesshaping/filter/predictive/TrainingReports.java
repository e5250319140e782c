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
import java.util.function.Consumer;

import org.bson.Document;
import org.bson.types.Binary;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
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
 */
public final class TrainingReports {
    public static final String COLLECTION = "training_reports";
    /** Larger messages are refused: MongoDB documents stop at 16 MB, and the filters read far less of a message. */
    public static final int MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

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

    /** One report; {@link #raw()} is only filled when asked for. */
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
        private final byte[] raw;

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
            Binary binary = document.get("raw", Binary.class);
            this.raw = binary == null ? null : binary.getData();
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

        public byte[] raw() {
            if (raw == null) {
                throw new IllegalStateException("report " + id + " was read without its message");
            }
            return raw;
        }
    }

    private final MongoCollection<Document> collection;

    public TrainingReports(MongoCollection<Document> collection) {
        this.collection = collection;
    }

    public void createIndexes() {
        collection.createIndex(Indexes.ascending("state", "reportedAt"), new IndexOptions().name("state_reportedAt"));
    }

    /**
     * Records a report, or counts one more of the same message with the same label. A message that was already
     * learned stays learned: reporting it again does not teach it twice.
     */
    public Report add(byte[] raw, boolean spam, String source, Instant now) {
        Optional<String> refusal = refusal(raw);
        if (refusal.isPresent()) {
            throw new IllegalArgumentException(refusal.get());
        }
        String label = spam ? "spam" : "ham";
        Document stored = collection.findOneAndUpdate(Filters.eq("_id", digest(raw) + ":" + label),
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

    /** Pending reports, oldest first, with their messages. */
    public List<Report> pending(int limit) {
        List<Report> result = new ArrayList<>();
        for (Document document : collection.find(Filters.eq("state", State.PENDING.stored()))
                .sort(Sorts.ascending("reportedAt", "_id")).limit(limit)) {
            result.add(new Report(document));
        }
        return result;
    }

    /**
     * Every report that can be learned (pending or applied, not rejected), with its message, oldest first, one at a
     * time: a new model is trained on all of them without holding their messages together in memory.
     */
    public void forEachLearnable(Consumer<Report> action) {
        for (Document document : collection.find(Filters.in("state", State.PENDING.stored(), State.APPLIED.stored()))
                .sort(Sorts.ascending("reportedAt", "_id")).batchSize(50)) {
            action.accept(new Report(document));
        }
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
