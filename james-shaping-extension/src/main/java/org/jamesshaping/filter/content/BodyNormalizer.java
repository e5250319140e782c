package org.jamesshaping.filter.content;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reduces body text to the words that stay the same between copies of a spam run. What spammers vary is removed
 * rather than matched: links and addresses (tracking ids live there), anything with a digit (order numbers,
 * hash-busters like {@code x7fk2q}), letter soup with no vowel or long consonant runs, the name after a greeting,
 * case, accents' compatibility forms, and all spacing and punctuation.
 */
public final class BodyNormalizer {
    private static final Pattern URL_OR_ADDRESS = Pattern.compile(
        "(?i)(?:https?://|ftp://|www\\.)\\S+|\\S+@\\S+|\\b[a-z0-9-]+(?:\\.[a-z0-9-]+)*\\.(?:com|net|org|biz|info|ru|cn|de|uk)\\b\\S*");
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    private static final Set<String> GREETINGS = Set.of("dear", "hi", "hello", "hey", "greetings", "attn", "attention", "bonjour", "hallo");
    private static final int MAX_GREETING_WORDS = 4;
    private static final int MIN_TOKEN_LENGTH = 2;
    private static final int MAX_TOKEN_LENGTH = 24;

    /** The normalised words of a text, in order. */
    public List<String> tokens(String text) {
        String compatible = Normalizer.normalize(text, Normalizer.Form.NFKC);
        List<String> tokens = new ArrayList<>();
        for (String line : compatible.split("\\R")) {
            addLine(URL_OR_ADDRESS.matcher(line).replaceAll(" "), tokens);
        }
        return tokens;
    }

    private void addLine(String line, List<String> tokens) {
        String[] words = WHITESPACE.split(line.trim());
        int start = 0;
        if (words.length > 0 && GREETINGS.contains(stripPunctuation(words[0]).toLowerCase(Locale.ROOT))) {
            // "Dear John Smith," and "Dear Mary," must normalise alike: drop the greeting up to its closing punctuation.
            start = greetingEnd(words);
        }
        for (int i = start; i < words.length; i++) {
            String token = stripPunctuation(words[i]).toLowerCase(Locale.ROOT);
            if (isWord(token)) {
                tokens.add(token);
            }
        }
    }

    private static int greetingEnd(String[] words) {
        int limit = Math.min(words.length, MAX_GREETING_WORDS + 1);
        for (int i = 0; i < limit; i++) {
            String word = words[i];
            char last = word.isEmpty() ? ' ' : word.charAt(word.length() - 1);
            if (last == ',' || last == ':' || last == '!' || last == ';') {
                return i + 1;
            }
        }
        // No closing punctuation: a short line is all greeting, a long one keeps its words after the name.
        return words.length <= MAX_GREETING_WORDS ? words.length : Math.min(2, words.length);
    }

    private static String stripPunctuation(String word) {
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
