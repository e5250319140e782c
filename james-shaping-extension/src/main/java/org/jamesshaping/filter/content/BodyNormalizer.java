package org.jamesshaping.filter.content;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reduces body text to the words that stay the same between copies of a spam run. What spammers vary is removed
 * rather than matched: links and addresses (tracking ids live there), anything with a digit (order numbers,
 * hash-busters like {@code x7fk2q}), letter soup with no vowel or long consonant runs, the name after a greeting,
 * case, accents' compatibility forms, and all spacing and punctuation.
 *
 * <p>Links and addresses are cut by a hand-written scan, linear in the text, that removes exactly what
 * {@code (?i)(?:https?://|ftp://|www\.)\S+|\S+@\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|biz|info|ru|cn|de|uk)\b\S*}
 * replaced by a space: that expression, tried at every position of a long run of non-space characters, is
 * quadratic (a 100 KB line of {@code x} took seconds), and stored signatures depend on cutting the same text.</p>
 */
public final class BodyNormalizer {
    private static final Set<String> GREETINGS = Set.of("dear", "hi", "hello", "hey", "greetings", "attn", "attention", "bonjour", "hallo");
    private static final String[] LINK_PREFIXES = {"http://", "https://", "ftp://", "www."};
    private static final String[] DOMAIN_ENDINGS = {"com", "net", "org", "biz", "info", "ru", "cn", "de", "uk"};
    private static final int MAX_GREETING_WORDS = 4;
    private static final int MIN_TOKEN_LENGTH = 2;
    private static final int MAX_TOKEN_LENGTH = 24;
    /** Combining marks looked through to find the letter they modify (the regex engine's word boundary does too). */
    private static final int MAX_COMBINING_MARKS = 16;
    private static final int CHARS_PER_DEADLINE_CHECK = 8_192;

    /** The normalised words of a text, in order. */
    public List<String> tokens(String text) {
        return tokens(text, Deadline.NONE);
    }

    /** As {@link #tokens(String)}, giving up with {@link Deadline.Exceeded} once the deadline has passed. */
    public List<String> tokens(String text, Deadline deadline) {
        String compatible = Normalizer.normalize(text, Normalizer.Form.NFKC);
        deadline.check();
        List<String> tokens = new ArrayList<>();
        int length = compatible.length();
        int sinceCheck = 0;
        int lineStart = 0;
        while (lineStart <= length) {
            int lineEnd = lineStart;
            while (lineEnd < length && !isLineBreak(compatible.charAt(lineEnd))) {
                lineEnd++;
            }
            addLine(words(compatible, lineStart, lineEnd), tokens);
            sinceCheck += lineEnd - lineStart + 1;
            if (sinceCheck >= CHARS_PER_DEADLINE_CHECK) {
                deadline.check();
                sinceCheck = 0;
            }
            if (lineEnd >= length) {
                break;
            }
            // \R: CR LF is one break.
            lineStart = compatible.charAt(lineEnd) == '\r' && lineEnd + 1 < length && compatible.charAt(lineEnd + 1) == '\n'
                ? lineEnd + 2 : lineEnd + 1;
        }
        return tokens;
    }

    /**
     * The words of one line once links and addresses are cut: each run of non-space characters, up to where a
     * link or address starts in it (a cut runs to the end of the run), then trimmed as {@link String#trim} would.
     */
    private static List<String> words(String text, int lineStart, int lineEnd) {
        List<String> words = new ArrayList<>();
        int i = lineStart;
        while (i < lineEnd) {
            while (i < lineEnd && isSpace(text.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < lineEnd && !isSpace(text.charAt(i))) {
                i++;
            }
            if (i > start) {
                int cut = cut(text, start, i, lineStart, lineEnd);
                if (cut > start) {
                    words.add(text.substring(start, cut));
                }
            }
        }
        return trim(words);
    }

    /**
     * Control characters at either end of the line are dropped, as the split on a trimmed line did: the words made
     * of them only, then those leading the first word left and trailing the last (one pass, however many).
     */
    private static List<String> trim(List<String> words) {
        int first = 0;
        while (first < words.size() && isAllControl(words.get(first))) {
            first++;
        }
        int last = words.size() - 1;
        while (last >= first && isAllControl(words.get(last))) {
            last--;
        }
        if (first > last) {
            return List.of();
        }
        List<String> kept = new ArrayList<>(words.subList(first, last + 1));
        String head = kept.get(0);
        int start = 0;
        while (head.charAt(start) <= ' ') {
            start++;
        }
        kept.set(0, head.substring(start));
        String tail = kept.get(kept.size() - 1);
        int end = tail.length();
        while (tail.charAt(end - 1) <= ' ') {
            end--;
        }
        kept.set(kept.size() - 1, tail.substring(0, end));
        return kept;
    }

    private static boolean isAllControl(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (word.charAt(i) > ' ') {
                return false;
            }
        }
        return true;
    }

    /**
     * Where the first link or address starts in the run [start, end), or {@code end}. Every alternative of the
     * expression runs to the end of the run, so only the leftmost start matters. One pass from the right keeps,
     * for each position, the nearest ".tld" ahead and how far a dotted name can reach (the first character outside
     * {@code [a-z0-9.-]} or the first "..").
     */
    static int cut(String text, int start, int end, int lineStart, int lineEnd) {
        // \S+@\S+: an @ with a character on each side anywhere in the run matches from the run's start.
        for (int j = start + 1; j < end - 1; j++) {
            if (text.charAt(j) == '@') {
                return start;
            }
        }
        int first = end;
        int reach = end;
        int nextEnding = Integer.MAX_VALUE;
        for (int p = end - 1; p >= start; p--) {
            char c = text.charAt(p);
            if (!isDomainChar(c) || c == '.' && p + 1 < end && text.charAt(p + 1) == '.') {
                reach = p;
            }
            if (p + 1 < end && isDomainEnding(text, p + 1, end, lineStart, lineEnd)) {
                nextEnding = p + 1;
            }
            if (isLinkStart(text, p, end)
                || c != '.' && isDomainChar(c) && isWordBoundary(text, p, lineStart, lineEnd) && nextEnding < reach) {
                first = p;
            }
        }
        return first;
    }

    /** {@code (?:https?://|ftp://|www\.)\S+} at {@code p}: the prefix and at least one character after it. */
    private static boolean isLinkStart(String text, int p, int end) {
        for (String prefix : LINK_PREFIXES) {
            if (p + prefix.length() < end && startsWithAsciiIgnoreCase(text, p, prefix)) {
                return true;
            }
        }
        return false;
    }

    /** {@code \.(?:com|...)\b} at {@code q}, after a character that is not a dot. */
    private static boolean isDomainEnding(String text, int q, int end, int lineStart, int lineEnd) {
        if (text.charAt(q) != '.' || text.charAt(q - 1) == '.') {
            return false;
        }
        for (String ending : DOMAIN_ENDINGS) {
            int after = q + 1 + ending.length();
            if (after <= end && startsWithAsciiIgnoreCase(text, q + 1, ending) && (after == lineEnd || !isWordAt(text, after, lineStart))) {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWithAsciiIgnoreCase(String text, int at, String lowerCase) {
        for (int k = 0; k < lowerCase.length(); k++) {
            char c = text.charAt(at + k);
            if (c >= 'A' && c <= 'Z') {
                c = (char) (c + ('a' - 'A'));
            }
            if (c != lowerCase.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** {@code \b} before the character at {@code p}, as java.util.regex decides it within the line. */
    private static boolean isWordBoundary(String text, int p, int lineStart, int lineEnd) {
        boolean left = p > lineStart && isWordBefore(text, p, lineStart);
        boolean right = p < lineEnd && isWordAt(text, p, lineStart);
        return left != right;
    }

    private static boolean isWordAt(String text, int i, int lineStart) {
        int cp = text.codePointAt(i);
        return isWord(cp) || Character.getType(cp) == Character.NON_SPACING_MARK && hasBase(text, i, lineStart);
    }

    private static boolean isWordBefore(String text, int i, int lineStart) {
        int cp = text.codePointBefore(i);
        return isWord(cp) || Character.getType(cp) == Character.NON_SPACING_MARK && hasBase(text, i - Character.charCount(cp), lineStart);
    }

    /** A combining mark counts as part of a word when the letter it sits on does. */
    private static boolean hasBase(String text, int i, int lineStart) {
        for (int x = i, marks = 0; x >= lineStart && marks <= MAX_COMBINING_MARKS; x--, marks++) {
            int cp = text.codePointAt(x);
            if (Character.isLetterOrDigit(cp)) {
                return true;
            }
            if (Character.getType(cp) != Character.NON_SPACING_MARK) {
                return false;
            }
        }
        return false;
    }

    private static boolean isWord(int cp) {
        return cp == '_' || Character.isLetterOrDigit(cp);
    }

    private static boolean isDomainChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.';
    }

    /** {@code \s} of java.util.regex: ASCII spacing only. */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }

    /** {@code \R}. */
    private static boolean isLineBreak(char c) {
        return c == '\n' || c == '\u000B' || c == '\f' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029';
    }

    private void addLine(List<String> words, List<String> tokens) {
        int start = 0;
        if (!words.isEmpty() && GREETINGS.contains(stripPunctuation(words.get(0)).toLowerCase(Locale.ROOT))) {
            // "Dear John Smith," and "Dear Mary," must normalise alike: drop the greeting up to its closing punctuation.
            start = greetingEnd(words);
        }
        for (int i = start; i < words.size(); i++) {
            String token = stripPunctuation(words.get(i)).toLowerCase(Locale.ROOT);
            if (isWord(token)) {
                tokens.add(token);
            }
        }
    }

    private static int greetingEnd(List<String> words) {
        int limit = Math.min(words.size(), MAX_GREETING_WORDS + 1);
        for (int i = 0; i < limit; i++) {
            String word = words.get(i);
            char last = word.isEmpty() ? ' ' : word.charAt(word.length() - 1);
            if (last == ',' || last == ':' || last == '!' || last == ';') {
                return i + 1;
            }
        }
        // No closing punctuation: a short line is all greeting, a long one keeps its words after the name.
        return words.size() <= MAX_GREETING_WORDS ? words.size() : Math.min(2, words.size());
    }

    static String stripPunctuation(String word) {
        int start = 0;
        int end = word.length();
        while (start < end && !Character.isLetterOrDigit(word.charAt(start))) {
            start++;
        }
        while (end > start && !Character.isLetterOrDigit(word.charAt(end - 1))) {
            end--;
        }
        return word.substring(start, end);
    }

    static boolean isWord(String token) {
        int length = token.length();
        if (length < MIN_TOKEN_LENGTH || length > MAX_TOKEN_LENGTH) {
            return false;
        }
        boolean ascii = true;
        boolean vowel = false;
        int consonantRun = 0;
        int longestConsonantRun = 0;
        for (int i = 0; i < length; i++) {
            char c = token.charAt(i);
            if (c == '\'' || c == '-') {
                consonantRun = 0;
                continue;
            }
            if (!Character.isLetter(c)) {
                return false;
            }
            if (c >= 128) {
                ascii = false;
                continue;
            }
            if ("aeiouy".indexOf(c) >= 0) {
                vowel = true;
                consonantRun = 0;
            } else {
                consonantRun++;
                longestConsonantRun = Math.max(longestConsonantRun, consonantRun);
            }
        }
        // Random letter strings (hash-busters) rarely read like words; real English words seldom have 5 consonants in a row.
        return !ascii || (vowel || length <= 3) && longestConsonantRun < 5;
    }
}
