package org.jamesshaping.launcher;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

/**
 * A MongoDB wire-protocol server in this JVM (mongo-java-server), for the local run and the tests: no mongod is
 * needed. With a file it persists through H2, so reputation survives a restart. It is a stand-in: the
 * extension only uses what real MongoDB does the same way, and real MongoDB is what production runs.
 */
public final class EmbeddedMongo implements AutoCloseable {
    private final Path file;
    private MongoServer server;
    private H2Backend backend;
    private int port;

    private EmbeddedMongo(Path file) {
        this.file = file;
    }

    /** Persistent, in an H2 file. */
    public static EmbeddedMongo persistent(Path file) {
        return new EmbeddedMongo(file);
    }

    /** In memory; lost on stop. */
    public static EmbeddedMongo inMemory() {
        return new EmbeddedMongo(null);
    }

    /** Starts on 127.0.0.1, on {@code port} or, with 0, a free port. */
    public synchronized EmbeddedMongo start(int port) throws Exception {
        if (file != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        backend = file == null ? H2Backend.inMemory() : new H2Backend(file.toAbsolutePath().toString());
        server = new MongoServer(backend);
        // Port 0: the kernel's choice, read back, so that no other socket can take it in between.
        server.bind(new InetSocketAddress("127.0.0.1", port));
        this.port = server.getLocalAddress().getPort();
        return this;
    }

    /** Stops answering, as a crashed or unreachable MongoDB would; {@link #start(int)} brings it back on the same port. */
    public synchronized void stop() {
        if (server != null) {
            // As a mongod on SIGTERM: what was acknowledged is on disk (H2 otherwise commits lazily).
            backend.commit();
            server.shutdown();
            server = null;
        }
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "mongodb://127.0.0.1:" + port();
    }

    @Override
    public void close() {
        stop();
    }
}
