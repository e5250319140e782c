package org.jamesshaping.filter;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

/** An in-process MongoDB wire-protocol server for tests, reached through the real driver. */
final class EmbeddedMongo implements AutoCloseable {
    private final MongoServer server = new MongoServer(H2Backend.inMemory());
    private final String uri;

    EmbeddedMongo() {
        InetSocketAddress address = server.bind();
        uri = "mongodb://" + address.getHostString() + ":" + address.getPort();
    }

    String uri() {
        return uri;
    }

    MongoConnection connection() {
        return new MongoConnection(uri, "filter_test", Duration.ofSeconds(2));
    }

    /** A URI where nothing listens: connections are refused at once. */
    static String deadUri() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return "mongodb://127.0.0.1:" + socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
