package org.jamesshaping.store;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

/**
 * Where a MongoDB is and how long a call to it may wait: the one way the store, the filters and the tools open a
 * client. Server selection and connecting give up after the timeout, a read after twice that, so an outage never
 * holds a caller longer; credentials in the URI are never shown.
 */
public final class MongoConnection {
    public static final String DEFAULT_URI = "mongodb://127.0.0.1:27017";
    public static final String DEFAULT_DATABASE = "james_shaping";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    private final String uri;
    private final String database;
    private final Duration timeout;

    public MongoConnection(String uri, String database, Duration timeout) {
        if (!uri.startsWith("mongodb://") && !uri.startsWith("mongodb+srv://")) {
            throw new IllegalArgumentException("a MongoDB URI starts with mongodb:// or mongodb+srv://, got '" + redact(uri) + "'");
        }
        this.uri = uri;
        this.database = database;
        this.timeout = timeout;
    }

    public static MongoConnection of(String uri) {
        return new MongoConnection(uri, DEFAULT_DATABASE, DEFAULT_TIMEOUT);
    }

    /** The extension's MongoDB, as configured once in conf/shaping.properties. */
    public static MongoConnection of(StoreSettings settings) {
        return new MongoConnection(settings.mongoUri(), settings.database(), settings.mongoTimeout());
    }

    public static MongoConnection defaults() {
        return of(DEFAULT_URI);
    }

    public String uri() {
        return uri;
    }

    public String database() {
        return database;
    }

    public Duration timeout() {
        return timeout;
    }

    public MongoClient open() {
        int millis = (int) timeout.toMillis();
        return MongoClients.create(MongoClientSettings.builder()
            .applyConnectionString(new ConnectionString(uri))
            .applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(millis, TimeUnit.MILLISECONDS))
            .applyToSocketSettings(socket -> socket.connectTimeout(millis, TimeUnit.MILLISECONDS)
                .readTimeout(millis * 2, TimeUnit.MILLISECONDS))
            .build());
    }

    /** The URI with any credentials masked, for logs and messages. */
    public static String redact(String uri) {
        return uri.replaceAll("//[^@/]*@", "//***@");
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof MongoConnection)) {
            return false;
        }
        MongoConnection that = (MongoConnection) other;
        return uri.equals(that.uri) && database.equals(that.database) && timeout.equals(that.timeout);
    }

    @Override
    public int hashCode() {
        return (uri.hashCode() * 31 + database.hashCode()) * 31 + timeout.hashCode();
    }

    @Override
    public String toString() {
        return redact(uri) + "/" + database;
    }
}
