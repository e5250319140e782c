package org.jamesshaping.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A raw SMTP client bound to a chosen loopback source address (127.0.0.x), so that tests speak real SMTP as
 * distinct senders. It reads replies line by line, exactly as they come off the socket.
 */
public final class SmtpClient implements AutoCloseable {
    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    /** A reply: its code and its lines (without the code). */
    public static final class Reply {
        public final int code;
        public final List<String> lines;

        Reply(int code, List<String> lines) {
            this.code = code;
            this.lines = lines;
        }

        public String text() {
            return String.join("\n", lines);
        }

        @Override
        public String toString() {
            return code + " " + text();
        }
    }

    private SmtpClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        this.out = socket.getOutputStream();
    }

    /** Connects from {@code sourceAddress} without reading the greeting. */
    public static SmtpClient connect(String sourceAddress, int port) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(sourceAddress), 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(30_000);
        return new SmtpClient(socket);
    }

    /** Connects from {@code sourceAddress} over implicit TLS (SMTPS), without reading the greeting. */
    public static SmtpClient connectTls(String sourceAddress, int port) throws IOException {
        return connect(sourceAddress, port).upgradeToTls();
    }

    /**
     * This connection wrapped in TLS, e.g. after a 220 reply to STARTTLS; use the returned client from then on. Any
     * certificate is accepted: the test servers' is self-signed.
     */
    public SmtpClient upgradeToTls() throws IOException {
        SSLSocket tls = (SSLSocket) trustingAnyCertificate().getSocketFactory().createSocket(socket, "localhost", socket.getPort(), true);
        tls.setUseClientMode(true);
        tls.startHandshake();
        return new SmtpClient(tls);
    }

    /** A TLS client context that accepts any server certificate: the test servers' is self-signed. */
    public static SSLContext trustingAnyCertificate() throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new AnyCertificate()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    private static final class AnyCertificate implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    public Reply readReply() throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("Connection closed by the server after " + lines);
            }
            if (line.length() < 3) {
                throw new IOException("Malformed reply line: " + line);
            }
            lines.add(line.length() > 4 ? line.substring(4) : "");
            if (line.length() == 3 || line.charAt(3) == ' ') {
                return new Reply(Integer.parseInt(line.substring(0, 3)), lines);
            }
        }
    }

    public Reply command(String command) throws IOException {
        send(command + "\r\n");
        return readReply();
    }

    public void send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** True when the server has closed the connection (EOF). */
    public boolean isClosedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    /** Greeting, EHLO, one message to the recipients, QUIT. Returns the reply to the end of DATA, or the first failure. */
    public static Reply sendMail(String sourceAddress, int port, String from, List<String> recipients) throws IOException {
        return sendMail(sourceAddress, port, from, recipients, "From: <" + from + ">\nSubject: test\n\nHello from " + sourceAddress + "\n");
    }

    /** As {@link #sendMail(String, int, String, List)} with the given message (lines ended by \n; dot-stuffed here). */
    public static Reply sendMail(String sourceAddress, int port, String from, List<String> recipients, String message) throws IOException {
        try (SmtpClient client = connect(sourceAddress, port)) {
            Reply greeting = client.readReply();
            if (greeting.code != 220) {
                return greeting;
            }
            Reply ehlo = client.command("EHLO client.example.org");
            if (ehlo.code != 250) {
                return ehlo;
            }
            Reply mail = client.command("MAIL FROM:<" + from + ">");
            if (mail.code != 250) {
                return mail;
            }
            boolean anyAccepted = false;
            for (String recipient : recipients) {
                anyAccepted |= client.command("RCPT TO:<" + recipient + ">").code == 250;
            }
            if (!anyAccepted) {
                client.command("QUIT");
                return new Reply(550, List.of("no recipient accepted"));
            }
            Reply data = client.command("DATA");
            if (data.code != 354) {
                return data;
            }
            client.send(message.replace("\r\n", "\n").replace("\n", "\r\n").replace("\r\n.", "\r\n..") + "\r\n.\r\n");
            Reply accepted = client.readReply();
            client.command("QUIT");
            return accepted;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
