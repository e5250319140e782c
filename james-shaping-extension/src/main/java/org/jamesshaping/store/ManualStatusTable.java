package org.jamesshaping.store;

import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every operator-set status (allow or block, on an address or any CIDR), held in memory so that the SMTP path
 * answers "is this sender blocked?" without MongoDB. The most specific entry wins: allowing 203.0.113.7 inside
 * a blocked 203.0.113.0/24 lets that one address through.
 */
final class ManualStatusTable {
    static final class Entry {
        final ReputationKey key;
        final ManualStatus status;

        Entry(ReputationKey key, ManualStatus status) {
            this.key = key;
            this.status = status;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Entry && key.equals(((Entry) other).key) && status.equals(((Entry) other).status);
        }

        @Override
        public int hashCode() {
            return Objects.hash(key, status);
        }
    }

    private static final Comparator<Entry> MOST_SPECIFIC_FIRST =
        Comparator.comparingInt((Entry entry) -> entry.key.prefixLength()).reversed();

    private volatile List<Entry> entries = List.of();
    private final AtomicLong localChanges = new AtomicLong();

    Optional<Entry> lookup(InetAddress address, Instant now) {
        for (Entry entry : entries) {
            if (entry.status.isActiveAt(now) && entry.key.contains(address)) {
                return Optional.of(entry);
            }
        }
        return Optional.empty();
    }

    Optional<Entry> exact(ReputationKey key, Instant now) {
        return entries.stream().filter(entry -> entry.key.equals(key) && entry.status.isActiveAt(now)).findFirst();
    }

    /** A marker to pass to {@link #replaceAll} so that a reload that raced a local change does not undo it. */
    long version() {
        return localChanges.get();
    }

    /**
     * Replaces every entry with those read from MongoDB, unless a local change came in since the read started.
     *
     * @return whether the entries changed: a reload that brings nothing new must not end the shaper's reuse of
     *         decisions ({@link ReputationStore#changes()}); it runs every refresh interval
     */
    synchronized boolean replaceAll(List<ReputationRecord> records, long versionAtReadStart) {
        if (localChanges.get() != versionAtReadStart) {
            return false;
        }
        List<Entry> loaded = new ArrayList<>();
        records.forEach(record -> record.status().ifPresent(status -> loaded.add(new Entry(record.key(), status))));
        loaded.sort(MOST_SPECIFIC_FIRST);
        // Compared as sets: MongoDB returns documents in no promised order, and entries of one prefix length may
        // come in any order after the stable sort.
        boolean changed = !new HashSet<>(loaded).equals(new HashSet<>(entries));
        entries = List.copyOf(loaded);
        return changed;
    }

    synchronized void put(ReputationKey key, ManualStatus status) {
        List<Entry> updated = new ArrayList<>(entries);
        updated.removeIf(entry -> entry.key.equals(key));
        updated.add(new Entry(key, status));
        updated.sort(MOST_SPECIFIC_FIRST);
        entries = List.copyOf(updated);
        localChanges.incrementAndGet();
    }

    synchronized void remove(ReputationKey key) {
        List<Entry> updated = new ArrayList<>(entries);
        updated.removeIf(entry -> entry.key.equals(key));
        entries = List.copyOf(updated);
        localChanges.incrementAndGet();
    }

    /** Every entry held, active or not. */
    List<Entry> entries() {
        return entries;
    }

    int size() {
        return entries.size();
    }
}
