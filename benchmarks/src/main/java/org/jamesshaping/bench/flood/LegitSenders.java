package org.jamesshaping.bench.flood;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;

/**
 * Legitimate MTAs: each sender has its own loopback address and sends one ham message per connection, at a fixed
 * pace (open loop: a session that runs late delays only that sender's next one), to one valid recipient. Each
 * transaction's latency runs from the connect to the final {@code 250} after DATA. Blocking sockets on platform
 * threads: a handful of senders at a few messages a second cost nothing next to the flood's selector.
 */
final class LegitSenders {
    /** One transaction as the charts and the delivery tracker need it. */
    static final class Transaction {
        final long startNanos;
        final long latencyNanos;
        final String outcome;
        final String recipient;
        final long acceptedNanos;

        Transaction(long startNanos, long latencyNanos, String outcome, String recipient, long acceptedNanos) {
            this.startNanos = startNanos;
            this.latencyNanos = latencyNanos;
            this.outcome = outcome;
            this.recipient = recipient;
            this.acceptedNanos = acceptedNanos;
        }
    }

    static final String ACCEPTED = "accepted";
    static final String FAILED = "failed";
    static final String TIMED_OUT = "timed-out";

    private final int port;
    private final List<String> sources;
    private final List<String> recipients;
    private final List<byte[]> hams;
    private final double messagesPerSecondPerSender;
    private final int timeoutMillis;
    private final AtomicLong hamIndex = new AtomicLong();

    final Histogram latencyMicros = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
    final ConcurrentLinkedQueue<Transaction> transactions = new ConcurrentLinkedQueue<>();
    /** Every accepted transaction since {@link #start()}, recorded or not: what the mailboxes will receive. */
    final ConcurrentLinkedQueue<Transaction> allAccepted = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stop;
    private volatile boolean record;

    LegitSenders(int port, List<String> sources, List<String> recipients, List<byte[]> hams, double messagesPerSecond,
                 int timeoutMillis) {
        this.port = port;
        this.sources = sources;
        this.recipients = recipients;
        this.hams = hams;
        this.messagesPerSecondPerSender = messagesPerSecond / sources.size();
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * A few sessions per sender, unrecorded and one after the other: the JIT of a new James warms up, and each
     * address passes the pregreet test once, as a real MTA does on its first contact (later it is known good).
     */
    void warmUp(int sessionsPerSender, String recipient) throws InterruptedException {
        List<Thread> warmers = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            int sender = i;
            Thread thread = new Thread(() -> {
                for (int k = 0; k < sessionsPerSender; k++) {
                    session(sender, recipient);
                }
            }, "legit-warmup-" + i);
            thread.start();
            warmers.add(thread);
        }
        for (Thread thread : warmers) {
            thread.join();
        }
    }

    /** Starts the paced senders; nothing is recorded until {@link #startRecording()}. */
    void start() {
        long intervalNanos = (long) (1e9 / messagesPerSecondPerSender);
        long origin = System.nanoTime();
        for (int i = 0; i < sources.size(); i++) {
            int sender = i;
            // Staggered, so that the senders do not all connect in the same millisecond.
            long first = origin + intervalNanos * i / sources.size();
            Thread thread = new Thread(() -> {
                long next = first;
                while (!stop) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                        continue;
                    }
                    boolean recording = record;
                    Transaction transaction = session(sender, recipients.get(sender % recipients.size()));
                    if (transaction.outcome.equals(ACCEPTED)) {
                        allAccepted.add(transaction);
                    }
                    if (recording && record) {
                        transactions.add(transaction);
                        if (transaction.outcome.equals(ACCEPTED)) {
                            synchronized (latencyMicros) {
                                latencyMicros.recordValue(Math.min(latencyMicros.getHighestTrackableValue(),
                                    TimeUnit.NANOSECONDS.toMicros(transaction.latencyNanos)));
                            }
                        }
                    }
                    next += intervalNanos;
                }
            }, "legit-" + i);
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
    }

    void startRecording() {
        failures.clear();
        record = true;
    }

    /** Stops recording at once, then waits for the sessions under way (at most the socket timeout). */
    void stop() throws InterruptedException {
        record = false;
        stop = true;
        for (Thread thread : threads) {
            thread.join(timeoutMillis + 5000L);
        }
    }

    private Transaction session(int sender, String recipient) {
        byte[] body = hams.get((int) (hamIndex.getAndIncrement() % hams.size()));
        long start = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(sources.get(sender)), 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream(), 8192);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 65536);
            expect(in, 220, "greeting");
            command(out, "EHLO mta" + sender + ".legit.example.org");
            expect(in, 250, "EHLO");
            command(out, "MAIL FROM:<news" + sender + "@legit.example.org>");
            expect(in, 250, "MAIL FROM");
            command(out, "RCPT TO:<" + recipient + ">");
            expect(in, 250, "RCPT TO");
            command(out, "DATA");
            expect(in, 354, "DATA");
            out.write(body);
            out.flush();
            expect(in, 250, "end of DATA");
            long accepted = System.nanoTime();
            command(out, "QUIT");
            return new Transaction(start, accepted - start, ACCEPTED, recipient, accepted);
        } catch (SocketTimeoutException e) {
            failures.add(sources.get(sender) + ": timed out");
            return new Transaction(start, System.nanoTime() - start, TIMED_OUT, recipient, 0);
        } catch (IOException e) {
            failures.add(sources.get(sender) + ": " + e.getMessage());
            return new Transaction(start, System.nanoTime() - start, FAILED, recipient, 0);
        }
    }

    private static void command(OutputStream out, String command) throws IOException {
        out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads one reply (all its lines) and fails unless its code is {@code expected}. */
    private static void expect(InputStream in, int expected, String what) throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            line.setLength(0);
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new IOException(what + ": connection closed by the server");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            if (line.length() == 3 || line.length() > 3 && line.charAt(3) == ' ') {
                break;
            }
        }
        if (line.length() < 3 || !line.substring(0, 3).equals(String.valueOf(expected))) {
            throw new IOException(what + ": expected " + expected + ", got '" + line + "'");
        }
    }
}
