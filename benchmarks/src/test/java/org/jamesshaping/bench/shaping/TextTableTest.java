package org.jamesshaping.bench.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Tables printed at once and row by row: the same markdown when the expected widths hold. */
class TextTableTest {
    @Test
    void theFirstColumnIsLeftAlignedTheOthersRight() {
        assertThat(TextTable.format(List.of(new String[] {"variant", "msgs/s"}, new String[] {"A", "1.5"}, new String[] {"B plain", "10.0"})))
            .isEqualTo("| variant | msgs/s |\n"
                + "|---------|-------:|\n"
                + "| A       |    1.5 |\n"
                + "| B plain |   10.0 |\n");
    }

    @Test
    void aLiveTablePrintsItsHeaderWithTheFirstRowAndEachRowOnce() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        TextTable.Live live = new TextTable.Live(out, new String[] {"variant", "msgs/s"}, new String[] {"B plain", "10.0"});
        out.println("before");
        live.row("A", "1.5");
        live.row("B plain", "10.0");
        live.row("C too long a name", "1");

        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("before\n"
            + "| variant | msgs/s |\n"
            + "|---------|-------:|\n"
            + "| A       |    1.5 |\n"
            + "| B plain |   10.0 |\n"
            + "| C too long a name |      1 |\n");
    }
}
