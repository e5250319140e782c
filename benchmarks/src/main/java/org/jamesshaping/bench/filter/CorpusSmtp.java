package org.jamesshaping.bench.filter;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.jamesshaping.bench.SmtpData;

/**
 * Sends one corpus message over real SMTP from a loopback source address, as a sending MTA would: EHLO, optional
 * AUTH PLAIN over implicit TLS (the submission server's self-signed certificate is accepted), MAIL, RCPT, DATA with
 * the message dot-stuffed and in CRLF lines. Replies are waited for however long the shaper delays them.
 */
final class CorpusSmtp {
    /** The same HELO for every kind of sender: it ends up in the Received header the model reads. */
    static final String HELO = "mail.example.org";
    private static final int TIMEOUT_MILLIS = 120_000;

    /** How a transaction ended: the last reply's code and at which step (250 at "data" for a delivered message). */
    static final class Outcome {
        final String step;
        final int code;

        Outcome(String step, int code) {
            this.step = step;
            this.code = code;
        }

        boolean accepted() {
            return "data".equals(step) && code == 250;
        }

        @Override
        public String toString() {
            return code + " at " + step;
        }
    }

    private CorpusSmtp() {
    }

    /** {@code auth}: {user, password} for AUTH PLAIN over implicit TLS, or null for plain SMTP without AUTH. */
    static Outcome send(String source, int port, String[] auth, String sender, List<String> recipients, byte[] raw) {
        String step = "connect";
        try (Socket plain = new Socket()) {
            plain.setReuseAddress(true);
            plain.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
            plain.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            plain.setSoTimeout(TIMEOUT_MILLIS);
            Socket socket = plain;
            if (auth != null) {
                SSLSocket tls = (SSLSocket) trustingContext().getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
                tls.startHandshake();
                socket = tls;
            }
            InputStream in = new BufferedInputStream(socket.getInputStream(), 8192);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 65536);
            step = "greeting";
            int code = reply(in);
            if (code != 220) {
                return new Outcome(step, code);
            }
            step = "ehlo";
            code = command(in, out, "EHLO " + HELO);
            if (code != 250) {
                return new Outcome(step, code);
            }
            if (auth != null) {
                step = "auth";
                String plainAuth = Base64.getEncoder().encodeToString(("\0" + auth[0] + "\0" + auth[1]).getBytes(StandardCharsets.UTF_8));
                code = command(in, out, "AUTH PLAIN " + plainAuth);
                if (code != 235) {
                    return new Outcome(step, code);
                }
            }
            step = "mail";
            code = command(in, out, "MAIL FROM:<" + sender + ">");
            if (code != 250) {
                return new Outcome(step, code);
            }
            step = "rcpt";
            int accepted = 0;
            int last = 0;
            for (String recipient : recipients) {
                last = command(in, out, "RCPT TO:<" + recipient + ">");
                accepted += last == 250 ? 1 : 0;
            }
            if (accepted == 0) {
                return new Outcome(step, last);
            }
            step = "data";
            code = command(in, out, "DATA");
            if (code != 354) {
                return new Outcome(step, code);
            }
            out.write(SmtpData.of(raw));
            out.flush();
            code = reply(in);
            try {
                command(in, out, "QUIT");
            } catch (IOException e) {
                // The message is in; a server closing first is fine.
            }
            return new Outcome(step, code);
        } catch (IOException | GeneralSecurityException e) {
            return new Outcome(step + " (" + e.getClass().getSimpleName() + ")", -1);
        }
    }

    private static int command(InputStream in, OutputStream out, String command) throws IOException {
        out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return reply(in);
    }

    /** Reads one reply, multi-line ones (the shaper's pregreet "220-") to their last line, and returns its code. */
    private static int reply(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
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

    private static SSLContext trustingContext() throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                // The local James's self-signed certificate, on loopback.
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return context;
    }
}
