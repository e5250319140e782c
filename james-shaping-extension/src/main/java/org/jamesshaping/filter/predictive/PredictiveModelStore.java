package org.jamesshaping.filter.predictive;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Binary;

import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;

/**
 * The {@code predictive_model} collection: the serialised model ({@link ModelCodec}) cut into chunk documents
 * well under MongoDB's 16 MB limit, plus one pointer document naming the current version:
 * <pre>
 * { _id: "current", version: "uuid", chunks: 2, trainedAt: ISODate, updatedAt: ISODate,
 *   learnedFrom: "previous uuid", reports: ["report id", ...],
 *   origin: "operator|reports", trainedOn: 1159, trainedThrough: ISODate,
 *   trainingBy: "server id", trainingUntil: ISODate }
 * { _id: "uuid:0", version: "uuid", n: 0, data: BinData }   ...
 * </pre>
 * A new model's chunks are written first and the pointer last, so readers see either the old model or the whole
 * new one. The previous version is kept for readers still loading it; older ones are deleted.
 *
 * <p>A model that learned operator reports ({@link #saveLearned}) replaces the pointer only if it still names the
 * version the learning started from (a compare-and-set, atomic in MongoDB), so two servers learning at once cannot
 * lose each other's reports: the second finds the pointer moved and tries again from the new model. The pointer
 * lists the reports the current version learned, so a learner that stopped between the swap and marking its
 * reports applied is completed by the next one instead of teaching them twice.</p>
 *
 * <p>{@code origin} says who trained the model a version descends from: an operator ({@link #save}) or a server,
 * from the kept reports ({@link #saveFirst}, {@link #saveRetrained}); {@code trainedOn} and {@code trainedThrough}
 * are how many reports that training read and when the newest of them was reported. Learned versions inherit all
 * three, so a server never retrains a model an operator trained, however many reports it learned since.</p>
 *
 * <p>A server training a model again first leases the pointer ({@code trainingBy}, {@code trainingUntil},
 * {@link #TRAINING_LEASE}): while the lease runs, no learned version is saved (the reports stay pending and go into
 * the new model, or are learned on top of it), so in a fleet the other servers' learning passes cannot make the
 * minutes of a full training a waste. An operator's {@link #save} ignores the lease: it always wins.</p>
 */
public final class PredictiveModelStore {
    public static final String COLLECTION = "predictive_model";
    public static final int DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
    private static final String CURRENT = "current";
    private static final String ORIGIN = "origin";
    private static final String OPERATOR = "operator";
    private static final String FROM_REPORTS = "reports";
    private static final String TRAINED_ON = "trainedOn";
    private static final String TRAINED_THROUGH = "trainedThrough";
    private static final String TRAINING_BY = "trainingBy";
    private static final String TRAINING_UNTIL = "trainingUntil";
    /** How long a full training holds learned versions off: far longer than one takes; a server that stops mid-training
     *  holds them off that long at most. */
    public static final Duration TRAINING_LEASE = Duration.ofMinutes(5);

    private final MongoCollection<Document> collection;
    private final int chunkBytes;

    public PredictiveModelStore(MongoCollection<Document> collection) {
        this(collection, DEFAULT_CHUNK_BYTES);
    }

    public PredictiveModelStore(MongoCollection<Document> collection, int chunkBytes) {
        this.collection = collection;
        this.chunkBytes = chunkBytes;
    }

    /** What the pointer document says about the current model. */
    public static final class Pointer {
        private final String version;
        private final List<String> reports;
        private final boolean trainedFromReports;
        private final int trainedOn;
        private final Optional<Instant> trainedThrough;
        private final Optional<Instant> trainingUntil;

        Pointer(String version, List<String> reports, boolean trainedFromReports, int trainedOn, Optional<Instant> trainedThrough,
                Optional<Instant> trainingUntil) {
            this.version = version;
            this.reports = List.copyOf(reports);
            this.trainedFromReports = trainedFromReports;
            this.trainedOn = trainedOn;
            this.trainedThrough = trainedThrough;
            this.trainingUntil = trainingUntil;
        }

        /** Until when a server training the model again holds learned versions off, if one does at {@code now}. */
        public Optional<Instant> trainingUnderWay(Instant now) {
            return trainingUntil.filter(until -> until.isAfter(now));
        }

        /** Whether a server trained this model (or the one it learned from) on the kept reports, not an operator. */
        public boolean trainedFromReports() {
            return trainedFromReports;
        }

        /** How many reports that training read (0 for an operator's model). */
        public int trainedOn() {
            return trainedOn;
        }

        /** When the newest report that training read was reported. */
        public Optional<Instant> trainedThrough() {
            return trainedThrough;
        }

        public String version() {
            return version;
        }

        /** The reports this version learned on top of the one before it (empty for a trained model). */
        public List<String> reports() {
            return reports;
        }
    }

    /** Saves a model as the current one, whatever is current now (a newly trained model); returns its version. */
    public String save(PredictiveModel model, Instant now) {
        String version = UUID.randomUUID().toString();
        int chunks = writeChunks(model, version);
        Optional<String> previous = currentVersion();
        collection.replaceOne(Filters.eq("_id", CURRENT), pointer(model, version, chunks, now).append(ORIGIN, OPERATOR),
            new ReplaceOptions().upsert(true));
        deleteOlderThan(version, previous);
        return version;
    }

    /**
     * Saves a model that learned {@code reports} on top of {@code baseVersion}, if that is still the current
     * version; otherwise writes nothing that stays and returns empty.
     */
    public Optional<String> saveLearned(PredictiveModel model, String baseVersion, List<String> reports, Instant now) {
        Document base = collection.find(Filters.and(Filters.eq("_id", CURRENT), Filters.eq("version", baseVersion))).first();
        if (base == null) {
            return Optional.empty();
        }
        Document pointer = new Document("learnedFrom", baseVersion).append("reports", reports);
        for (String inherited : List.of(ORIGIN, TRAINED_ON, TRAINED_THROUGH)) {
            if (base.containsKey(inherited)) {
                pointer.append(inherited, base.get(inherited));
            }
        }
        // Refused while another server trains the model again, even to a pass that started before its lease.
        return replaceIfCurrent(model, Filters.and(Filters.eq("version", baseVersion), notLeased(now)), baseVersion, pointer, now);
    }

    /**
     * Leases the current version, if it is still {@code baseVersion} and no other training holds it, to
     * {@code holder} for {@link #TRAINING_LEASE}; false when it cannot.
     */
    public boolean leaseTraining(String baseVersion, String holder, Instant now) {
        return collection.updateOne(Filters.and(Filters.eq("_id", CURRENT), Filters.eq("version", baseVersion), notLeased(now)),
            Updates.combine(Updates.set(TRAINING_BY, holder), Updates.set(TRAINING_UNTIL, Date.from(now.plus(TRAINING_LEASE)))))
            .getMatchedCount() > 0;
    }

    /** Ends {@code holder}'s lease if it still holds one (a saved retrained version ends it by replacing the pointer). */
    public void releaseTraining(String holder) {
        collection.updateOne(Filters.and(Filters.eq("_id", CURRENT), Filters.eq(TRAINING_BY, holder)),
            Updates.combine(Updates.unset(TRAINING_BY), Updates.unset(TRAINING_UNTIL)));
    }

    private static Bson notLeased(Instant now) {
        return Filters.or(Filters.exists(TRAINING_UNTIL, false), Filters.lte(TRAINING_UNTIL, Date.from(now)));
    }

    /**
     * Saves a model a server trained anew on {@code trainedOn} kept reports, the newest reported at
     * {@code trainedThrough}, in place of {@code baseVersion} if that is still current (so an operator's model saved
     * meanwhile stays); {@code reports} are those of them still pending, which the pointer lists as
     * {@link #saveLearned} does.
     */
    public Optional<String> saveRetrained(PredictiveModel model, String baseVersion, List<String> reports, int trainedOn,
                                          Instant trainedThrough, Instant now) {
        Document fields = new Document("learnedFrom", "reports").append("reports", reports);
        fields.putAll(trainedFromReports(trainedOn, trainedThrough));
        return replaceIfCurrent(model, Filters.eq("version", baseVersion), baseVersion, fields, now);
    }

    /** What the pointer of a model a server trained on the kept reports says of that training. */
    private static Document trainedFromReports(int trainedOn, Instant trainedThrough) {
        return new Document(ORIGIN, FROM_REPORTS).append(TRAINED_ON, trainedOn).append(TRAINED_THROUGH, Date.from(trainedThrough));
    }

    /** Replaces the pointer with {@code fields} for a new version if it matches {@code condition}. */
    private Optional<String> replaceIfCurrent(PredictiveModel model, Bson condition, String baseVersion, Document fields, Instant now) {
        String version = UUID.randomUUID().toString();
        int chunks = writeChunks(model, version);
        Document pointer = pointer(model, version, chunks, now);
        pointer.putAll(fields);
        if (collection.replaceOne(Filters.and(Filters.eq("_id", CURRENT), condition), pointer).getMatchedCount() == 0) {
            collection.deleteMany(Filters.and(Filters.ne("_id", CURRENT), Filters.eq("version", version)));
            return Optional.empty();
        }
        deleteOlderThan(version, Optional.of(baseVersion));
        return Optional.of(version);
    }

    /**
     * Saves the first model, learned from {@code reports}, only if there is no model yet (a server bootstrapping from
     * reports must never replace a model an operator trained meanwhile, nor another server's first model); otherwise
     * writes nothing that stays and returns empty. The pointer lists the reports, as {@link #saveLearned} does.
     */
    public Optional<String> saveFirst(PredictiveModel model, List<String> reports, Instant trainedThrough, Instant now) {
        String version = UUID.randomUUID().toString();
        int chunks = writeChunks(model, version);
        try {
            // _id is unique: of two servers inserting the pointer, one wins.
            Document pointer = pointer(model, version, chunks, now).append("learnedFrom", "reports").append("reports", reports);
            pointer.putAll(trainedFromReports(reports.size(), trainedThrough));
            collection.insertOne(pointer);
            return Optional.of(version);
        } catch (MongoWriteException e) {
            collection.deleteMany(Filters.and(Filters.ne("_id", CURRENT), Filters.eq("version", version)));
            return Optional.empty();
        }
    }

    public Optional<Pointer> current() {
        Document current = collection.find(Filters.eq("_id", CURRENT)).first();
        if (current == null || current.getString("version") == null) {
            return Optional.empty();
        }
        List<String> reports = current.getList("reports", String.class);
        // A pointer written before origins were recorded counts as an operator's: never retrained.
        return Optional.of(new Pointer(current.getString("version"), reports == null ? List.of() : reports,
            FROM_REPORTS.equals(current.getString(ORIGIN)), current.getInteger(TRAINED_ON, 0),
            Optional.ofNullable(current.getDate(TRAINED_THROUGH)).map(Date::toInstant),
            Optional.ofNullable(current.getDate(TRAINING_UNTIL)).map(Date::toInstant)));
    }

    private static Document pointer(PredictiveModel model, String version, int chunks, Instant now) {
        return new Document("_id", CURRENT).append("version", version).append("chunks", chunks)
            .append("trainedAt", Date.from(model.trainedAt())).append("updatedAt", Date.from(now));
    }

    /** Keeps the current and the previous version (readers may still be loading it). */
    private void deleteOlderThan(String version, Optional<String> previous) {
        collection.deleteMany(Filters.and(Filters.ne("_id", CURRENT), Filters.ne("version", version),
            Filters.ne("version", previous.orElse(version))));
    }

    private int writeChunks(PredictiveModel model, String version) {
        byte[] bytes = ModelCodec.toBytes(model);
        int chunks = (bytes.length + chunkBytes - 1) / chunkBytes;
        for (int n = 0; n < chunks; n++) {
            int from = n * chunkBytes;
            int to = Math.min(bytes.length, from + chunkBytes);
            byte[] chunk = new byte[to - from];
            System.arraycopy(bytes, from, chunk, 0, chunk.length);
            collection.replaceOne(Filters.eq("_id", version + ":" + n),
                new Document("_id", version + ":" + n).append("version", version).append("n", n).append("data", new Binary(chunk)),
                new ReplaceOptions().upsert(true));
        }
        return chunks;
    }

    public Optional<String> currentVersion() {
        Document current = collection.find(Filters.eq("_id", CURRENT)).first();
        return current == null ? Optional.empty() : Optional.ofNullable(current.getString("version"));
    }

    /** Loads a version's chunks in order and decodes them. */
    public PredictiveModel load(String version) throws IOException {
        Document current = collection.find(Filters.eq("_id", CURRENT)).first();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int expected = -1;
        if (current != null && version.equals(current.getString("version"))) {
            expected = current.getInteger("chunks", -1);
        }
        int seen = 0;
        for (Document chunk : collection.find(Filters.and(Filters.eq("version", version), Filters.ne("_id", CURRENT)))
                .sort(Sorts.ascending("n"))) {
            if (chunk.getInteger("n", -1) != seen) {
                throw new IOException("model " + version + " is missing chunk " + seen);
            }
            bytes.writeBytes(chunk.get("data", Binary.class).getData());
            seen++;
        }
        if (seen == 0 || expected >= 0 && seen != expected) {
            throw new IOException("model " + version + " is incomplete: " + seen + " chunks");
        }
        return ModelCodec.fromBytes(bytes.toByteArray());
    }
}
