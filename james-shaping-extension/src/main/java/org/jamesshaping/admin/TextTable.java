package org.jamesshaping.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Rows of maps as a plain text table, as james-cli prints its lists: a header line, columns padded with spaces. */
final class TextTable {
    /** A long reason would make every line wrap: cut, the whole text is in --json. */
    private static final int MAX_CELL = 60;

    private TextTable() {
    }

    static String render(List<String> headers, List<String> columns, List<Map<String, Object>> rows) {
        List<String[]> cells = new ArrayList<>();
        cells.add(headers.toArray(new String[0]));
        for (Map<String, Object> row : rows) {
            String[] line = new String[columns.size()];
            for (int i = 0; i < columns.size(); i++) {
                line[i] = cell(row.get(columns.get(i)));
            }
            cells.add(line);
        }
        int[] widths = new int[headers.size()];
        for (String[] line : cells) {
            for (int i = 0; i < line.length; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        StringBuilder table = new StringBuilder();
        for (String[] line : cells) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < line.length; i++) {
                text.append(line[i]);
                if (i < line.length - 1) {
                    text.append(" ".repeat(widths[i] - line[i].length() + 2));
                }
            }
            table.append(text.toString().stripTrailing()).append('\n');
        }
        if (rows.isEmpty()) {
            table.append("(none)\n");
        }
        return table.toString();
    }

    private static String cell(Object value) {
        if (value == null) {
            return "-";
        }
        StringBuilder text = new StringBuilder();
        for (char c : String.valueOf(value).toCharArray()) {
            text.append(Character.isISOControl(c) ? ' ' : c);
        }
        return text.length() > MAX_CELL ? text.substring(0, MAX_CELL - 3) + "..." : text.toString();
    }
}
