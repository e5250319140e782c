package org.jamesshaping.bench.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Paths;

import org.junit.jupiter.api.Test;

/** The overhead benchmark's flags: defaults, values, and an error that names the bad flag. */
class OverheadOptionsTest {
    @Test
    void defaults() {
        OverheadOptions options = OverheadOptions.parse();

        assertThat(options.clients).isEqualTo(8);
        assertThat(options.rounds).isEqualTo(4);
        assertThat(options.roundSeconds).isEqualTo(15);
        assertThat(options.warmupSeconds).isEqualTo(10);
        assertThat(options.maxWarmupSeconds).isEqualTo(240);
        assertThat(options.messageBytes).isEqualTo(4096);
        assertThat(options.sideBySideRounds).isEqualTo(6);
        assertThat(options.rate).isZero();
        assertThat(options.paced()).isFalse();
        assertThat(options.forks).isEqualTo(1);
        assertThat(options.sessionLog).isNull();
        assertThat(options.filtersVariant).isTrue();
        assertThat(options.control || options.moduleOnly || options.noopHandlers || options.embeddedMongo || options.adaptiveHeap).isFalse();
    }

    @Test
    void everyFlag() {
        OverheadOptions options = OverheadOptions.parse("--clients", "4", "--rounds", "1", "--round-seconds", "3", "--warmup-seconds", "3",
            "--max-warmup-seconds", "6", "--message-bytes", "200", "--side-by-side-rounds", "0", "--rate", "250.5", "--forks", "2",
            "--session-log", "/tmp/s.tsv", "--no-filters-variant", "--control", "--module-only-variant", "--noop-handlers-variant",
            "--embedded-mongo", "--adaptive-heap");

        assertThat(new int[] {options.clients, options.rounds, options.roundSeconds, options.warmupSeconds, options.maxWarmupSeconds,
            options.messageBytes, options.sideBySideRounds, options.forks}).containsExactly(4, 1, 3, 3, 6, 200, 0, 2);
        assertThat(options.rate).isEqualTo(250.5);
        assertThat(options.paced()).isTrue();
        assertThat(options.sessionLog).isEqualTo(Paths.get("/tmp/s.tsv"));
        assertThat(options.filtersVariant).isFalse();
        assertThat(options.control && options.moduleOnly && options.noopHandlers && options.embeddedMongo && options.adaptiveHeap).isTrue();
    }

    @Test
    void aBadFlagIsNamed() {
        assertThatThrownBy(() -> OverheadOptions.parse("--client", "4")).hasMessage("unknown flag --client");
        assertThatThrownBy(() -> OverheadOptions.parse("--rounds")).hasMessage("--rounds needs a value");
        assertThatThrownBy(() -> OverheadOptions.parse("--rounds", "two")).hasMessage("--rounds takes a whole number, not 'two'");
        assertThatThrownBy(() -> OverheadOptions.parse("--clients", "0")).hasMessage("--clients must be 1..200, not 0");
        assertThatThrownBy(() -> OverheadOptions.parse("--rate", "-1")).hasMessage("--rate must be 0..100000, not -1");
        assertThatThrownBy(() -> OverheadOptions.parse("--message-bytes", "199")).hasMessage("--message-bytes must be 200..10000000, not 199");
    }

    @Test
    void theWarmUpLimitIsCheckedAgainstTheWarmUpWhateverTheOrder() {
        assertThatThrownBy(() -> OverheadOptions.parse("--max-warmup-seconds", "5", "--warmup-seconds", "6"))
            .hasMessage("--max-warmup-seconds 5 is below --warmup-seconds 6");
        assertThat(OverheadOptions.parse("--max-warmup-seconds", "6", "--warmup-seconds", "6").maxWarmupSeconds).isEqualTo(6);
    }
}
