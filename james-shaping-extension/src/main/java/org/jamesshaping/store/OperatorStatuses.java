package org.jamesshaping.store;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jamesshaping.runtime.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operators' allow, block and pin entries: written to MongoDB, held in memory in the {@link ManualStatusTable} so
 * that the SMTP path reads them without MongoDB, and reloaded every refresh interval so that an entry set on another
 * server of the fleet applies here too. Each read from MongoDB is kept on local disk ({@link StatusCopy}), so that a
 * James started while MongoDB is down enforces the last good copy.
 */
final class OperatorStatuses {
    private static final Logger LOGGER = LoggerFactory.getLogger(OperatorStatuses.class);

    private final ReputationRepository repository;
    private final Clock clock;
    /** Told when an entry was set, removed, or changed by a reload: decisions taken before may be stale. */
    private final Runnable changed;
    private final ManualStatusTable table = new ManualStatusTable();
    private final Optional<StatusCopy> copy;
    private volatile boolean readFromMongo;

    OperatorStatuses(ReputationRepository repository, Clock clock, Runnable changed) {
        this(repository, clock, changed, Optional.empty());
    }

    /** With a local copy: its entries apply from the start, until MongoDB's are read. */
    OperatorStatuses(ReputationRepository repository, Clock clock, Runnable changed, Optional<StatusCopy> copy) {
        this.repository = repository;
        this.clock = clock;
        this.changed = changed;
        this.copy = copy;
        copy.ifPresent(local -> {
            List<ReputationRecord> entries = local.load();
            table.replaceAll(entries, table.version());
            if (!entries.isEmpty()) {
                LOGGER.info("{} operator statuses read from the local copy {}; MongoDB's replace them once read", entries.size(),
                    local.file());
            }
        });
    }

    /** The most specific entry covering the address, if any; from memory. */
    Optional<StatusMatch> covering(InetAddress address) {
        return table.lookup(address, clock.instant()).map(entry -> new StatusMatch(entry.key, entry.status));
    }

    /** The entry set on exactly this key, if any; from memory. */
    Optional<StatusMatch> exact(ReputationKey key) {
        return table.exact(key, clock.instant()).map(entry -> new StatusMatch(entry.key, entry.status));
    }

    /** Writes an entry to MongoDB, then applies it here at once. */
    ManualStatus set(ReputationKey key, ManualStatus.Value value, int pinnedClass, String reason, Optional<Duration> ttl, String setBy) {
        Instant now = clock.instant();
        ManualStatus status = new ManualStatus(value, pinnedClass, reason, now, ttl.map(now::plus), setBy);
        repository.setStatus(key, status);
        table.put(key, status);
        changed.run();
        saveCopy();
        LOGGER.info("Reputation status of {} set to {}{} by {} ({}){}", key, value.asString(),
            status.pinnedClass().map(level -> " class " + level).orElse(""), setBy, LogText.escape(status.reason()),
            status.expiresAt().map(at -> " until " + at).orElse(""));
        return status;
    }

    /** Writes many entries to MongoDB in one bulk write, then applies them here at once, logged as one line. */
    void setAll(Map<ReputationKey, ManualStatus> statuses, String setBy) {
        repository.setStatuses(statuses);
        table.putAll(statuses);
        changed.run();
        saveCopy();
        LOGGER.info("{} reputation statuses set by {} in one import", statuses.size(), setBy);
    }

    /** Removes the entry set on the key here (MongoDB's copy goes with the key's document); whether there was one. */
    boolean remove(ReputationKey key) {
        boolean had = exact(key).isPresent();
        table.remove(key);
        changed.run();
        saveCopy();
        return had;
    }

    /** Replaces the entries held with MongoDB's, unless an entry was set or removed here while they were read. */
    void reload() {
        long version = table.version();
        List<ReputationRecord> records = repository.withStatus(clock.instant());
        boolean first = !readFromMongo;
        readFromMongo = true;
        if (table.replaceAll(records, version)) {
            changed.run();
            saveCopy();
        } else if (first) {
            saveCopy();
        }
    }

    /** Synchronized so that two saves cannot land in the opposite order of the states they read. */
    private synchronized void saveCopy() {
        copy.ifPresent(local -> local.save(table.entries()));
    }

    int size() {
        return table.size();
    }
}
