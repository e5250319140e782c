package org.jamesshaping.filter;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.jamesshaping.reputation.StoreSettings;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

/** Where the filters' MongoDB is and how long any operation on it may take. */
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

    /** A client whose every operation gives up after the timeout, so a MongoDB outage never blocks a caller longer. */
    public MongoClient open() {
        int millis = (int) timeout.toMillis();
        return MongoClients.create(MongoClientSettings.builder()
            .applyConnectionString(new ConnectionString(uri))
            .timeout(millis, TimeUnit.MILLISECONDS)
            .applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(millis, TimeUnit.MILLISECONDS))
            .applyToSocketSettings(socket -> socket.connectTimeout(millis, TimeUnit.MILLISECONDS))
            .build());
    }

    static String redact(String uri) {
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
