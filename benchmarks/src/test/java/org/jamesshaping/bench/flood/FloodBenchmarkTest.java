package org.jamesshaping.bench.flood;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

import org.jamesshaping.bench.SmtpData;
import org.junit.jupiter.api.Test;

class FloodBenchmarkTest {
    private static String data(String raw) {
        return new String(SmtpData.of(raw.getBytes(StandardCharsets.US_ASCII)), StandardCharsets.US_ASCII);
    }

    @Test
    void corpusFileBecomesDataWithoutMboxLineWithCrlfAndDotStuffing() {
        assertThat(data("From spammer@example.com Mon Jan  1 00:00:00 2002\nSubject: hi\n\n.hidden\nbody\n"))
            .isEqualTo("Subject: hi\r\n\r\n..hidden\r\nbody\r\n.\r\n");
    }

    @Test
    void lastLineWithoutNewlineIsEndedBeforeTheTerminator() {
        assertThat(data("Subject: x\r\n\r\nno newline")).isEqualTo("Subject: x\r\n\r\nno newline\r\n.\r\n");
    }

    @Test
    void abusiveKindsShareTheConnectionsEachOnItsOwnSlash24() {
        List<AbusiveFlood.Group> groups = FloodBenchmark.groups(201);
        assertThat(groups.stream().mapToInt(group -> group.connections).sum()).isEqualTo(201);
        List<String> networks = groups.stream().map(group -> group.addresses[0].substring(0, group.addresses[0].lastIndexOf('.')))
            .collect(Collectors.toList());
        assertThat(networks).doesNotHaveDuplicates().allSatisfy(network -> assertThat(network).doesNotStartWith("127.0."));
        assertThat(FloodReport.group("127.61.0.200")).isEqualTo("botnet");
    }

    @Test
    void theWarmUpFloodSharesNoSlash16WithTheMeasuredOne() {
        List<String> measured = FloodBenchmark.groups(200).stream().map(group -> slash16(group.addresses[0])).collect(Collectors.toList());
        List<String> warmup = FloodBenchmark.groups(200, 70).stream().map(group -> slash16(group.addresses[0])).collect(Collectors.toList());
        assertThat(warmup).doesNotContainAnyElementsOf(measured).doesNotHaveDuplicates().hasSize(5);
        assertThat(FloodOptions.parse(new String[0]).abusiveWarmupSeconds).isEqualTo(10);
        assertThat(FloodOptions.parse(new String[] {"--abusive-warmup-seconds", "0"}).abusiveWarmupSeconds).isZero();
        assertThatThrownBy(() -> FloodOptions.parse(new String[] {"--abusive-warmup-seconds", "-1"})).hasMessageContaining("0 or more");
    }

    private static String slash16(String address) {
        String[] octets = address.split("\\.");
        return octets[0] + "." + octets[1];
    }

    @Test
    void quickRunIsShortAndOptionsAreChecked() {
        FloodOptions quick = FloodOptions.parse(new String[] {"--quick", "--abusive-connections", "50"});
        assertThat(quick.seconds).isEqualTo(30);
        assertThat(quick.repeats).isEqualTo(1);
        assertThat(quick.abusiveConnections).isEqualTo(50);
        assertThat(quick.phases).containsExactlyElementsOf(FloodBenchmark.Phase.DEFAULT);
        assertThat(FloodOptions.parse(new String[] {"--phases", "D,F"}).phases)
            .containsExactly(FloodBenchmark.Phase.DRY_RUN, FloodBenchmark.Phase.DRY_RUN_NO_FILTERS);
        assertThatThrownBy(() -> FloodOptions.parse(new String[] {"--phases", "X"})).hasMessageContaining("unknown phase");
        assertThatThrownBy(() -> FloodOptions.parse(new String[] {"--seconds", "0"})).hasMessageContaining("positive");
        assertThatThrownBy(() -> FloodOptions.parse(new String[] {"--seconds"})).hasMessageContaining("needs a value");
    }
}
