package org.jamesshaping.filter.fingerprint;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.bson.Document;
import org.bson.conversions.Bson;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.WriteModel;

/**
 * The {@code spam_fingerprints} collection, shared by all servers. One document per signature:
 * <pre>
 * { _id: "3f9c...", minHashes: [int x 120], shingles: 87, source: "operator", sources: ["operator", "spamtrap"],
 *   reports: 3, hits: 1250, firstSeen: ISODate, lastSeen: ISODate, updatedAt: ISODate }
 * </pre>
 * {@code updatedAt} changes only when a signature is added, reported again or removed, so servers refresh their index
 * with a cheap range query; hit counts change all the time and are not worth a refresh. A removed signature (by an
 * operator, unseen for too long, or over a bound) stays a day as a tombstone, {@code deleted: true} without its MinHashes, so that
 * every server's next refresh drops it; reporting it again brings it back.
 *
 * <p>Bounded, so that every server's in-memory index is (about 2.5 KB a signature): at most
 * {@link #MAX_SIGNATURES_PER_SOURCE} signatures first reported by one source, {@link #MAX_SIGNATURES} in all. A new
 * signature over a bound, or a removed one reported again, takes the place of the one least recently seen (reported or
 * matched) of its source, so a spamtrap flood ages out old campaigns, never the operators' reports.</p>
 */
public final class FingerprintStore {
    public static final String COLLECTION = "spam_fingerprints";
    public static final int MAX_SIGNATURES_PER_SOURCE = 25_000;
    public static final int MAX_SIGNATURES = 50_000;

    private final MongoCollection<Document> collection;
    private final int maxPerSource;
    private final int maxSignatures;

    public FingerprintStore(MongoCollection<Document> collection) {
        this(collection, MAX_SIGNATURES_PER_SOURCE, MAX_SIGNATURES);
    }

    FingerprintStore(MongoCollection<Document> collection, int maxPerSource, int maxSignatures) {
        this.collection = collection;
        this.maxPerSource = maxPerSource;
        this.maxSignatures = maxSignatures;
    }

    public void createIndexes() {
        collection.createIndex(Indexes.ascending("updatedAt"), new IndexOptions().name("updatedAt"));
        collection.createIndex(Indexes.ascending("source", "lastSeen"), new IndexOptions().name("source_lastSeen"));
        collection.createIndex(Indexes.ascending("lastSeen"), new IndexOptions().name("lastSeen"));
    }

    /** Adds a signature, or counts one more report of it. */
    public SpamSignature report(Fingerprint fingerprint, SpamSignature.Source source, Instant now) {
        List<Integer> values = new ArrayList<>(fingerprint.size());
        for (int value : fingerprint.minHashes()) {
            values.add(value);
        }
        Date at = Date.from(now);
        // The document as it was: a new signature or a removed one brought back takes a place within the bounds.
        Document before = collection.findOneAndUpdate(Filters.eq("_id", fingerprint.id()),
            Updates.combine(
                // Set, not only on insert: a removed signature's tombstone has lost them.
                Updates.set("minHashes", values),
                Updates.set("shingles", fingerprint.shingleCount()),
                Updates.unset("deleted"),
                Updates.setOnInsert("source", source.stored()),
                Updates.setOnInsert("firstSeen", at),
                Updates.setOnInsert("hits", 0L),
                Updates.addToSet("sources", source.stored()),
                Updates.inc("reports", 1L),
                Updates.set("lastSeen", at),
                Updates.set("updatedAt", at)),
            new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.BEFORE)
                .projection(Projections.include("source", "deleted")));
        if (before == null || before.getBoolean("deleted", false)) {
            String storedSource = before == null ? source.stored() : before.getString("source");
            makeRoom(fingerprint.id(), Filters.eq("source", storedSource), maxPerSource, now);
            makeRoom(fingerprint.id(), new Document(), maxSignatures, now);
        }
        Document stored = collection.find(Filters.eq("_id", fingerprint.id())).first();
        return stored == null ? new SpamSignature(fingerprint, source, 0, now, now) : toSignature(stored);
    }

    /**
     * Removes the least recently seen signatures of {@code scope} but {@code kept} until its live ones fit the bound,
     * as tombstones (not deleted), so that the other servers' next refresh drops them from their indexes too.
     */
    private void makeRoom(String kept, Bson scope, int bound, Instant now) {
        Bson live = Filters.and(scope, Filters.ne("deleted", true));
        long excess = collection.countDocuments(live) - bound;
        while (excess > 0) {
            Document oldest = collection.findOneAndUpdate(Filters.and(live, Filters.ne("_id", kept)), tombstone(now),
                new FindOneAndUpdateOptions().sort(Sorts.ascending("lastSeen", "_id")).projection(Projections.include("_id")));
            if (oldest == null) {
                return;
            }
            excess--;
        }
    }

    /**
     * Signatures added or reported at or after {@code since} (all of them when {@code since} is null), the most
     * recently seen first and at most {@link #MAX_SIGNATURES}: what fits in the index.
     */
    public List<SpamSignature> changedSince(Instant since) {
        Bson notDeleted = Filters.ne("deleted", true);
        Bson filter = since == null ? notDeleted : Filters.and(Filters.gte("updatedAt", Date.from(since)), notDeleted);
        List<SpamSignature> signatures = new ArrayList<>();
        for (Document document : collection.find(filter).sort(Sorts.descending("lastSeen")).limit(maxSignatures)) {
            SpamSignature signature = toSignature(document);
            if (signature != null) {
                signatures.add(signature);
            }
        }
        return signatures;
    }

    /** Adds counted matches to the signatures' hit counts. */
    public void addHits(Map<String, Long> hitsById, Instant now) {
        if (hitsById.isEmpty()) {
            return;
        }
        List<WriteModel<Document>> updates = new ArrayList<>();
        Date at = Date.from(now);
        hitsById.forEach((id, hits) -> updates.add(new UpdateOneModel<>(Filters.eq("_id", id),
            Updates.combine(Updates.inc("hits", hits), Updates.set("lastSeen", at)))));
        collection.bulkWrite(updates);
    }

    /** Signatures kept, tombstones not counted. */
    public long count() {
        return collection.countDocuments(Filters.ne("deleted", true));
    }

    /** Removes a signature (as a tombstone, see above); false when there is none by that id. */
    public boolean delete(String id, Instant now) {
        return collection.updateOne(Filters.and(Filters.eq("_id", id), Filters.ne("deleted", true)), tombstone(now))
            .getModifiedCount() > 0;
    }

    /** The ids of signatures removed at or after {@code since}. */
    public Set<String> removedSince(Instant since) {
        Set<String> ids = new HashSet<>();
        for (Document document : collection.find(Filters.and(Filters.eq("deleted", true), Filters.gte("updatedAt", Date.from(since))))
                .projection(Projections.include("_id"))) {
            ids.add(document.getString("_id"));
        }
        return ids;
    }

    /**
     * Removes the signatures neither matched nor reported since {@code cutoff} ({@code lastSeen} moves with both), and
     * drops tombstones older than {@code tombstonesBefore}. Idempotent: any server may run it.
     */
    public long expire(Instant cutoff, Instant tombstonesBefore, Instant now) {
        long expired = collection.updateMany(Filters.and(Filters.lt("lastSeen", Date.from(cutoff)), Filters.ne("deleted", true)),
            tombstone(now)).getModifiedCount();
        collection.deleteMany(Filters.and(Filters.eq("deleted", true), Filters.lt("updatedAt", Date.from(tombstonesBefore))));
        return expired;
    }

    private static Bson tombstone(Instant now) {
        return Updates.combine(Updates.set("deleted", true), Updates.set("updatedAt", Date.from(now)), Updates.unset("minHashes"));
    }

    private static SpamSignature toSignature(Document document) {
        List<?> values = document.getList("minHashes", Object.class);
        if (values == null || values.size() != Fingerprinter.SIGNATURE_SIZE) {
            // Written by an incompatible version: ignore rather than match against garbage.
            return null;
        }
        int[] minHashes = new int[values.size()];
        for (int i = 0; i < minHashes.length; i++) {
            minHashes[i] = ((Number) values.get(i)).intValue();
        }
        Number shingles = (Number) document.get("shingles");
        Number hits = (Number) document.get("hits");
        Date firstSeen = document.getDate("firstSeen");
        Date lastSeen = document.getDate("lastSeen");
        SpamSignature.Source source = SpamSignature.Source.fromStored(document.getString("source"));
        List<?> sources = document.getList("sources", Object.class);
        boolean operatorReported = source == SpamSignature.Source.OPERATOR_REPORT
            || sources != null && sources.contains(SpamSignature.Source.OPERATOR_REPORT.stored());
        return new SpamSignature(new Fingerprint(minHashes, shingles == null ? 0 : shingles.intValue()), source, operatorReported,
            hits == null ? 0 : hits.longValue(),
            firstSeen == null ? Instant.EPOCH : firstSeen.toInstant(),
            lastSeen == null ? Instant.EPOCH : lastSeen.toInstant());
    }
}
