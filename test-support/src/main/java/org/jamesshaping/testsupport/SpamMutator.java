package org.jamesshaping.testsupport;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes the variants a spammer sends of one message: hash-buster tokens, whitespace and case changes, the body as
 * HTML instead of text, a personalised greeting, changed links and tracking ids, and all of them at once. Works on
 * the message's readable text and writes new MIME messages, the way a spam kit renders one template many times.
 */
public final class SpamMutator {
    /** Mutation kinds, reported separately by the benchmark. */
    public enum Kind { HASH_BUSTER, WHITESPACE_CASE, HTML_TEXT, GREETING, URLS, ALL }

    private static final Pattern URL = Pattern.compile("(?i)(?:https?://|www\\.)[^\\s\"'<>]+");
    private static final String[] NAMES = {"John", "Mary", "Alice Johnson", "Bob", "Dr. Kumar", "Ms Lee", "Pierre", "Olga"};
    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyz";
    private static final String ALPHANUMERIC = LETTERS + "0123456789";

    private final Random random;

    public SpamMutator(long seed) {
        this.random = new Random(seed);
    }

    public byte[] mutate(String subject, String text, Kind kind) {
        String body = text;
        boolean html = false;
        switch (kind) {
            case HASH_BUSTER:
                body = hashBusters(body);
                break;
            case WHITESPACE_CASE:
                body = whitespaceAndCase(body);
                break;
            case HTML_TEXT:
                html = true;
                break;
            case GREETING:
                body = greeting(body);
                break;
            case URLS:
                body = urls(body);
                break;
            default:
                body = urls(greeting(whitespaceAndCase(hashBusters(body))));
                html = random.nextBoolean();
                break;
        }
        return message(subject + " " + token(ALPHANUMERIC, 6), html ? toHtml(body) : body, html);
    }

    private String hashBusters(String text) {
        List<String> words = new ArrayList<>(List.of(text.split(" ")));
        for (int i = 0; i < 5; i++) {
            words.add(random.nextInt(words.size() + 1), token(ALPHANUMERIC, 6 + random.nextInt(8)));
        }
        for (int i = 0; i < 2; i++) {
            words.add(random.nextInt(words.size() + 1), token(LETTERS, 7 + random.nextInt(6)));
        }
        return String.join(" ", words) + "\n\n" + token(ALPHANUMERIC, 24) + "\n";
    }

    private String whitespaceAndCase(String text) {
        StringBuilder out = new StringBuilder();
        int column = 0;
        for (String word : text.split("\\s+")) {
            if (word.isEmpty()) {
                continue;
            }
            String changed = random.nextInt(10) == 0 ? word.toUpperCase(Locale.ROOT)
                : random.nextInt(10) == 0 ? word.toLowerCase(Locale.ROOT) : word;
            if (column > 50 + random.nextInt(30)) {
                out.append(random.nextBoolean() ? "\n" : " \n\t");
                column = 0;
            } else if (column > 0) {
                out.append(random.nextInt(5) == 0 ? "   " : " ");
            }
            out.append(changed);
            column += changed.length() + 1;
        }
        return out.toString();
    }

    private String greeting(String text) {
        return "Dear " + NAMES[random.nextInt(NAMES.length)] + ",\n\n" + text;
    }

    private String urls(String text) {
        Matcher matcher = URL.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            matcher.appendReplacement(out, Matcher.quoteReplacement("http://" + token(LETTERS, 8) + ".example.com/"
                + token(ALPHANUMERIC, 10) + "?uid=" + token(ALPHANUMERIC, 16)));
        }
        matcher.appendTail(out);
        return out + "\nTo unsubscribe: http://" + token(LETTERS, 6) + ".example.net/u?id=" + token(ALPHANUMERIC, 12) + "\n";
    }

    private static String toHtml(String text) {
        StringBuilder html = new StringBuilder("<html><body>");
        for (String paragraph : text.split("\\n\\s*\\n")) {
            String escaped = paragraph.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
            html.append("<p><font face=\"Arial\">").append(escaped.replace("\n", "<br>\n")).append("</font></p>\n");
        }
        return html.append("</body></html>").toString();
    }

    private String token(String alphabet, int length) {
        StringBuilder token = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            token.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return token.toString();
    }

    public static byte[] message(String subject, String body, boolean html) {
        String headers = "From: offers@example.org\r\nTo: someone@example.com\r\nSubject: " + subject.replaceAll("[\\r\\n]", " ")
            + "\r\nMIME-Version: 1.0\r\nContent-Type: text/" + (html ? "html" : "plain")
            + "; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
        return (headers + body.replace("\r\n", "\n").replace("\n", "\r\n")).getBytes(StandardCharsets.UTF_8);
    }
}
