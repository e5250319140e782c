package org.jamesshaping.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogTextTest {
    @Test
    void plainTextIsUnchanged() {
        String reason = "Spam run from your host (ticket 42) — déjà vu";
        assertThat(LogText.escape(reason)).isSameAs(reason);
    }

    @Test
    void lineBreaksCannotForgeALogLine() {
        String forged = "botnet\r\n2026-01-01 INFO Manual status for 10.0.0.1: allow";
        String escaped = LogText.escape(forged);
        assertThat(escaped).doesNotContain("\r").doesNotContain("\n")
            .isEqualTo("botnet\\r\\n2026-01-01 INFO Manual status for 10.0.0.1: allow");
    }

    @Test
    void terminalSequencesAndUnicodeSeparatorsAreEscaped() {
        assertThat(LogText.escape("\u001b[31mred\u001b[0m")).isEqualTo("\\u001b[31mred\\u001b[0m");
        assertThat(LogText.escape("a\u2028b\u202ec\u0085d")).isEqualTo("a\\u2028b\\u202ec\\u0085d");
    }

    @Test
    void aBackslashIsDoubledSoThatAnEscapeCannotBeFaked() {
        assertThat(LogText.escape("a\\nb")).isEqualTo("a\\\\nb");
        assertThat(LogText.escape("a\nb")).isNotEqualTo(LogText.escape("a\\nb"));
    }
}
