package org.jamesshaping.bench.shaping;

import java.io.PrintStream;
import java.util.List;

/**
 * Markdown tables as the benchmarks print them: the first column left-aligned, the others right-aligned, so that
 * output pastes into docs/ as it is.
 */
public final class TextTable {
    private TextTable() {
    }

    /** The whole table at once, each column as wide as its widest cell; the first row is the header. */
    public static String format(List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int r = 0; r < rows.size(); r++) {
            out.append(line(rows.get(r), width)).append('\n');
            if (r == 0) {
                out.append(rule(width)).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * A table printed row by row as results come in, so that a long run shows its progress and each row appears
     * once. Column widths are fixed up front from the header and a row of the widest expected cells.
     */
    static final class Live {
        private final PrintStream out;
        private final String[] header;
        private final int[] width;
        private boolean started;

        Live(PrintStream out, String[] header, String[] widestExpected) {
            this.out = out;
            this.header = header;
            this.width = new int[header.length];
            for (int i = 0; i < header.length; i++) {
                width[i] = Math.max(header[i].length(), widestExpected[i].length());
            }
        }

        /** Prints the header first, before the first row, so that whatever is printed before stays above it. */
        void row(String... cells) {
            if (!started) {
                out.println(line(header, width));
                out.println(rule(width));
                started = true;
            }
            out.println(line(cells, width));
        }
    }

    private static String line(String[] cells, int[] width) {
        StringBuilder line = new StringBuilder("|");
        for (int i = 0; i < width.length; i++) {
            String cell = cells[i];
            String padding = " ".repeat(Math.max(0, width[i] - cell.length()));
            line.append(' ').append(i == 0 ? cell + padding : padding + cell).append(" |");
        }
        return line.toString();
    }

    private static String rule(int[] width) {
        StringBuilder rule = new StringBuilder("|");
        for (int i = 0; i < width.length; i++) {
            rule.append('-').append("-".repeat(width[i])).append(i == 0 ? "-|" : ":|");
        }
        return rule.toString();
    }
}
