package org.jamesshaping.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A POST of a {@link #SIZE} body generated on the fly (nothing held in the test's memory), declared by Content-Length
 * or sent chunked, over a raw socket: how much had been sent when the server's status line came tells whether the
 * server read the body before answering.
 */
public final class HugeBody {
    public static final long SIZE = 700L * 1024 * 1024;

    public final int status;
    public final String rest;
    public final long sentWhenAnswered;

    private HugeBody(int status, String rest, long sentWhenAnswered) {
        this.status = status;
        this.rest = rest;
        this.sentWhenAnswered = sentWhenAnswered;
    }

    public static HugeBody post(int port, String path, String contentType, boolean chunked, Map<String, String> headers) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            AtomicLong sent = new AtomicLong();
            StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: "
                + contentType + "\r\n" + (chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + SIZE) + "\r\n");
            headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            head.append("\r\n");
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[64 * 1024];
                    Arrays.fill(chunk, (byte) 'x');
                    byte[] chunkHeader = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                    byte[] chunkEnd = "\r\n".getBytes(StandardCharsets.US_ASCII);
                    while (sent.get() < SIZE && !socket.isClosed()) {
                        if (chunked) {
                            out.write(chunkHeader);
                        }
                        out.write(chunk);
                        if (chunked) {
                            out.write(chunkEnd);
                        }
                        sent.addAndGet(chunk.length);
                    }
                } catch (IOException e) {
                    // the server stopped reading and closed: expected
                }
            });
            writer.setDaemon(true);
            writer.start();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            String statusLine = in.readLine();
            long sentWhenAnswered = sent.get();
            if (statusLine == null) {
                throw new IllegalStateException("no reply after " + sentWhenAnswered + " bytes sent");
            }
            StringBuilder rest = new StringBuilder();
            try {
                String line;
                while ((line = in.readLine()) != null && rest.length() < 10_000) {
                    rest.append(line).append('\n');
                    if (line.startsWith("{")) {
                        break;
                    }
                }
            } catch (IOException e) {
                // reset once the server closed with the body unread
            }
            socket.close();
            writer.join(10_000);
            System.out.printf("%s %s (%s): answered '%s' after %d KB of %d MB sent%n", path, contentType,
                chunked ? "chunked" : "Content-Length", statusLine, sentWhenAnswered >> 10, SIZE >> 20);
            return new HugeBody(Integer.parseInt(statusLine.split(" ")[1]), rest.toString(), sentWhenAnswered);
        }
    }
}
