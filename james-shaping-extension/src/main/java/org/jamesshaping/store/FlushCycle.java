package org.jamesshaping.store;

import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.api.TimeMetric;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.MongoException;

/**
 * One write to MongoDB: the threads' sums of signals for senders into the buffer (every few flushes only: they cannot
 * make anyone look worse), the buffer as one bulk write, then the local deltas told what landed. Runs on the store
 * thread every flush interval, and at stop.
 */
final class FlushCycle {
    private static final Logger LOGGER = LoggerFactory.getLogger(FlushCycle.class);
    /** Scheduled flushes per move of the signals for senders into the buffer. */
    static final int FLUSHES_PER_SIGNALS_FOR_SENDERS = 5;

    private final ReputationRepository repository;
    private final WriteBehindBuffer buffer;
    private final LocalDeltas deltas;
    private final SenderSums senderSums;
    private final MetricFactory metricFactory;
    private final Metric mongoErrors;
    private int flushesSinceSignalsForSenders;
    private volatile boolean indexesCreated;

    FlushCycle(ReputationRepository repository, WriteBehindBuffer buffer, LocalDeltas deltas, SenderSums senderSums,
               MetricFactory metricFactory, Metric mongoErrors) {
        this.repository = repository;
        this.buffer = buffer;
        this.deltas = deltas;
        this.senderSums = senderSums;
        this.metricFactory = metricFactory;
        this.mongoErrors = mongoErrors;
    }

    /** A scheduled flush; creates the indexes first until that has worked once. */
    void scheduled() {
        ensureIndexes();
        flush(false);
    }

    /** Writes what is held; with {@code allSignalsForSenders}, the threads' sums too. */
    synchronized WriteBehindBuffer.FlushResult flush(boolean allSignalsForSenders) {
        TimeMetric timer = metricFactory.timer("shaping_flush_seconds");
        try {
            boolean moveSignalsForSenders = allSignalsForSenders || ++flushesSinceSignalsForSenders >= FLUSHES_PER_SIGNALS_FOR_SENDERS;
            if (moveSignalsForSenders) {
                flushesSinceSignalsForSenders = 0;
            }
            senderSums.settle(moveSignalsForSenders, true);
            WriteBehindBuffer.FlushResult result = buffer.flush(deltas::written);
            if (result.failed) {
                mongoErrors.increment();
            }
            return result;
        } finally {
            timer.stopAndPublish();
            deltas.prune();
        }
    }

    /**
     * Deletes a key's document and everything held for it, between two flushes: a flush under way when the operator
     * forgets a key has sent that key's delta already, and would write the document back after the delete.
     *
     * @return whether MongoDB had a document for the key
     */
    synchronized boolean forget(ReputationKey key) {
        boolean existed;
        try {
            existed = repository.forget(key);
        } catch (MongoException e) {
            mongoErrors.increment();
            throw e;
        }
        senderSums.settle(true, true);
        deltas.forget(key);
        return existed;
    }

    /** Creating an index that exists with the same options is a no-op in MongoDB; until it works, it is retried. */
    void ensureIndexes() {
        if (!indexesCreated) {
            try {
                repository.createIndexes();
                indexesCreated = true;
            } catch (MongoException e) {
                mongoErrors.increment();
                LOGGER.warn("Could not create reputation indexes yet ({}); will retry", e.getMessage());
            }
        }
    }
}
