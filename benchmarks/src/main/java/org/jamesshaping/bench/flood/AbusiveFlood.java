package org.jamesshaping.bench.flood;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The flood: many parallel spam connections driven by one thread and a {@link Selector}, so that the load tool
 * stays cheap whatever the server makes them wait. Each {@link Group} is a kind of abusive sender on a /24 of its
 * own; every connection sends spam (spam-1) to a few recipients, mostly unknown, as fast as the server answers,
 * up to {@link #MESSAGES_PER_CONNECTION} messages, then reconnects. A connection that waits longer than the
 * abusive client's patience for a reply gives up and reconnects; one refused at its greeting (421, 554, closed)
 * reconnects after the retry delay (0: at once, a reconnection storm).
 */
final class AbusiveFlood implements Runnable {
    static final int MESSAGES_PER_CONNECTION = 10;
    static final int RECIPIENTS_PER_MESSAGE = 5;

    /** How a group behaves. */
    enum Style {
        /** Waits for every reply, few addresses with many connections each. */
        LOCKSTEP,
        /** Waits for every reply, a new address of its /24 for every connection. */
        ROTATING,
        /** Sends EHLO as soon as connected, before the greeting. */
        EARLY_TALKER,
        /** After the greeting, EHLO, MAIL, RCPTs and DATA in one write, without waiting for replies. */
        PIPELINER,
        /** Lockstep, and one recipient of every message is a spamtrap. */
        SPAMTRAP
    }

    /** A kind of abusive sender: its addresses, its style, its share of the connections. */
    static final class Group {
        final String name;
        final Style style;
        final String[] addresses;
        final int connections;
        final AtomicLong accepted = new AtomicLong();
        /** When each connection slot refused by the server may connect again (nanoTime), oldest first. */
        final ArrayDeque<Long> retries = new ArrayDeque<>();
        int nextAddress;

        Group(String name, Style style, String[] addresses, int connections) {
            this.name = name;
            this.style = style;
            this.addresses = addresses;
            this.connections = connections;
        }

        String nextSource() {
            String source = addresses[nextAddress];
            nextAddress = (nextAddress + 1) % addresses.length;
            return source;
        }
    }

    private static final int CONNECTING = 0;
    private static final int GREETING = 1;
    private static final int EHLO = 2;
    private static final int MAIL = 3;
    private static final int RCPT = 4;
    private static final int DATA = 5;
    private static final int BODY = 6;
    private static final int PIPELINED = 7;

    private final InetSocketAddress server;
    private final List<Group> groups;
    private final List<byte[]> spams;
    private final String[] validTargets;
    private final String spamtrap;
    private final long patienceNanos;
    private final long retryNanos;
    private final Selector selector;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(65536);
    private final long startNanos = System.nanoTime();
    private volatile boolean stop;
    private int spamIndex;
    private long unknownIndex;

    final AtomicLong messagesAccepted = new AtomicLong();
    final AtomicLong bytesAccepted = new AtomicLong();
    final AtomicLong messagesRefused = new AtomicLong();
    final AtomicLong recipientsAccepted = new AtomicLong();
    final AtomicLong recipientsRejected = new AtomicLong();
    final AtomicLong connectionsOpened = new AtomicLong();
    final AtomicLong connectFailures = new AtomicLong();
    final AtomicLong gaveUp = new AtomicLong();
    final AtomicLong closedByServer = new AtomicLong();
    final AtomicLong refusedAtConnect = new AtomicLong();
    final AtomicInteger open = new AtomicInteger();
    /** Messages accepted in each second since the start (index: second). */
    final AtomicLongArray acceptedPerSecond;
    final Set<String> sourcesUsed = ConcurrentHashMap.newKeySet();
    volatile Throwable failure;

    private final class Conn {
        final Group group;
        final SocketChannel channel;
        final String source;
        int state = CONNECTING;
        boolean refused;
        long lastProgressNanos = System.nanoTime();
        final StringBuilder line = new StringBuilder();
        ByteBuffer pending;
        int messages;
        int rcptIndex;
        int rcptAccepted;
        int pipelinedReplies;
        int bodyBytes;
        String[] recipients;

        Conn(Group group, SocketChannel channel, String source) {
            this.group = group;
            this.channel = channel;
            this.source = source;
        }
    }

    AbusiveFlood(int port, List<Group> groups, List<byte[]> spams, String[] validTargets, String spamtrap, int patienceSeconds,
                 int retryMillis, int maxSeconds) throws IOException {
        this.server = new InetSocketAddress("127.0.0.1", port);
        this.groups = groups;
        this.spams = spams;
        this.validTargets = validTargets;
        this.spamtrap = spamtrap;
        this.patienceNanos = TimeUnit.SECONDS.toNanos(patienceSeconds);
        this.retryNanos = TimeUnit.MILLISECONDS.toNanos(retryMillis);
        this.selector = Selector.open();
        this.acceptedPerSecond = new AtomicLongArray(maxSeconds + 120);
    }

    void stop() {
        stop = true;
        selector.wakeup();
    }

    int secondsSinceStart() {
        return (int) TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
    }

    @Override
    public void run() {
        int[] live = new int[groups.size()];
        List<Conn> all = new ArrayList<>();
        long lastSweep = System.nanoTime();
        try {
            while (!stop) {
                // Top each group up to its connections, a bounded number of connects at a time (the accept backlog).
                int connecting = 0;
                for (Conn conn : all) {
                    if (conn.state == CONNECTING) {
                        connecting++;
                    }
                }
                long turn = System.nanoTime();
                for (int g = 0; g < groups.size(); g++) {
                    Group group = groups.get(g);
                    while (!group.retries.isEmpty() && group.retries.peekFirst() <= turn) {
                        group.retries.pollFirst();
                        live[g]--;
                    }
                }
                // One connection per group in turn, so that a big group does not take every connect of the turn.
                boolean opened = true;
                while (opened && connecting < 64) {
                    opened = false;
                    for (int g = 0; g < groups.size() && connecting < 64; g++) {
                        if (live[g] < groups.get(g).connections) {
                            Conn conn = open(groups.get(g));
                            if (conn != null) {
                                all.add(conn);
                                live[g]++;
                                connecting++;
                                opened = true;
                            }
                        }
                    }
                }
                selector.select(50);
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    Conn conn = (Conn) key.attachment();
                    try {
                        if (!key.isValid()) {
                            continue;
                        }
                        if (key.isConnectable()) {
                            connected(conn, key);
                        } else {
                            if (key.isWritable()) {
                                flush(conn, key);
                            }
                            if (key.isValid() && key.isReadable()) {
                                read(conn, key);
                            }
                        }
                    } catch (IOException e) {
                        close(conn, key);
                    }
                }
                long now = System.nanoTime();
                if (now - lastSweep > TimeUnit.MILLISECONDS.toNanos(500)) {
                    lastSweep = now;
                    for (Conn conn : all) {
                        if (conn.channel.isOpen() && now - conn.lastProgressNanos > patienceNanos) {
                            gaveUp.incrementAndGet();
                            close(conn, conn.channel.keyFor(selector));
                        }
                    }
                }
                // Closed connections leave the list; their slot is taken again at the next turn, or after the retry
                // delay when the server refused the connection at its greeting.
                Iterator<Conn> it = all.iterator();
                while (it.hasNext()) {
                    Conn conn = it.next();
                    if (!conn.channel.isOpen()) {
                        it.remove();
                        if (conn.refused && retryNanos > 0) {
                            conn.group.retries.addLast(now + retryNanos);
                        } else {
                            live[groups.indexOf(conn.group)]--;
                        }
                    }
                }
            }
        } catch (Throwable e) {
            failure = e;
        } finally {
            for (Conn conn : all) {
                close(conn, conn.channel.keyFor(selector));
            }
            try {
                selector.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    private Conn open(Group group) {
        String source = group.nextSource();
        try {
            SocketChannel channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
            Conn conn = new Conn(group, channel, source);
            boolean done = channel.connect(server);
            SelectionKey key = channel.register(selector, done ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, conn);
            open.incrementAndGet();
            connectionsOpened.incrementAndGet();
            sourcesUsed.add(source);
            if (done) {
                connected(conn, key);
            }
            return conn;
        } catch (IOException e) {
            connectFailures.incrementAndGet();
            return null;
        }
    }

    private void connected(Conn conn, SelectionKey key) throws IOException {
        if (!conn.channel.finishConnect()) {
            return;
        }
        conn.lastProgressNanos = System.nanoTime();
        conn.state = GREETING;
        key.interestOps(SelectionKey.OP_READ);
        if (conn.group.style == Style.EARLY_TALKER) {
            write(conn, key, ascii("EHLO talker.spam.example\r\n"));
        }
    }

    private void read(Conn conn, SelectionKey key) throws IOException {
        readBuffer.clear();
        int n = conn.channel.read(readBuffer);
        if (n < 0) {
            closedByServer.incrementAndGet();
            if (conn.state == GREETING) {
                refusedAtConnect.incrementAndGet();
                conn.refused = true;
            }
            close(conn, key);
            return;
        }
        readBuffer.flip();
        while (readBuffer.hasRemaining() && conn.channel.isOpen()) {
            char c = (char) (readBuffer.get() & 0xff);
            if (c == '\n') {
                String line = conn.line.toString();
                conn.line.setLength(0);
                if (line.length() >= 3 && (line.length() == 3 || line.charAt(3) == ' ')) {
                    conn.lastProgressNanos = System.nanoTime();
                    reply(conn, key, parseCode(line));
                }
            } else if (c != '\r' && conn.line.length() < 1024) {
                conn.line.append(c);
            }
        }
    }

    private static int parseCode(String line) {
        try {
            return Integer.parseInt(line.substring(0, 3));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private void reply(Conn conn, SelectionKey key, int code) throws IOException {
        switch (conn.state) {
            case GREETING:
                if (code != 220) {
                    refusedAtConnect.incrementAndGet();
                    conn.refused = true;
                    quit(conn, key);
                } else if (conn.group.style == Style.EARLY_TALKER) {
                    conn.state = EHLO;
                } else if (conn.group.style == Style.PIPELINER) {
                    pipeline(conn, key, "EHLO pipe.spam.example\r\n");
                } else {
                    conn.state = EHLO;
                    write(conn, key, ascii("EHLO " + conn.group.name + ".spam.example\r\n"));
                }
                break;
            case EHLO:
                if (code != 250) {
                    quit(conn, key);
                } else {
                    mail(conn, key);
                }
                break;
            case MAIL:
                if (code != 250) {
                    quit(conn, key);
                } else {
                    conn.state = RCPT;
                    write(conn, key, ascii("RCPT TO:<" + conn.recipients[0] + ">\r\n"));
                }
                break;
            case RCPT:
                recipient(conn, code);
                conn.rcptIndex++;
                if (code == 421) {
                    quit(conn, key);
                } else if (conn.rcptIndex < conn.recipients.length) {
                    write(conn, key, ascii("RCPT TO:<" + conn.recipients[conn.rcptIndex] + ">\r\n"));
                } else if (conn.rcptAccepted == 0) {
                    quit(conn, key);
                } else {
                    conn.state = DATA;
                    write(conn, key, ascii("DATA\r\n"));
                }
                break;
            case PIPELINED:
                // Replies in order: EHLO, MAIL FROM, each RCPT TO, DATA.
                int index = conn.pipelinedReplies++;
                if (index >= 2 && index < 2 + conn.recipients.length) {
                    recipient(conn, code);
                } else if (index == 2 + conn.recipients.length) {
                    if (code == 354) {
                        body(conn, key);
                    } else {
                        quit(conn, key);
                    }
                } else if (code == 421) {
                    quit(conn, key);
                }
                break;
            case DATA:
                if (code == 354) {
                    body(conn, key);
                } else {
                    quit(conn, key);
                }
                break;
            case BODY:
                if (code == 250) {
                    messagesAccepted.incrementAndGet();
                    bytesAccepted.addAndGet(conn.bodyBytes);
                    conn.group.accepted.incrementAndGet();
                    int second = secondsSinceStart();
                    if (second < acceptedPerSecond.length()) {
                        acceptedPerSecond.incrementAndGet(second);
                    }
                } else {
                    messagesRefused.incrementAndGet();
                }
                conn.messages++;
                if (code == 250 && conn.messages < MESSAGES_PER_CONNECTION) {
                    if (conn.group.style == Style.PIPELINER) {
                        // Pipelines the next transaction too (the EHLO reply is not expected again).
                        pipeline(conn, key, "");
                    } else {
                        mail(conn, key);
                    }
                } else {
                    quit(conn, key);
                }
                break;
            default:
                break;
        }
    }

    /**
     * Writes {@code prefix} (the EHLO of a new connection, or nothing), MAIL FROM, every RCPT TO and DATA at once;
     * replies are then counted as if the EHLO one came first.
     */
    private void pipeline(Conn conn, SelectionKey key, String prefix) throws IOException {
        newMessage(conn);
        StringBuilder burst = new StringBuilder(prefix);
        burst.append("MAIL FROM:<offers@").append(conn.group.name).append(".spam.example>\r\n");
        for (String recipient : conn.recipients) {
            burst.append("RCPT TO:<").append(recipient).append(">\r\n");
        }
        burst.append("DATA\r\n");
        conn.state = PIPELINED;
        conn.pipelinedReplies = prefix.isEmpty() ? 1 : 0;
        write(conn, key, ascii(burst.toString()));
    }

    private void recipient(Conn conn, int code) {
        if (code == 250 || code == 251) {
            conn.rcptAccepted++;
            recipientsAccepted.incrementAndGet();
        } else {
            recipientsRejected.incrementAndGet();
        }
    }

    private void mail(Conn conn, SelectionKey key) throws IOException {
        newMessage(conn);
        conn.state = MAIL;
        write(conn, key, ascii("MAIL FROM:<offers@" + conn.group.name + ".spam.example>\r\n"));
    }

    /** Recipients of the next message: one valid user (or a spamtrap for that group), the rest unknown. */
    private void newMessage(Conn conn) {
        String[] recipients = new String[RECIPIENTS_PER_MESSAGE];
        recipients[0] = validTargets[(int) (unknownIndex % validTargets.length)];
        int from = 1;
        if (conn.group.style == Style.SPAMTRAP) {
            recipients[1] = spamtrap;
            from = 2;
        }
        for (int i = from; i < recipients.length; i++) {
            recipients[i] = "nobody" + (unknownIndex++ % 100_000) + "@james.local";
        }
        conn.recipients = recipients;
        conn.rcptIndex = 0;
        conn.rcptAccepted = 0;
    }

    private void body(Conn conn, SelectionKey key) throws IOException {
        byte[] spam = spams.get(spamIndex++ % spams.size());
        conn.bodyBytes = spam.length;
        conn.state = BODY;
        write(conn, key, ByteBuffer.wrap(spam));
    }

    private void quit(Conn conn, SelectionKey key) throws IOException {
        if (conn.pending == null) {
            try {
                conn.channel.write(ascii("QUIT\r\n"));
            } catch (IOException e) {
                // closing anyway
            }
        }
        close(conn, key);
    }

    private void write(Conn conn, SelectionKey key, ByteBuffer data) throws IOException {
        if (conn.pending != null) {
            ByteBuffer joined = ByteBuffer.allocate(conn.pending.remaining() + data.remaining());
            joined.put(conn.pending).put(data).flip();
            conn.pending = joined;
        } else {
            conn.channel.write(data);
            if (data.hasRemaining()) {
                conn.pending = data;
            }
        }
        key.interestOps(conn.pending != null ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    private void flush(Conn conn, SelectionKey key) throws IOException {
        if (conn.pending != null) {
            int written = conn.channel.write(conn.pending);
            if (written > 0) {
                conn.lastProgressNanos = System.nanoTime();
            }
            if (!conn.pending.hasRemaining()) {
                conn.pending = null;
            }
        }
        key.interestOps(conn.pending != null ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    private void close(Conn conn, SelectionKey key) {
        if (conn.channel.isOpen()) {
            open.decrementAndGet();
        }
        if (key != null) {
            key.cancel();
        }
        try {
            conn.channel.close();
        } catch (IOException e) {
            // closing
        }
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }
}
