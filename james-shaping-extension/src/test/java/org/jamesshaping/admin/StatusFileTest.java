package org.jamesshaping.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.jamesshaping.store.ManualStatus;
import org.jamesshaping.store.ReputationKey;
import org.jamesshaping.store.StatusMatch;
import org.junit.jupiter.api.Test;

class StatusFileTest {
    private final ReputationReports reports = new ReputationReports(null, null, AdminSettings.defaults());

    @Test
    void readsEachKindOfEntryAndAReasonWithCommas() {
        List<StatusFile.Line> lines = StatusFile.parse(StatusFile.HEADER + "\n\n"
            + "203.0.113.0/24,block,12h,botnet\n"
            + "198.51.100.25, allow ,,partner MTA, since 2024\r\n"
            + "# a comment\n"
            + "192.0.2.7,7,2d\n"
            + "2001:db8::/48,BLOCK\n", reports, false);
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0).key).isEqualTo("203.0.113.0/24");
        assertThat(lines.get(0).value).isEqualTo(ManualStatus.Value.BLOCK);
        assertThat(lines.get(0).ttl).isEqualTo("12h");
        assertThat(lines.get(1).value).isEqualTo(ManualStatus.Value.ALLOW);
        assertThat(lines.get(1).reason).isEqualTo("partner MTA, since 2024");
        assertThat(lines.get(2).value).isEqualTo(ManualStatus.Value.PIN);
        assertThat(lines.get(2).pinnedClass).isEqualTo(7);
        assertThat(lines.get(2).reason).isNull();
        assertThat(lines.get(3).key).isEqualTo("2001:db8::/48");
    }

    @Test
    void oneBadLineRefusesTheFileNamingEveryLineAtFault() {
        String file = "203.0.113.0/24,block\n"
            + "999.1.1.1,block\n"
            + "198.51.100.0/24,maybe\n"
            + "192.0.2.0/24,block,soon\n"
            + "0.0.0.0/0,block,,everything\n"
            + "203.0.113.0/24,allow\n"
            + "192.0.2.9,block,,a\u001b[2Jb\n"
            + "just-one-field\n";
        assertThatThrownBy(() -> StatusFile.parse(file, reports, false))
            .hasMessageStartingWith("7 lines are wrong, nothing was imported")
            .hasMessageContaining("line 2: ").hasMessageContaining("line 3: ").hasMessageContaining("line 4: ")
            .hasMessageContaining("line 5: ").hasMessageContaining("force")
            .hasMessageContaining("line 6: 203.0.113.0/24 is on an earlier line too")
            .hasMessageContaining("line 7: ").hasMessageContaining("line 8: ")
            .hasMessageNotContaining("line 1:");
        assertThat(StatusFile.parse("0.0.0.0/0,block,,everything\n", reports, true)).hasSize(1);
    }

    @Test
    void tooManyEntriesAreRefused() {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i <= StatusFile.MAX_ENTRIES; i++) {
            file.append("10.").append(i >> 16 & 255).append('.').append(i >> 8 & 255).append('.').append(i & 255).append(",block\n");
        }
        assertThatThrownBy(() -> StatusFile.parse(file.toString(), reports, false)).hasMessageContaining("at most 10000");
    }

    @Test
    void anExportReadsBackWithTheTimeLeft() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        List<StatusMatch> entries = List.of(
            new StatusMatch(ReputationKey.parse("203.0.113.0/24"),
                new ManualStatus(ManualStatus.Value.BLOCK, "botnet, wave 2", now.minusSeconds(60), Optional.of(now.plus(Duration.ofHours(12))), "webadmin")),
            new StatusMatch(ReputationKey.parse("192.0.2.7"),
                new ManualStatus(ManualStatus.Value.PIN, 7, "snowshoe\r\nforged", now, Optional.empty(), "jmx")),
            new StatusMatch(ReputationKey.parse("192.0.2.8"),
                new ManualStatus(ManualStatus.Value.BLOCK, "expired", now.minusSeconds(120), Optional.of(now.minusSeconds(1)), "jmx")));
        String file = StatusFile.format(entries, now);
        assertThat(file).isEqualTo(StatusFile.HEADER + "\n"
            + "203.0.113.0/24,block,43200s,botnet, wave 2\n"
            + "192.0.2.7,7,,snowshoe  forged\n");
        List<StatusFile.Line> back = StatusFile.parse(file, reports, false);
        assertThat(back).hasSize(2);
        assertThat(Ttl.parse(back.get(0).ttl)).contains(Duration.ofHours(12));
        assertThat(back.get(1).pinnedClass).isEqualTo(7);
    }
}
