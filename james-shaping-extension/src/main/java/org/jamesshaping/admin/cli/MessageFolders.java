package org.jamesshaping.admin.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads raw messages from what operators have at hand: single {@code .eml}/{@code .txt} files, maildirs
 * (their {@code cur}, {@code new} and {@code tmp} folders), folders of message files (walked recursively), and
 * mbox files (any other file starting with a {@code From } line, split on those lines).
 */
public final class MessageFolders {
    private static final byte[] FROM_LINE = "From ".getBytes(StandardCharsets.US_ASCII);

    /** A raw message and where it came from ({@code file} or {@code file#n} for the n-th message of an mbox). */
    public static final class RawMessage {
        private final String origin;
        private final byte[] bytes;

        public RawMessage(String origin, byte[] bytes) {
            this.origin = origin;
            this.bytes = bytes;
        }

        public String origin() {
            return origin;
        }

        public byte[] bytes() {
            return bytes;
        }
    }

    private MessageFolders() {
    }

    public static List<RawMessage> read(Path path) throws IOException {
        List<RawMessage> messages = new ArrayList<>();
        if (Files.isDirectory(path)) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(path)) {
                files = walk.filter(Files::isRegularFile).filter(MessageFolders::isMessageFile).sorted().collect(Collectors.toList());
            }
            for (Path file : files) {
                readFile(file, messages);
            }
        } else {
            readFile(path, messages);
        }
        return messages;
    }

    private static boolean isMessageFile(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        // Skip metadata that lives next to messages (dovecot indexes, the corpus's .json descriptions, checksums).
        return !name.startsWith(".") && !name.endsWith(".json") && !name.startsWith("dovecot") && !name.equals("cmds")
            && !name.endsWith(".md5") && !name.endsWith(".gz") && !name.endsWith(".tgz");
    }

    private static void readFile(Path file, List<RawMessage> messages) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean singleMessage = name.endsWith(".eml") || name.endsWith(".txt") || name.endsWith(".msg");
        if (!singleMessage && startsWith(bytes, 0, FROM_LINE)) {
            List<byte[]> parts = splitMbox(bytes);
            for (int i = 0; i < parts.size(); i++) {
                messages.add(new RawMessage(file + "#" + (i + 1), parts.get(i)));
            }
        } else {
            messages.add(new RawMessage(file.toString(), stripEnvelopeLine(bytes)));
        }
    }

    /** Drops an mbox {@code From } envelope line at the start: it is not a header and confuses MIME parsers. */
    public static byte[] stripEnvelopeLine(byte[] bytes) {
        if (!startsWith(bytes, 0, FROM_LINE)) {
            return bytes;
        }
        int end = indexOf(bytes, (byte) '\n', 0);
        if (end < 0) {
            return new byte[0];
        }
        byte[] rest = new byte[bytes.length - end - 1];
        System.arraycopy(bytes, end + 1, rest, 0, rest.length);
        return rest;
    }

    static List<byte[]> splitMbox(byte[] bytes) {
        List<byte[]> messages = new ArrayList<>();
        int start = 0;
        while (start < bytes.length) {
            int bodyStart = indexOf(bytes, (byte) '\n', start);
            if (bodyStart < 0) {
                break;
            }
            bodyStart++;
            int next = bodyStart;
            int end = bytes.length;
            while (next < bytes.length) {
                int newline = indexOf(bytes, (byte) '\n', next);
                if (newline < 0) {
                    break;
                }
                if (startsWith(bytes, newline + 1, FROM_LINE)) {
                    end = newline + 1;
                    break;
                }
                next = newline + 1;
            }
            messages.add(unescapeFromLines(bytes, bodyStart, end));
            start = end;
        }
        return messages;
    }

    /** mboxrd: ">From " at the start of a line stands for "From "; one '>' is removed. */
    private static byte[] unescapeFromLines(byte[] bytes, int start, int end) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(end - start);
        boolean lineStart = true;
        for (int i = start; i < end; i++) {
            if (lineStart && bytes[i] == '>') {
                int j = i;
                while (j < end && bytes[j] == '>') {
                    j++;
                }
                if (startsWith(bytes, j, FROM_LINE)) {
                    i++;
                }
            }
            out.write(bytes[i]);
            lineStart = bytes[i] == '\n';
        }
        return out.toByteArray();
    }

    private static boolean startsWith(byte[] bytes, int offset, byte[] prefix) {
        if (offset + prefix.length > bytes.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[offset + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] bytes, byte wanted, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == wanted) {
                return i;
            }
        }
        return -1;
    }
}
