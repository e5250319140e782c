package org.jamesshaping.store;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.exists;
import static com.mongodb.client.model.Filters.gt;
import static com.mongodb.client.model.Filters.in;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.bson.Document;
import org.bson.conversions.Bson;
import org.jamesshaping.scoring.Signal;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.WriteModel;

/**
 * The MongoDB side of the reputation store: one document per {@link ReputationKey}, whose id is the key's
 * canonical text. Every call here may block; none is ever made from an SMTP thread.
 *
 * <p>Deltas are written as unordered bulk upserts of {@code $inc}, tagged with a batch id so that a batch retried
 * after a timeout (when it is unknown whether the first attempt landed) is applied exactly once: the filter
 * only matches a document that has not seen the batch, and the upsert that follows a non-match fails on the
 * duplicate {@code _id}, which is read as "already applied".</p>
 */
public class ReputationRepository {
    static final String COLLECTION = "reputation";
    private static final int DUPLICATE_KEY = 11000;
    /** Batch ids a document remembers: a retry is applied once while fewer than this many other batches reached it since. */
    static final int REMEMBERED_BATCHES = 64;
    private static final Date NEVER = Date.from(Instant.parse("9999-12-31T00:00:00Z"));

    private final MongoCollection<Document> collection;
    private final StoreSettings settings;

    public ReputationRepository(MongoCollection<Document> collection, StoreSettings settings) {
        this.collection = collection;
        this.settings = settings;
    }

    /** Creates the indexes; creating an existing index with the same options is a no-op in MongoDB. */
    public void createIndexes() {
        collection.createIndex(Indexes.ascending("expireAt"),
            new IndexOptions().name("idle_ttl").expireAfter(0L, TimeUnit.SECONDS));
        collection.createIndex(Indexes.descending("last"), new IndexOptions().name("last_seen"));
        collection.createIndex(Indexes.ascending("status.value"), new IndexOptions().name("manual_status").sparse(true));
    }

    public Map<ReputationKey, ReputationRecord> load(Collection<ReputationKey> keys, Instant now) {
        Map<String, ReputationKey> byId = keys.stream().collect(Collectors.toMap(ReputationKey::id, key -> key, (a, b) -> a));
        Map<ReputationKey, ReputationRecord> result = new HashMap<>();
        for (Document document : collection.find(in("_id", new ArrayList<>(byId.keySet())))) {
            ReputationKey key = byId.get(document.getString("_id"));
            if (key != null) {
                result.put(key, toRecord(key, document, now));
            }
        }
        keys.forEach(key -> result.computeIfAbsent(key, absent -> ReputationRecord.absent(absent)));
        return result;
    }

    public ReputationRecord load(ReputationKey key, Instant now) {
        return load(List.of(key), now).get(key);
    }

    /**
     * Applies a batch of deltas, all under one batch id.
     *
     * @return the keys whose delta was not applied and must be retried with the same batch id, with why
     * @throws com.mongodb.MongoException when the whole batch failed (MongoDB down, timeout, ...)
     */
    public Map<ReputationKey, String> apply(String batchId, Map<ReputationKey, Tally> deltas) {
        Map<ReputationKey, String> batchIds = new HashMap<>();
        deltas.keySet().forEach(key -> batchIds.put(key, batchId));
        return apply(batchIds, deltas);
    }

    /**
     * Applies deltas in one unordered bulk write, each under its own key's batch id (a key retried keeps the id of
     * its first attempt while others carry a new one).
     *
     * @return the keys whose delta was not applied and must be retried with the same batch id, with why
     * @throws com.mongodb.MongoException when the whole batch failed (MongoDB down, timeout, ...)
     */
    public Map<ReputationKey, String> apply(Map<ReputationKey, String> batchIds, Map<ReputationKey, Tally> deltas) {
        if (deltas.isEmpty()) {
            return Map.of();
        }
        List<ReputationKey> order = new ArrayList<>(deltas.keySet());
        List<WriteModel<Document>> writes = new ArrayList<>(order.size());
        for (ReputationKey key : order) {
            writes.add(upsertDelta(batchIds.get(key), key, deltas.get(key)));
        }
        try {
            collection.bulkWrite(writes, new BulkWriteOptions().ordered(false));
            return Map.of();
        } catch (MongoBulkWriteException e) {
            Map<ReputationKey, String> failed = new HashMap<>();
            List<ReputationKey> duplicates = new ArrayList<>();
            for (BulkWriteError error : e.getWriteErrors()) {
                ReputationKey key = order.get(error.getIndex());
                if (error.getCode() == DUPLICATE_KEY) {
                    duplicates.add(key);
                } else {
                    failed.put(key, "error " + error.getCode() + ": " + error.getMessage());
                }
            }
            notYetApplied(batchIds, duplicates).forEach(key -> failed.put(key, "inserted by another server at the same moment"));
            if (e.getWriteConcernError() != null) {
                // The writes happened but their durability is unknown; the batch id makes a retry harmless.
                order.forEach(key -> failed.putIfAbsent(key, "write concern: " + e.getWriteConcernError().getMessage()));
            }
            return failed;
        }
    }

    /**
     * A duplicate-key error on an upsert means either "this document already applied the batch" (the filter did
     * not match, so MongoDB tried to insert) or "another server inserted the document at the same moment". Only
     * the document can tell: if its batch list lacks the id, the delta was not applied and is retried.
     */
    private Set<ReputationKey> notYetApplied(Map<ReputationKey, String> batchIds, List<ReputationKey> duplicates) {
        if (duplicates.isEmpty()) {
            return Set.of();
        }
        Map<String, ReputationKey> byId = duplicates.stream().collect(Collectors.toMap(ReputationKey::id, key -> key));
        Set<ReputationKey> notApplied = new HashSet<>(duplicates);
        for (Document document : collection.find(in("_id", new ArrayList<>(byId.keySet())))) {
            ReputationKey key = byId.get(document.getString("_id"));
            if (key != null && document.getList("batches", String.class, List.of()).contains(batchIds.get(key))) {
                notApplied.remove(key);
            }
        }
        return notApplied;
    }

    private UpdateOneModel<Document> upsertDelta(String batchId, ReputationKey key, Tally delta) {
        Document increments = new Document();
        delta.totals().forEach((signal, count) -> increments.append("totals." + signal.field(), count));
        delta.scaledByEra().forEach((era, values) ->
            values.forEach((signal, scaled) -> increments.append("decay." + era.field() + "." + signal.field(), scaled)));
        Date last = Date.from(delta.lastSeen());
        Document update = new Document("$set", new Document("kind", key.kind()))
            .append("$min", new Document("first", Date.from(delta.firstSeen())))
            .append("$max", new Document("last", last).append("expireAt", Date.from(delta.lastSeen().plus(settings.retention()))))
            .append("$push", new Document("batches", new Document("$each", List.of(batchId)).append("$slice", -REMEMBERED_BATCHES)));
        if (!increments.isEmpty()) {
            update.append("$inc", increments);
        }
        Bson filter = new Document("_id", key.id()).append("batches", new Document("$ne", batchId));
        return new UpdateOneModel<>(filter, update, new UpdateOptions().upsert(true));
    }

    public void setStatus(ReputationKey key, ManualStatus status) {
        collection.updateOne(eq("_id", key.id()), statusUpdate(key, status), new UpdateOptions().upsert(true));
    }

    /** Sets many statuses in one unordered bulk write (an operator's import). */
    public void setStatuses(Map<ReputationKey, ManualStatus> statuses) {
        if (statuses.isEmpty()) {
            return;
        }
        List<WriteModel<Document>> writes = new ArrayList<>(statuses.size());
        statuses.forEach((key, status) -> writes.add(
            new UpdateOneModel<>(eq("_id", key.id()), statusUpdate(key, status), new UpdateOptions().upsert(true))));
        collection.bulkWrite(writes, new BulkWriteOptions().ordered(false));
    }

    private static Document statusUpdate(ReputationKey key, ManualStatus status) {
        Document statusDocument = new Document("value", status.value().asString())
            .append("reason", status.reason())
            .append("setAt", Date.from(status.setAt()))
            .append("expiresAt", status.expiresAt().map(Date::from).orElse(null))
            .append("setBy", status.setBy());
        status.pinnedClass().ifPresent(level -> statusDocument.append("class", level));
        Date keepUntil = status.expiresAt().map(Date::from).orElse(NEVER);
        return new Document("$set", new Document("status", statusDocument).append("kind", key.kind()))
            .append("$max", new Document("expireAt", keepUntil));
    }

    /** Removes everything known about a key: counters and manual status. */
    public boolean forget(ReputationKey key) {
        return collection.deleteOne(eq("_id", key.id())).getDeletedCount() > 0;
    }

    /** Every key with a manual status, active or not: operators' entries are few, so they are all held in memory. */
    public List<ReputationRecord> withStatus(Instant now) {
        List<ReputationRecord> records = new ArrayList<>();
        for (Document document : collection.find(exists("status.value"))) {
            try {
                ReputationKey key = ReputationKey.parse(document.getString("_id"));
                records.add(toRecord(key, document, now));
            } catch (IllegalArgumentException e) {
                // A document not written by this extension; never let it break the status table.
            }
        }
        return records;
    }

    /** The most recently seen live documents, up to {@code limit}, for ranking by score in memory. */
    public List<ReputationRecord> recentlySeen(int limit, Instant now) {
        List<ReputationRecord> records = new ArrayList<>();
        for (Document document : collection.find(gt("expireAt", Date.from(now))).sort(Sorts.descending("last")).limit(limit)) {
            try {
                ReputationKey key = ReputationKey.parse(document.getString("_id"));
                records.add(toRecord(key, document, now));
            } catch (IllegalArgumentException e) {
                // ignore foreign documents
            }
        }
        return records;
    }

    ReputationRecord toRecord(ReputationKey key, Document document, Instant now) {
        Date expireAt = document.getDate("expireAt");
        if (expireAt != null && !expireAt.toInstant().isAfter(now)) {
            // Real MongoDB removes expired documents about once a minute; until then they count as absent.
            return ReputationRecord.absent(key);
        }
        Tally tally = Tally.empty();
        Document totals = document.get("totals", Document.class);
        if (totals != null) {
            totals.forEach((field, value) -> Signal.fromField(field)
                .ifPresent(signal -> tally.addStored(signal, ((Number) value).longValue())));
        }
        Document decay = document.get("decay", Document.class);
        if (decay != null) {
            decay.forEach((eraField, values) -> {
                Optional<Era> era = Era.parse(eraField);
                if (era.isPresent() && values instanceof Document) {
                    ((Document) values).forEach((field, value) -> Signal.fromField(field)
                        .ifPresent(signal -> tally.addStoredScaled(era.get(), signal, ((Number) value).doubleValue())));
                }
            });
        }
        Optional.ofNullable(document.getDate("first")).map(Date::toInstant).ifPresent(tally::seen);
        Optional.ofNullable(document.getDate("last")).map(Date::toInstant).ifPresent(tally::seen);
        List<String> batches = document.getList("batches", String.class, List.of());
        return new ReputationRecord(key, tally, toStatus(document.get("status", Document.class), now), Set.copyOf(batches));
    }

    private Optional<ManualStatus> toStatus(Document status, Instant now) {
        if (status == null || status.getString("value") == null) {
            return Optional.empty();
        }
        Number pinned = (Number) status.get("class");
        ManualStatus manual = new ManualStatus(
            ManualStatus.Value.parse(status.getString("value")),
            pinned == null ? -1 : pinned.intValue(),
            status.getString("reason"),
            Optional.ofNullable(status.getDate("setAt")).map(Date::toInstant).orElse(now),
            Optional.ofNullable(status.getDate("expiresAt")).map(Date::toInstant),
            status.getString("setBy"));
        return manual.isActiveAt(now) ? Optional.of(manual) : Optional.empty();
    }
}
