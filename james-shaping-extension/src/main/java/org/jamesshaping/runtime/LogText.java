package org.jamesshaping.runtime;

/**
 * Text from outside (an operator's reason, a client's name) made safe for one log line: CR, LF, ESC and every
 * other control or format character (see {@link #isControl}) are written as Java-style escapes (backslash and
 * r, n, t, or u and four hex digits), and a backslash as two, so that no value can start a forged line or send a
 * terminal sequence to whoever reads the log, and the escaped text reads back unambiguously.
 */
public final class LogText {
    private LogText() {
    }

    public static String escape(String text) {
        if (text == null) {
            return "null";
        }
        int first = firstToEscape(text);
        if (first < 0) {
            return text;
        }
        StringBuilder escaped = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                escaped.append("\\\\");
            } else if (c == '\r') {
                escaped.append("\\r");
            } else if (c == '\n') {
                escaped.append("\\n");
            } else if (c == '\t') {
                escaped.append("\\t");
            } else if (needsEscape(c)) {
                escaped.append(String.format("\\u%04x", (int) c));
            } else {
                escaped.append(c);
            }
        }
        return escaped.toString();
    }

    /**
     * Control characters (C0, DEL, C1), Unicode's line and paragraph separators, and its format characters (the
     * bidirectional overrides among them, which make a line read other than it is written).
     */
    public static boolean isControl(char c) {
        int type = Character.getType(c);
        return Character.isISOControl(c) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
            || type == Character.PARAGRAPH_SEPARATOR;
    }

    private static boolean needsEscape(char c) {
        return c == '\\' || isControl(c);
    }

    private static int firstToEscape(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (needsEscape(text.charAt(i))) {
                return i;
            }
        }
        return -1;
    }
}
