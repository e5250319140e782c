package org.jamesshaping.store;

import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every operator-set status (allow or block, on an address or any CIDR), held in memory so that the SMTP path
 * answers "is this sender blocked?" without MongoDB. The most specific entry wins: allowing 203.0.113.7 inside
 * a blocked 203.0.113.0/24 lets that one address through.
 *
 * <p>Entries are indexed by prefix length: a lookup parses the address once, then probes one hash table per prefix
 * length in use, longest first, with the address masked to that length. Its cost depends on how many prefix lengths
 * are in use (at most 33 for IPv4, 129 for IPv6), not on how many entries there are, and it allocates nothing per
 * entry. Changes rebuild the index (operators' changes are rare; lookups run on every connection).</p>
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

    /** Networks of one prefix length and one address family: open addressing over the masked address as two longs. */
    private static final class PrefixTable {
        final int prefixLength;
        final long[] high;
        final long[] low;
        final Entry[] entries;
        final int mask;

        PrefixTable(int prefixLength, List<long[]> networks, List<Entry> values) {
            this.prefixLength = prefixLength;
            int capacity = Integer.highestOneBit(Math.max(2, networks.size() * 2 - 1)) << 1;
            this.high = new long[capacity];
            this.low = new long[capacity];
            this.entries = new Entry[capacity];
            this.mask = capacity - 1;
            for (int i = 0; i < networks.size(); i++) {
                long[] network = networks.get(i);
                int slot = slot(network[0], network[1]);
                while (entries[slot] != null) {
                    slot = (slot + 1) & mask;
                }
                high[slot] = network[0];
                low[slot] = network[1];
                entries[slot] = values.get(i);
            }
        }

        private int slot(long hi, long lo) {
            long hash = (hi * 0x9E3779B97F4A7C15L) ^ (lo * 0xC2B2AE3D27D4EB4FL);
            return (int) (hash ^ (hash >>> 29)) & mask;
        }

        Entry get(long hi, long lo) {
            int slot = slot(hi, lo);
            Entry entry;
            while ((entry = entries[slot]) != null) {
                if (high[slot] == hi && low[slot] == lo) {
                    return entry;
                }
                slot = (slot + 1) & mask;
            }
            return null;
        }
    }

    /** One immutable state of the table: swapped whole, so a lookup never sees a change half made. */
    private static final class Index {
        static final Index EMPTY = new Index(List.of());

        final List<Entry> entries;
        final Map<ReputationKey, Entry> byKey;
        /** Longest prefix first. */
        final PrefixTable[] ipv4;
        final PrefixTable[] ipv6;

        Index(List<Entry> entries) {
            this.entries = List.copyOf(entries);
            this.byKey = new HashMap<>();
            entries.forEach(entry -> byKey.put(entry.key, entry));
            this.ipv4 = tables(entries, true);
            this.ipv6 = tables(entries, false);
        }

        private static PrefixTable[] tables(List<Entry> entries, boolean ipv4) {
            TreeMap<Integer, List<Entry>> byLength = new TreeMap<>((a, b) -> Integer.compare(b, a));
            for (Entry entry : entries) {
                if (entry.key.isIpv4() == ipv4) {
                    byLength.computeIfAbsent(entry.key.prefixLength(), length -> new ArrayList<>()).add(entry);
                }
            }
            List<PrefixTable> tables = new ArrayList<>();
            byLength.forEach((length, ofLength) -> {
                List<long[]> networks = new ArrayList<>();
                for (Entry entry : ofLength) {
                    String id = entry.key.id();
                    int slash = id.indexOf('/');
                    byte[] network = ReputationKey.parseAddress(slash < 0 ? id : id.substring(0, slash)).getAddress();
                    networks.add(new long[] {highBits(network), lowBits(network)});
                }
                tables.add(new PrefixTable(length, networks, ofLength));
            });
            return tables.toArray(new PrefixTable[0]);
        }
    }

    private volatile Index index = Index.EMPTY;
    private final AtomicLong localChanges = new AtomicLong();

    Optional<Entry> lookup(InetAddress address, Instant now) {
        Index current = index;
        if (current.entries.isEmpty()) {
            return Optional.empty();
        }
        byte[] bytes = ReputationKey.normalize(address).getAddress();
        PrefixTable[] tables = bytes.length == 4 ? current.ipv4 : current.ipv6;
        long hi = highBits(bytes);
        long lo = lowBits(bytes);
        int bits = bytes.length * 8;
        for (PrefixTable table : tables) {
            Entry entry = table.get(masked(hi, table.prefixLength, bits, true), masked(lo, table.prefixLength, bits, false));
            if (entry != null && entry.status.isActiveAt(now)) {
                return Optional.of(entry);
            }
        }
        return Optional.empty();
    }

    /** IPv4: 0, IPv6: the first 64 bits. */
    private static long highBits(byte[] address) {
        return address.length == 4 ? 0 : bits(address, 0);
    }

    /** IPv4: the address, IPv6: the last 64 bits. */
    private static long lowBits(byte[] address) {
        return address.length == 4 ? bits(address, 0) >>> 32 : bits(address, 8);
    }

    /** Up to 8 bytes from {@code from}, big-endian, left-aligned. */
    private static long bits(byte[] address, int from) {
        long value = 0;
        int count = Math.min(8, address.length - from);
        for (int i = 0; i < count; i++) {
            value |= (address[from + i] & 0xFFL) << (56 - 8 * i);
        }
        return value;
    }

    /** The half of an address of {@code bits} bits kept by a prefix of {@code length}. */
    private static long masked(long half, int length, int bits, boolean high) {
        if (bits == 32) {
            return high ? 0 : length == 0 ? 0 : half & (0xFFFFFFFFL << (32 - length)) & 0xFFFFFFFFL;
        }
        int kept = high ? Math.min(64, length) : Math.max(0, length - 64);
        return kept == 0 ? 0 : half & (-1L << (64 - kept));
    }

    Optional<Entry> exact(ReputationKey key, Instant now) {
        Entry entry = index.byKey.get(key);
        return entry != null && entry.status.isActiveAt(now) ? Optional.of(entry) : Optional.empty();
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
        // Compared as sets: MongoDB returns documents in no promised order.
        boolean changed = !new HashSet<>(loaded).equals(new HashSet<>(index.entries));
        if (changed) {
            index = new Index(loaded);
        }
        return changed;
    }

    synchronized void put(ReputationKey key, ManualStatus status) {
        List<Entry> updated = new ArrayList<>(index.entries);
        updated.removeIf(entry -> entry.key.equals(key));
        updated.add(new Entry(key, status));
        index = new Index(updated);
        localChanges.incrementAndGet();
    }

    /** Puts many entries with one rebuild of the index (an import of thousands must not rebuild it per entry). */
    synchronized void putAll(Map<ReputationKey, ManualStatus> statuses) {
        List<Entry> updated = new ArrayList<>(index.entries);
        updated.removeIf(entry -> statuses.containsKey(entry.key));
        statuses.forEach((key, status) -> updated.add(new Entry(key, status)));
        index = new Index(updated);
        localChanges.incrementAndGet();
    }

    synchronized void remove(ReputationKey key) {
        List<Entry> updated = new ArrayList<>(index.entries);
        updated.removeIf(entry -> entry.key.equals(key));
        index = new Index(updated);
        localChanges.incrementAndGet();
    }

    /** Every entry held, active or not. */
    List<Entry> entries() {
        return index.entries;
    }

    int size() {
        return index.entries.size();
    }
}
