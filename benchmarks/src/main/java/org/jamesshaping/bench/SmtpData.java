package org.jamesshaping.bench;

import java.io.ByteArrayOutputStream;

import org.jamesshaping.admin.cli.MessageFolders;

/** A corpus file as the benchmarks send it after DATA. */
public final class SmtpData {
    private SmtpData() {
    }

    /**
     * Without an mbox "From " line, as {@code filter train} reads files (most corpus files start with one: sent, it would
     * be a malformed first header),
     * CRLF line ends (a lone CR or LF ends a line too), leading dots doubled, then CRLF.CRLF.
     */
    public static byte[] of(byte[] file) {
        byte[] raw = MessageFolders.stripEnvelopeLine(file);
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length + raw.length / 20 + 8);
        boolean lineStart = true;
        for (int i = 0; i < raw.length; i++) {
            byte b = raw[i];
            if (b == '\n' || b == '\r') {
                if (b == '\r' && i + 1 < raw.length && raw[i + 1] == '\n') {
                    i++;
                }
                out.write('\r');
                out.write('\n');
                lineStart = true;
                continue;
            }
            if (lineStart && b == '.') {
                out.write('.');
            }
            out.write(b);
            lineStart = false;
        }
        if (!lineStart) {
            out.write('\r');
            out.write('\n');
        }
        out.write('.');
        out.write('\r');
        out.write('\n');
        return out.toByteArray();
    }
}
