package org.jamesshaping.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

/**
 * A MongoDB wire-protocol server in this JVM (mongo-java-server), reached through the real driver: the one way
 * the local run, the tests and the benchmarks start an embedded store. With a file it persists through H2, so
 * what was written survives {@link #stop()} and {@link #start()} (an outage) and a restart of the local run.
 * It is a stand-in: the extension only relies on what a real MongoDB 7 does the same way.
 */
public final class EmbeddedMongo implements AutoCloseable {
    private final Path file;
    private MongoServer server;
    private H2Backend backend;
    private int port;

    private EmbeddedMongo(Path file) {
        this.file = file;
    }

    /** Persistent, in an H2 file: survives {@link #stop()}. */
    public static EmbeddedMongo persistent(Path file) {
        return new EmbeddedMongo(file);
    }

    /** In memory; what it held is lost on {@link #stop()}. */
    public static EmbeddedMongo inMemory() {
        return new EmbeddedMongo(null);
    }

    /** Started in memory on a free port. */
    public static EmbeddedMongo startInMemory() {
        return inMemory().start();
    }

    /**
     * Starts on 127.0.0.1 on {@code port}, or with 0 on a port the kernel picks (read back, so that no other socket
     * can take it in between).
     */
    public synchronized EmbeddedMongo start(int port) {
        if (server != null) {
            throw new IllegalStateException("already started on port " + this.port);
        }
        if (file != null) {
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        backend = file == null ? H2Backend.inMemory() : new H2Backend(file.toAbsolutePath().toString());
        server = new MongoServer(backend);
        server.bind(new InetSocketAddress("127.0.0.1", port));
        this.port = server.getLocalAddress().getPort();
        return this;
    }

    /** Starts for the first time on a free port, or again on the port it had: an outage ends. */
    public EmbeddedMongo start() {
        return start(port);
    }

    /** Stops answering, as a crashed or unreachable MongoDB would; {@link #start()} brings it back on the same port. */
    public synchronized void stop() {
        if (server != null) {
            if (file != null) {
                // As a mongod on SIGTERM: what was acknowledged is on disk (H2 otherwise commits lazily).
                backend.commit();
                server.shutdown();
            } else {
                server.shutdownNow();
            }
            server = null;
        }
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "mongodb://127.0.0.1:" + port;
    }

    /** A URI where nothing listens: connections are refused at once. */
    public static String deadUri() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return "mongodb://127.0.0.1:" + socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
