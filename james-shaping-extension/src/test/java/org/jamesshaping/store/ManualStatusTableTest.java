package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ManualStatusTableTest {
    static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");

    static ManualStatus status(ManualStatus.Value value, Optional<Instant> expires) {
        return new ManualStatus(value, "r", NOW.minusSeconds(60), expires, "test");
    }

    static ReputationRecord record(String key, ManualStatus status) {
        return new ReputationRecord(ReputationKey.parse(key), Tally.empty(), Optional.of(status), Set.of());
    }

    @Test
    void theMostSpecificActiveEntryWinsAndAnExpiredOneLetsTheWiderOneApply() {
        ManualStatusTable table = new ManualStatusTable();
        table.replaceAll(List.of(
            record("0.0.0.0/0", status(ManualStatus.Value.ALLOW, Optional.empty())),
            record("203.0.113.0/24", status(ManualStatus.Value.BLOCK, Optional.empty())),
            record("203.0.113.7", status(ManualStatus.Value.ALLOW, Optional.empty())),
            record("203.0.113.8", status(ManualStatus.Value.ALLOW, Optional.of(NOW.minusSeconds(1)))),
            record("2001:db8::/32", status(ManualStatus.Value.BLOCK, Optional.empty())),
            record("2001:db8:0:1::/64", status(ManualStatus.Value.ALLOW, Optional.empty()))), table.version());

        assertThat(keyCovering(table, "203.0.113.7")).contains("203.0.113.7");
        assertThat(keyCovering(table, "203.0.113.8")).contains("203.0.113.0/24");
        assertThat(keyCovering(table, "198.51.100.1")).contains("0.0.0.0/0");
        assertThat(keyCovering(table, "::ffff:203.0.113.9")).contains("203.0.113.0/24");
        assertThat(keyCovering(table, "2001:db8:0:1::5")).contains("2001:db8:0:1::/64");
        assertThat(keyCovering(table, "2001:db8:ffff::1")).contains("2001:db8::/32");
        assertThat(keyCovering(table, "2001:db9::1")).isEmpty();
        assertThat(table.exact(ReputationKey.parse("203.0.113.0/24"), NOW)).isPresent();
        assertThat(table.exact(ReputationKey.parse("203.0.113.8"), NOW)).isEmpty();
    }

    @Test
    void lookupsAgreeWithAScanOfEveryEntryOnRandomTables() throws UnknownHostException {
        Random random = new Random(42);
        for (int round = 0; round < 20; round++) {
            List<ReputationRecord> records = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                boolean ipv4 = random.nextInt(3) > 0;
                byte[] bytes = new byte[ipv4 ? 4 : 16];
                random.nextBytes(bytes);
                // Few distinct leading bits, so that entries nest.
                bytes[0] = (byte) (ipv4 ? 10 : 0x20);
                bytes[1] = (byte) random.nextInt(4);
                int prefix = random.nextInt(bytes.length * 8 + 1);
                ReputationKey key = keyOf(InetAddress.getByAddress(bytes), prefix);
                if (records.stream().anyMatch(record -> record.key().equals(key))) {
                    // One document per key in MongoDB: one entry per key.
                    continue;
                }
                Optional<Instant> expires = random.nextInt(5) == 0 ? Optional.of(NOW.minusSeconds(1)) : Optional.empty();
                records.add(new ReputationRecord(key, Tally.empty(), Optional.of(status(ManualStatus.Value.BLOCK, expires)), Set.of()));
            }
            ManualStatusTable table = new ManualStatusTable();
            table.replaceAll(records, table.version());
            for (int probe = 0; probe < 500; probe++) {
                boolean ipv4 = random.nextBoolean();
                byte[] bytes = new byte[ipv4 ? 4 : 16];
                random.nextBytes(bytes);
                bytes[0] = (byte) (ipv4 ? 10 : 0x20);
                bytes[1] = (byte) random.nextInt(4);
                InetAddress address = InetAddress.getByAddress(bytes);
                Optional<String> expected = records.stream()
                    .filter(record -> record.status().get().isActiveAt(NOW) && record.key().contains(address))
                    .max(Comparator.comparingInt(record -> record.key().prefixLength()))
                    .map(record -> record.key().id());
                assertThat(table.lookup(address, NOW).map(entry -> entry.key.id())).as(address.toString()).isEqualTo(expected);
            }
        }
    }

    /** The network of {@code prefix} bits holding the address. */
    private static ReputationKey keyOf(InetAddress address, int prefix) throws UnknownHostException {
        byte[] bytes = address.getAddress();
        for (int bit = prefix; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return ReputationKey.parse(ReputationKey.ofAddress(InetAddress.getByAddress(bytes)).id() + "/" + prefix);
    }

    private static Optional<String> keyCovering(ManualStatusTable table, String address) {
        return table.lookup(ReputationKey.parseAddress(address), NOW).map(entry -> entry.key.id());
    }

    @Test
    void aReloadThatBringsNothingNewReportsNoChange() {
        ManualStatusTable table = new ManualStatusTable();
        List<ReputationRecord> records = List.of(record("203.0.113.0/24", status(ManualStatus.Value.BLOCK, Optional.empty())));
        assertThat(table.replaceAll(records, table.version())).isTrue();
        assertThat(table.replaceAll(records, table.version())).isFalse();
        assertThat(table.size()).isEqualTo(1);
    }
}
