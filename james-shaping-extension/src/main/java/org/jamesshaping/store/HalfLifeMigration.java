package org.jamesshaping.store;

import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;

import org.bson.Document;
import org.jamesshaping.scoring.Signal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReplaceOptions;

/**
 * Carries decayed history over a change of {@code decay.half.life} instead of letting it fade at the old rate.
 *
 * <p>The half-life the fleet's documents were last migrated to is kept in {@code shaping_meta} ({@code _id: "decay"}).
 * When it differs from the configured one (or is not there yet), every reputation document holding decay fields of
 * another half-life is rewritten: each such value is taken at its worth now (decayed at the half-life it was written
 * with), added to the configured half-life's field as an event of that size now, and the old field removed. The
 * write is conditional on the old values being unchanged, so an increment by a server still on the old half-life is
 * never lost: that document is left as it is (its fields are still read right, see {@link HalfLife}) and is migrated
 * at the next start. Totals (undecayed) are untouched.</p>
 */
public final class HalfLifeMigration {
    private static final Logger LOGGER = LoggerFactory.getLogger(HalfLifeMigration.class);
    static final String META_COLLECTION = "shaping_meta";
    private static final String DECAY_META_ID = "decay";

    private final MongoCollection<Document> reputation;
    private final MongoCollection<Document> meta;
    private final HalfLife halfLife;
    private final Clock clock;

    public HalfLifeMigration(MongoCollection<Document> reputation, MongoCollection<Document> meta, HalfLife halfLife, Clock clock) {
        this.reputation = reputation;
        this.meta = meta;
        this.halfLife = halfLife;
        this.clock = clock;
    }

    /** What one run did. */
    public static final class Result {
        public final boolean ran;
        public final int migrated;
        public final int changedMeanwhile;

        Result(boolean ran, int migrated, int changedMeanwhile) {
            this.ran = ran;
            this.migrated = migrated;
            this.changedMeanwhile = changedMeanwhile;
        }
    }

    /** The half-life recorded as the one the documents use, if any. */
    public Optional<Long> storedHalfLifeSeconds() {
        Document document = meta.find(Filters.eq("_id", DECAY_META_ID)).first();
        return document == null || !(document.get("halfLifeSeconds") instanceof Number)
            ? Optional.empty() : Optional.of(((Number) document.get("halfLifeSeconds")).longValue());
    }

    /** Migrates when the recorded half-life is not the configured one; MongoDB errors are the driver's. */
    public Result runIfNeeded() {
        long configured = halfLife.duration().toSeconds();
        Optional<Long> stored = storedHalfLifeSeconds();
        if (stored.isPresent() && stored.get() == configured) {
            return new Result(false, 0, 0);
        }
        Result result = migrate(clock.instant());
        if (result.changedMeanwhile == 0) {
            meta.replaceOne(Filters.eq("_id", DECAY_META_ID), new Document("_id", DECAY_META_ID)
                .append("halfLifeSeconds", configured).append("migratedAt", Date.from(clock.instant())),
                new ReplaceOptions().upsert(true));
        }
        if (result.migrated > 0 || result.changedMeanwhile > 0 || stored.isPresent()) {
            LOGGER.info("decay.half.life {} (was {}): decayed counters of {} reputation records carried over to it{}",
                halfLife.duration(), stored.map(seconds -> seconds + "s").orElse("not recorded"), result.migrated,
                result.changedMeanwhile == 0 ? "" : "; " + result.changedMeanwhile + " changed meanwhile, left for the next start");
        }
        return result;
    }

    Result migrate(Instant now) {
        int migrated = 0;
        int changedMeanwhile = 0;
        for (Document document : reputation.find(Filters.exists("decay")).projection(Projections.include("decay"))) {
            Optional<Boolean> done = migrateOne(document, now);
            if (done.isPresent()) {
                if (done.get()) {
                    migrated++;
                } else {
                    changedMeanwhile++;
                }
            }
        }
        return new Result(true, migrated, changedMeanwhile);
    }

    /**
     * Rewrites one document as read; empty when it holds no field of another half-life, false when its old fields
     * changed since it was read (then it is left as it is).
     */
    Optional<Boolean> migrateOne(Document document, Instant now) {
        Document decay = document.get("decay", Document.class);
        if (decay == null) {
            return Optional.empty();
        }
        Document filter = new Document("_id", document.get("_id"));
        Document unset = new Document();
        double[] carried = new double[Signal.values().length];
        for (Map.Entry<String, Object> entry : decay.entrySet()) {
            Optional<Era> era = Era.parse(entry.getKey());
            if (era.isEmpty() || halfLife.writes(era.get()) || !(entry.getValue() instanceof Document)) {
                continue;
            }
            double factor = halfLife.decayFactor(era.get(), now);
            for (Map.Entry<String, Object> value : ((Document) entry.getValue()).entrySet()) {
                filter.append("decay." + entry.getKey() + "." + value.getKey(), value.getValue());
                Optional<Signal> signal = Signal.fromField(value.getKey());
                if (signal.isPresent() && value.getValue() instanceof Number) {
                    carried[signal.get().ordinal()] += ((Number) value.getValue()).doubleValue() * factor;
                }
            }
            unset.append("decay." + entry.getKey(), "");
        }
        if (unset.isEmpty()) {
            return Optional.empty();
        }
        Era target = halfLife.eraOf(now);
        Document increments = new Document();
        for (Signal signal : Signal.values()) {
            if (carried[signal.ordinal()] > 0) {
                increments.append("decay." + target.field() + "." + signal.field(), halfLife.scaledIncrement(carried[signal.ordinal()], now));
            }
        }
        Document update = new Document("$unset", unset);
        if (!increments.isEmpty()) {
            update.append("$inc", increments);
        }
        return Optional.of(reputation.updateOne(filter, update).getModifiedCount() == 1);
    }
}
