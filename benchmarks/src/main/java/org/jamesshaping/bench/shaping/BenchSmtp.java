package org.jamesshaping.bench.shaping;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal blocking SMTP client bound to a loopback source address; replies are read exactly as they arrive. */
final class BenchSmtp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final StringBuilder line = new StringBuilder();

    BenchSmtp(String source, int port, int timeoutMillis) throws IOException {
        socket = new Socket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(timeoutMillis);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream(), 8192);
        out = new BufferedOutputStream(socket.getOutputStream(), 65536);
    }

    /** Reads one (possibly multi-line) reply and returns its code. */
    int reply() throws IOException {
        while (true) {
            line.setLength(0);
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new IOException("connection closed by the server");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            if (line.length() < 3) {
                throw new IOException("malformed reply line '" + line + "'");
            }
            if (line.length() == 3 || line.charAt(3) == ' ') {
                return Integer.parseInt(line.substring(0, 3));
            }
        }
    }

    String lastLine() {
        return line.toString();
    }

    int command(String command) throws IOException {
        send(command + "\r\n");
        return reply();
    }

    void send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    void send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
    }

    static void expect(int expected, int actual, BenchSmtp client, String what) throws IOException {
        if (expected != actual) {
            throw new IOException(what + ": expected " + expected + ", got '" + client.lastLine() + "'");
        }
    }

    /** A message of about {@code bytes} bytes, dot-stuffing-free, ending with the terminating {@code CRLF.CRLF}. */
    static byte[] message(String from, String to, int bytes) {
        StringBuilder text = new StringBuilder(bytes + 200);
        text.append("From: <").append(from).append(">\r\nTo: <").append(to).append(">\r\nSubject: benchmark\r\n")
            .append("Message-ID: <").append(System.nanoTime()).append("@bench.example.org>\r\n\r\n");
        String filler = "The quick brown fox jumps over the lazy dog, again and again, for the benchmark.";
        while (text.length() < bytes - 5) {
            int room = bytes - 5 - text.length() - 2;
            text.append(filler, 0, Math.max(1, Math.min(filler.length(), room))).append("\r\n");
        }
        text.append(".\r\n");
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
    }
}
