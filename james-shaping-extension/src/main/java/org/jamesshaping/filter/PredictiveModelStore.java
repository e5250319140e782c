package org.jamesshaping.filter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.UUID;

import org.bson.Document;
import org.bson.types.Binary;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Sorts;

/**
 * The {@code predictive_model} collection: the serialised model ({@link ModelCodec}) cut into chunk documents
 * well under MongoDB's 16 MB limit, plus one pointer document naming the current version:
 * <pre>
 * { _id: "current", version: "uuid", chunks: 2, size: 1834211, trainedAt: ISODate, updatedAt: ISODate }
 * { _id: "uuid:0", version: "uuid", n: 0, data: BinData }   ...
 * </pre>
 * A new model's chunks are written first and the pointer last, so readers see either the old model or the whole
 * new one. The previous version is kept for readers still loading it; older ones are deleted.
 */
public final class PredictiveModelStore {
    public static final String COLLECTION = "predictive_model";
    public static final int DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
    private static final String CURRENT = "current";

    private final MongoCollection<Document> collection;
    private final int chunkBytes;

    public PredictiveModelStore(MongoCollection<Document> collection) {
        this(collection, DEFAULT_CHUNK_BYTES);
    }

    public PredictiveModelStore(MongoCollection<Document> collection, int chunkBytes) {
        this.collection = collection;
        this.chunkBytes = chunkBytes;
    }

    /** Saves a model as the current one; returns its version. */
    public String save(PredictiveModel model, Instant now) {
        byte[] bytes = ModelCodec.toBytes(model);
        String version = UUID.randomUUID().toString();
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
        Optional<String> previous = currentVersion();
        collection.replaceOne(Filters.eq("_id", CURRENT),
            new Document("_id", CURRENT).append("version", version).append("chunks", chunks).append("size", bytes.length)
                .append("trainedAt", Date.from(model.trainedAt())).append("updatedAt", Date.from(now)),
            new ReplaceOptions().upsert(true));
        collection.deleteMany(Filters.and(Filters.ne("_id", CURRENT), Filters.ne("version", version),
            Filters.ne("version", previous.orElse(version))));
        return version;
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
