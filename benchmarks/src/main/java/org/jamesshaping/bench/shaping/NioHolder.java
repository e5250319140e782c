package org.jamesshaping.bench.shaping;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Opens and holds many SMTP connections from one thread with a {@link Selector}: each connects from its own
 * loopback source address, waits for the (tarpitted) greeting, sends EHLO, then NOOP after every reply until told
 * to stop; connects are paced so that the server's accept backlog never overflows. Bounded in time by
 * {@code maxRunNanos}.
 */
final class NioHolder implements Runnable {
    private static final int CONNECTING = 0;
    private static final int GREETING = 1;
    private static final int EHLO = 2;
    private static final int NOOP = 3;
    private static final int CLOSED = 4;
    private static final byte[] EHLO_COMMAND = "EHLO held.example.org\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NOOP_COMMAND = "NOOP\r\n".getBytes(StandardCharsets.US_ASCII);

    private final InetSocketAddress server;
    private final String[] sources;
    private final double connectsPerSecond;
    private final int maxConnecting;
    private final long maxRunNanos;
    private final Selector selector;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(16384);

    final AtomicInteger connected = new AtomicInteger();
    final AtomicInteger greeted = new AtomicInteger();
    final AtomicInteger open = new AtomicInteger();
    final AtomicInteger failedConnects = new AtomicInteger();
    final AtomicInteger closedByServer = new AtomicInteger();
    final AtomicLong noopReplies = new AtomicLong();
    final Map<String, AtomicInteger> unexpected = new ConcurrentHashMap<>();
    /** Connect to 220, per connection, nanoseconds (0 until greeted). */
    final long[] greetingNanos;
    volatile boolean sendNoops = true;
    private volatile boolean closeAll;
    volatile Throwable failure;

    private static final class Conn {
        final int index;
        final SocketChannel channel;
        int state = CONNECTING;
        long startNanos;
        byte[] buffer = new byte[512];
        int length;
        ByteBuffer pendingWrite;

        Conn(int index, SocketChannel channel) {
            this.index = index;
            this.channel = channel;
        }
    }

    NioHolder(InetSocketAddress server, String[] sources, double connectsPerSecond, int maxConnecting, long maxRunNanos) throws IOException {
        this.server = server;
        this.sources = sources;
        this.connectsPerSecond = connectsPerSecond;
        this.maxConnecting = maxConnecting;
        this.maxRunNanos = maxRunNanos;
        this.greetingNanos = new long[sources.length];
        this.selector = Selector.open();
    }

    void closeAll() {
        closeAll = true;
        selector.wakeup();
    }

    @Override
    public void run() {
        long start = System.nanoTime();
        int started = 0;
        int connecting = 0;
        try {
            while (!closeAll && System.nanoTime() - start < maxRunNanos) {
                long elapsed = System.nanoTime() - start;
                long allowed = Math.min(sources.length, (long) (elapsed / 1e9 * connectsPerSecond) + 1);
                while (started < allowed && connecting < maxConnecting) {
                    if (openOne(started)) {
                        connecting++;
                    }
                    started++;
                }
                selector.select(started < sources.length ? 5 : 200);
                var iterator = selector.selectedKeys().iterator();
                while (iterator.hasNext()) {
                    SelectionKey key = iterator.next();
                    iterator.remove();
                    Conn conn = (Conn) key.attachment();
                    if (!key.isValid()) {
                        continue;
                    }
                    try {
                        if (key.isConnectable()) {
                            connecting--;
                            if (conn.channel.finishConnect()) {
                                connected.incrementAndGet();
                                conn.state = GREETING;
                                key.interestOps(SelectionKey.OP_READ);
                            }
                            continue;
                        }
                        if (key.isWritable()) {
                            flush(conn, key);
                        }
                        if (key.isReadable()) {
                            read(conn, key);
                        }
                    } catch (IOException e) {
                        if (conn.state == CONNECTING) {
                            failedConnects.incrementAndGet();
                        } else {
                            unexpected.computeIfAbsent("I/O error: " + e.getMessage(), k -> new AtomicInteger()).incrementAndGet();
                        }
                        close(conn, key);
                    }
                }
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            for (SelectionKey key : selector.keys()) {
                try {
                    key.channel().close();
                } catch (IOException e) {
                    // closing
                }
            }
            open.set(0);
            try {
                selector.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    private boolean openOne(int index) {
        try {
            SocketChannel channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.bind(new InetSocketAddress(InetAddress.getByName(sources[index]), 0));
            Conn conn = new Conn(index, channel);
            conn.startNanos = System.nanoTime();
            open.incrementAndGet();
            if (channel.connect(server)) {
                connected.incrementAndGet();
                conn.state = GREETING;
                channel.register(selector, SelectionKey.OP_READ, conn);
                return false;
            }
            channel.register(selector, SelectionKey.OP_CONNECT, conn);
            return true;
        } catch (IOException e) {
            failedConnects.incrementAndGet();
            unexpected.computeIfAbsent("connect: " + e.getMessage(), k -> new AtomicInteger()).incrementAndGet();
            return false;
        }
    }

    private void read(Conn conn, SelectionKey key) throws IOException {
        readBuffer.clear();
        int n = conn.channel.read(readBuffer);
        if (n < 0) {
            closedByServer.incrementAndGet();
            close(conn, key);
            return;
        }
        readBuffer.flip();
        if (conn.length + n > conn.buffer.length) {
            conn.buffer = java.util.Arrays.copyOf(conn.buffer, Math.max(conn.buffer.length * 2, conn.length + n));
        }
        readBuffer.get(conn.buffer, conn.length, n);
        conn.length += n;
        int code;
        while ((code = takeReply(conn)) > 0) {
            onReply(conn, key, code);
            if (conn.state == CLOSED) {
                return;
            }
        }
    }

    /** Removes one complete reply from the connection's buffer and returns its code, or 0 if none is complete. */
    private static int takeReply(Conn conn) {
        int lineStart = 0;
        for (int i = 0; i < conn.length; i++) {
            if (conn.buffer[i] != '\n') {
                continue;
            }
            boolean last = i - lineStart < 5 || conn.buffer[lineStart + 3] == ' ';
            if (last) {
                int code = (conn.buffer[lineStart] - '0') * 100 + (conn.buffer[lineStart + 1] - '0') * 10 + (conn.buffer[lineStart + 2] - '0');
                int consumed = i + 1;
                System.arraycopy(conn.buffer, consumed, conn.buffer, 0, conn.length - consumed);
                conn.length -= consumed;
                return code;
            }
            lineStart = i + 1;
        }
        return 0;
    }

    private void onReply(Conn conn, SelectionKey key, int code) throws IOException {
        switch (conn.state) {
            case GREETING:
                if (code != 220) {
                    unexpected(conn, key, "greeting " + code);
                    return;
                }
                greetingNanos[conn.index] = System.nanoTime() - conn.startNanos;
                greeted.incrementAndGet();
                conn.state = EHLO;
                write(conn, key, EHLO_COMMAND);
                break;
            case EHLO:
                if (code != 250) {
                    unexpected(conn, key, "EHLO " + code);
                    return;
                }
                conn.state = NOOP;
                if (sendNoops) {
                    write(conn, key, NOOP_COMMAND);
                }
                break;
            case NOOP:
                if (code != 250) {
                    unexpected(conn, key, "NOOP " + code);
                    return;
                }
                noopReplies.incrementAndGet();
                if (sendNoops) {
                    write(conn, key, NOOP_COMMAND);
                }
                break;
            default:
                break;
        }
    }

    private void unexpected(Conn conn, SelectionKey key, String what) {
        unexpected.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
        close(conn, key);
    }

    private void write(Conn conn, SelectionKey key, byte[] command) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(command);
        conn.channel.write(buffer);
        if (buffer.hasRemaining()) {
            conn.pendingWrite = buffer;
            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
    }

    private void flush(Conn conn, SelectionKey key) throws IOException {
        if (conn.pendingWrite != null) {
            conn.channel.write(conn.pendingWrite);
            if (!conn.pendingWrite.hasRemaining()) {
                conn.pendingWrite = null;
                key.interestOps(SelectionKey.OP_READ);
            }
        }
    }

    private void close(Conn conn, SelectionKey key) {
        if (conn.state == CLOSED) {
            return;
        }
        conn.state = CLOSED;
        open.decrementAndGet();
        key.cancel();
        try {
            conn.channel.close();
        } catch (IOException e) {
            // closing
        }
    }

    static long seconds(long nanos) {
        return TimeUnit.NANOSECONDS.toSeconds(nanos);
    }
}
