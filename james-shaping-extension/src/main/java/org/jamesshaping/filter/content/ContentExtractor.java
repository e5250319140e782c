package org.jamesshaping.filter.content;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UnsupportedEncodingException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;

import javax.mail.BodyPart;
import javax.mail.MessagingException;
import javax.mail.Multipart;
import javax.mail.Part;
import javax.mail.Session;
import javax.mail.internet.ContentType;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimePart;
import javax.mail.internet.MimeUtility;

import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.parser.Parser;

/**
 * Turns a MIME message into {@link MessageContent}. Stateless and thread-safe.
 *
 * <p>Only what a reader sees counts as body text: text/plain parts, and HTML parts reduced to their visible
 * text. In a multipart/alternative the plain-text alternative is preferred, so that a message sent as text and
 * its HTML copy give the same text. Attachments are counted, never read.</p>
 */
public final class ContentExtractor {
    private static final int MAX_HEADERS = 200;
    private static final int MAX_HEADER_CHARS = 2_000;
    private static final int MAX_LINK_HOSTS = 32;
    private static final int MAX_HOST_CHARS = 253;
    private static final String BLOCK_ELEMENTS = "br, p, div, tr, li, h1, h2, h3, h4, h5, h6, blockquote, table, hr";

    private final ContentLimits limits;
    /**
     * One mail session per extractor, only for parsing raw bytes: creating a Session reads JavaMail's provider files
     * from the classpath, which cost more than parsing the message itself. Never modified after construction.
     */
    private final Session session = Session.getInstance(new Properties());

    public ContentExtractor(ContentLimits limits) {
        this.limits = limits;
    }

    /** Parses raw RFC 5322 bytes (the command-line tool and the benchmark read messages from files). */
    public static MimeMessage parse(byte[] raw) throws MessagingException {
        return parse(raw, Session.getInstance(new Properties()));
    }

    private static MimeMessage parse(byte[] raw, Session session) throws MessagingException {
        return new MimeMessage(session, new ByteArrayInputStream(raw));
    }

    public MessageContent extract(byte[] raw) throws MessagingException {
        return extract(parse(raw, session), raw.length);
    }

    public MessageContent extract(MimeMessage message, int rawSize) throws MessagingException {
        return extract(message, rawSize, Deadline.NONE);
    }

    /** As {@link #extract(MimeMessage, int)}, giving up with {@link Deadline.Exceeded} once the deadline has passed. */
    public MessageContent extract(MimeMessage message, int rawSize, Deadline deadline) throws MessagingException {
        Walk walk = new Walk(deadline);
        try {
            walk.visit(message, 0);
        } catch (IOException e) {
            throw new MessagingException("cannot read message body: " + e.getMessage(), e);
        }
        List<MessageContent.Header> headers = headers(message);
        boolean htmlOnly = walk.htmlParts > 0 && walk.plainParts == 0;
        return new MessageContent(headers, walk.text.toString(), htmlOnly, walk.links, walk.images, walk.attachments,
            recipientCount(message), rawSize, new ArrayList<>(walk.hosts));
    }

    private static List<MessageContent.Header> headers(MimeMessage message) throws MessagingException {
        List<MessageContent.Header> headers = new ArrayList<>();
        Enumeration<javax.mail.Header> all = message.getAllHeaders();
        while (all.hasMoreElements() && headers.size() < MAX_HEADERS) {
            javax.mail.Header header = all.nextElement();
            String value = header.getValue() == null ? "" : header.getValue();
            if (value.length() > MAX_HEADER_CHARS) {
                value = value.substring(0, MAX_HEADER_CHARS);
            }
            headers.add(new MessageContent.Header(header.getName(), decodeHeader(MimeUtility.unfold(value))));
        }
        return headers;
    }

    private static String decodeHeader(String value) {
        if (!value.contains("=?")) {
            return value;
        }
        try {
            return MimeUtility.decodeText(value);
        } catch (UnsupportedEncodingException | RuntimeException e) {
            return value;
        }
    }

    private static int recipientCount(MimeMessage message) {
        int count = 0;
        for (String name : new String[] {"To", "Cc"}) {
            try {
                String[] values = message.getHeader(name);
                if (values == null) {
                    continue;
                }
                for (String value : values) {
                    count += countAddresses(value);
                }
            } catch (MessagingException e) {
                count += 1;
            }
        }
        return count;
    }

    private static int countAddresses(String value) {
        try {
            return InternetAddress.parseHeader(value, false).length;
        } catch (MessagingException | RuntimeException e) {
            // Spam often carries broken address lists; a rough count is still a useful feature.
            return value.split(",").length;
        }
    }

    private final class Walk {
        final Deadline deadline;
        final StringBuilder text = new StringBuilder();
        final Set<String> hosts = new LinkedHashSet<>();
        int parts;
        int plainParts;
        int htmlParts;
        int links;
        int images;
        int attachments;

        Walk(Deadline deadline) {
            this.deadline = deadline;
        }

        void visit(Part part, int depth) throws MessagingException, IOException {
            if (++parts > limits.maxParts() || depth > limits.maxNestingDepth()) {
                return;
            }
            deadline.check();
            String contentType = safeContentType(part);
            if (Part.ATTACHMENT.equalsIgnoreCase(disposition(part)) && !contentType.startsWith("multipart/")) {
                attachments++;
                return;
            }
            if (contentType.startsWith("multipart/")) {
                visitMultipart(part, contentType, depth);
            } else if (contentType.equals("message/rfc822")) {
                Object content = part.getContent();
                if (content instanceof Part) {
                    visit((Part) content, depth + 1);
                }
            } else if (contentType.equals("text/plain") || contentType.equals("text")) {
                plainParts++;
                String plain = readText(part);
                countTextLinks(plain);
                append(plain);
            } else if (contentType.equals("text/html")) {
                htmlParts++;
                append(htmlToText(readText(part), true));
            } else {
                attachments++;
            }
        }

        private void visitMultipart(Part part, String contentType, int depth) throws MessagingException, IOException {
            Multipart multipart;
            int count;
            try {
                Object content = part.getContent();
                if (!(content instanceof Multipart)) {
                    return;
                }
                multipart = (Multipart) content;
                count = Math.min(multipart.getCount(), limits.maxParts());
            } catch (MessagingException | IOException e) {
                // A broken multipart (no boundary, truncated) is still shown by mail clients as text: read it so.
                plainParts++;
                append(lenientText(part));
                return;
            }
            if (contentType.equals("multipart/alternative")) {
                BodyPart plain = null;
                BodyPart html = null;
                for (int i = 0; i < count; i++) {
                    BodyPart child = multipart.getBodyPart(i);
                    String childType = safeContentType(child);
                    if (plain == null && childType.equals("text/plain")) {
                        plain = child;
                    } else if (html == null && childType.equals("text/html")) {
                        html = child;
                    }
                }
                if (plain != null) {
                    if (html != null) {
                        // Links and images are counted from the HTML the reader sees; the text comes from the plain part.
                        parts++;
                        htmlToText(readText(html), false);
                    }
                    visit(plain, depth + 1);
                    return;
                }
                if (html != null) {
                    visit(html, depth + 1);
                    return;
                }
            }
            for (int i = 0; i < count; i++) {
                visit(multipart.getBodyPart(i), depth + 1);
            }
        }

        private void append(String chunk) {
            int room = limits.maxTextChars() - text.length();
            if (room <= 0) {
                return;
            }
            if (text.length() > 0) {
                text.append('\n');
            }
            text.append(chunk, 0, Math.min(chunk.length(), room));
        }

        private void countTextLinks(String plain) {
            urlHosts(plain, host -> {
                links++;
                addHost(host);
            });
        }

        private String htmlToText(String html, boolean wantText) {
            String prefix = html.length() > ContentLimits.MAX_HTML_CHARS ? html.substring(0, ContentLimits.MAX_HTML_CHARS) : html;
            // jsoup's tree building is quadratic on some markup (thousands of misnested formatting tags): the budget
            // is checked each time the parser reads more input, so it can give up in the middle.
            Document document = Parser.htmlParser().parseInput(new DeadlineReader(prefix, deadline), "");
            deadline.check();
            document.select("script, style, head").remove();
            for (Element link : document.select("a[href]")) {
                links++;
                addHost(hostOf(link.attr("href")));
            }
            images += document.select("img").size();
            if (!wantText) {
                return "";
            }
            // Block elements become line breaks so that line-oriented rules (greetings) see the same lines as in text.
            for (Element block : document.select(BLOCK_ELEMENTS)) {
                block.prependText("\n");
            }
            return document.wholeText();
        }

        private void addHost(String host) {
            if (host != null && !host.isEmpty() && hosts.size() < MAX_LINK_HOSTS) {
                hosts.add(host.toLowerCase(Locale.ROOT));
            }
        }
    }

    /** A string's text, checking the deadline at each read (jsoup reads its input in chunks of 32 K, with marks). */
    static final class DeadlineReader extends StringReader {
        private final Deadline deadline;

        DeadlineReader(String text, Deadline deadline) {
            super(text);
            this.deadline = deadline;
        }

        @Override
        public int read(char[] buffer, int offset, int length) throws IOException {
            deadline.check();
            return super.read(buffer, offset, length);
        }

        @Override
        public int read() throws IOException {
            deadline.check();
            return super.read();
        }
    }

    private static String hostOf(String href) {
        List<String> hosts = new ArrayList<>(1);
        urlHosts(href, hosts::add);
        return hosts.isEmpty() ? null : hosts.get(0);
    }

    /**
     * Hosts of the links written in text: what {@code (?i)\b(?:https?://|www\.)([a-z0-9.-]{1,253})} finds (group
     * 1), by a scan that only stops at 'h' and 'w'. The regular expression, tried at every position of long
     * bodies, cost more than the rest of the extraction.
     */
    static void urlHosts(String text, java.util.function.Consumer<String> hosts) {
        int length = text.length();
        int i = 0;
        while (i < length) {
            char c = text.charAt(i);
            int hostStart = -1;
            if ((c == 'h' || c == 'H' || c == 'w' || c == 'W') && (i == 0 || !isWordChar(text.charAt(i - 1)))) {
                if (text.regionMatches(true, i, "http://", 0, 7)) {
                    hostStart = i + 7;
                } else if (text.regionMatches(true, i, "https://", 0, 8)) {
                    hostStart = i + 8;
                } else if (text.regionMatches(true, i, "www.", 0, 4)) {
                    hostStart = i + 4;
                }
            }
            if (hostStart < 0) {
                i++;
                continue;
            }
            int end = hostStart;
            while (end < length && end - hostStart < MAX_HOST_CHARS && isHostChar(text.charAt(end))) {
                end++;
            }
            if (end > hostStart) {
                hosts.accept(text.substring(hostStart, end));
            }
            i = Math.max(end, i + 1);
        }
    }

    private static boolean isWordChar(char c) {
        return c == '_' || Character.isLetterOrDigit(c);
    }

    private static boolean isHostChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-';
    }

    private String readText(Part part) throws MessagingException, IOException {
        Object content;
        try {
            content = part.getContent();
        } catch (UnsupportedEncodingException e) {
            content = null;
        } catch (IOException e) {
            // Broken transfer encoding (truncated base64 is common in spam): decode what can be decoded.
            return lenientText(part);
        }
        if (content instanceof String) {
            return (String) content;
        }
        // Unknown charset: decode the transfer encoding only and read the bytes in a charset that never fails.
        try (InputStream stream = part.getInputStream()) {
            byte[] bytes = stream.readNBytes(limits.maxTextChars());
            return new String(bytes, charsetOrLatin1(part));
        } catch (IOException e) {
            return lenientText(part);
        }
    }

    private String lenientText(Part part) throws MessagingException, IOException {
        if (!(part instanceof MimePart)) {
            return "";
        }
        MimePart mimePart = (MimePart) part;
        byte[] raw;
        try (InputStream stream = mimePart instanceof MimeMessage
                ? ((MimeMessage) mimePart).getRawInputStream() : ((MimeBodyPart) mimePart).getRawInputStream()) {
            raw = stream.readNBytes(limits.maxTextChars() * 2);
        }
        String encoding = mimePart.getEncoding();
        if (encoding != null && encoding.trim().equalsIgnoreCase("base64")) {
            String cleaned = new String(raw, StandardCharsets.US_ASCII).replaceAll("[^A-Za-z0-9+/]", "");
            cleaned = cleaned.substring(0, cleaned.length() - cleaned.length() % 4);
            try {
                raw = Base64.getDecoder().decode(cleaned);
            } catch (IllegalArgumentException e) {
                raw = new byte[0];
            }
        }
        return new String(raw, charsetOrLatin1(part));
    }

    private static Charset charsetOrLatin1(Part part) {
        try {
            String charset = new ContentType(part.getContentType()).getParameter("charset");
            if (charset != null && Charset.isSupported(MimeUtility.javaCharset(charset))) {
                return Charset.forName(MimeUtility.javaCharset(charset));
            }
        } catch (MessagingException | RuntimeException e) {
            // fall through
        }
        return StandardCharsets.ISO_8859_1;
    }

    private static String safeContentType(Part part) {
        try {
            String raw = part.getContentType();
            if (raw == null) {
                return "text/plain";
            }
            return new ContentType(raw).getBaseType().toLowerCase(Locale.ROOT);
        } catch (MessagingException | RuntimeException e) {
            return "text/plain";
        }
    }

    private static String disposition(Part part) {
        try {
            return part.getDisposition();
        } catch (MessagingException | RuntimeException e) {
            return null;
        }
    }
}
