package org.jamesshaping.store;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.jamesshaping.runtime.Durations;
import org.jamesshaping.runtime.KnownKeys;
import org.jamesshaping.scoring.ScoringConfigReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reputation store's settings, read from {@code conf/shaping.properties} (every key is documented in the
 * sample file shipped in {@code james-conf/}). Bad values fail James's startup with the key named.
 */
public final class StoreSettings {
    private static final Logger LOGGER = LoggerFactory.getLogger(StoreSettings.class);
    public static final String DEFAULT_URI = "mongodb://127.0.0.1:27017";
    /** Where the last good copy of the operator statuses is kept, under James's {@code var/} unless absolute. */
    public static final String DEFAULT_STATUS_COPY = "shaping/operator-statuses.json";
    public static final int DEFAULT_CACHE_LOAD_QUEUE = 10_000;
    /** A known-spam fingerprint neither matched nor reported for this long is removed; zero: never. */
    public static final Duration DEFAULT_FINGERPRINT_UNSEEN_EXPIRY = Duration.ofDays(180);

    private final String mongoUri;
    private final String database;
    private final Duration mongoTimeout;
    private final long cacheSize;
    private final Duration refreshInterval;
    private final Duration flushInterval;
    private final int bufferMaxKeys;
    private final HalfLife halfLife;
    private final Duration retention;
    private final Optional<Path> statusCopy;
    private final int cacheLoadQueue;
    private final Duration fingerprintUnseenExpiry;

    public StoreSettings(String mongoUri, String database, Duration mongoTimeout, long cacheSize, Duration refreshInterval,
                         Duration flushInterval, int bufferMaxKeys, HalfLife halfLife, Duration retention) {
        this(mongoUri, database, mongoTimeout, cacheSize, refreshInterval, flushInterval, bufferMaxKeys, halfLife, retention,
            Optional.empty(), DEFAULT_CACHE_LOAD_QUEUE, DEFAULT_FINGERPRINT_UNSEEN_EXPIRY);
    }

    private StoreSettings(String mongoUri, String database, Duration mongoTimeout, long cacheSize, Duration refreshInterval,
                          Duration flushInterval, int bufferMaxKeys, HalfLife halfLife, Duration retention,
                          Optional<Path> statusCopy, int cacheLoadQueue, Duration fingerprintUnseenExpiry) {
        this.fingerprintUnseenExpiry = fingerprintUnseenExpiry;
        this.statusCopy = statusCopy;
        this.cacheLoadQueue = cacheLoadQueue;
        this.mongoUri = mongoUri;
        this.database = database;
        this.mongoTimeout = mongoTimeout;
        this.cacheSize = cacheSize;
        this.refreshInterval = refreshInterval;
        this.flushInterval = flushInterval;
        this.bufferMaxKeys = bufferMaxKeys;
        this.halfLife = halfLife;
        this.retention = retention;
    }

    public static StoreSettings defaults(String mongoUri) {
        return new StoreSettings(mongoUri, "james_shaping", Duration.ofSeconds(2), 100_000, Duration.ofSeconds(5),
            Duration.ofSeconds(1), 100_000, new HalfLife(Duration.ofDays(7)), Duration.ofDays(30));
    }

    /** Every key of shaping.properties: the store's, the scoring's and WebAdmin's ({@code admin.*}). */
    public static final KnownKeys SHAPING_PROPERTIES = new KnownKeys("conf/shaping.properties", allKeys());

    private static List<String> allKeys() {
        List<String> keys = new ArrayList<>(List.of("mongo.uri", "mongo.database", "mongo.timeout", "cache.size",
            "cache.refresh.interval", "cache.load.queue", "flush.interval", "buffer.max.keys", "status.copy.file",
            "decay.half.life", "retention", "fingerprint.unseen.expiry",
            "admin.allowed.origins", "admin.status.min.prefix.ipv4", "admin.status.min.prefix.ipv6"));
        keys.addAll(ScoringConfigReader.keys());
        return keys;
    }

    /** Warns once per key of shaping.properties that nothing reads (a slip would otherwise leave its default on). */
    public static List<String> warnUnknownKeys(Configuration conf) {
        List<String> keys = new ArrayList<>();
        conf.getKeys().forEachRemaining(keys::add);
        return SHAPING_PROPERTIES.warnUnknown(LOGGER, keys);
    }

    /** @param varDirectory James's {@code var/}, under which a relative {@code status.copy.file} is kept */
    public static StoreSettings from(Configuration conf, Path varDirectory) throws ConfigurationException {
        String copy = conf.getString("status.copy.file", DEFAULT_STATUS_COPY).trim();
        Optional<Path> statusCopy;
        try {
            Path path = copy.isEmpty() || "none".equals(copy) ? null : Path.of(copy);
            statusCopy = Optional.ofNullable(path == null || path.isAbsolute() || varDirectory == null ? path
                : varDirectory.resolve(path));
        } catch (InvalidPathException e) {
            throw new ConfigurationException("shaping.properties: status.copy.file is not a path: '" + copy + "'");
        }
        StoreSettings settings = new StoreSettings(
            conf.getString("mongo.uri", DEFAULT_URI).trim(),
            conf.getString("mongo.database", "james_shaping").trim(),
            duration(conf, "mongo.timeout", "2s"),
            positiveLong(conf, "cache.size", 100_000),
            duration(conf, "cache.refresh.interval", "5s"),
            duration(conf, "flush.interval", "1s"),
            (int) positiveLong(conf, "buffer.max.keys", 100_000),
            halfLife(conf),
            duration(conf, "retention", "30d"),
            statusCopy,
            (int) positiveLong(conf, "cache.load.queue", DEFAULT_CACHE_LOAD_QUEUE),
            durationOrZero(conf, "fingerprint.unseen.expiry", "180d"));
        if (!settings.mongoUri.startsWith("mongodb://") && !settings.mongoUri.startsWith("mongodb+srv://")) {
            throw new ConfigurationException("shaping.properties: mongo.uri must start with mongodb:// or mongodb+srv://, got '"
                + settings.mongoUri + "'");
        }
        if (settings.flushInterval.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new ConfigurationException("shaping.properties: flush.interval must be at most 1s so that the fleet "
                + "sees updates quickly, got " + settings.flushInterval);
        }
        if (settings.retention.compareTo(settings.halfLife.duration()) < 0) {
            throw new ConfigurationException("shaping.properties: retention (" + settings.retention
                + ") must be at least decay.half.life (" + settings.halfLife.duration() + ")");
        }
        return settings;
    }

    private static HalfLife halfLife(Configuration conf) throws ConfigurationException {
        Duration duration = duration(conf, "decay.half.life", "7d");
        try {
            return new HalfLife(duration);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("shaping.properties: decay.half.life: " + e.getMessage());
        }
    }

    static Duration duration(Configuration conf, String key, String defaultValue) throws ConfigurationException {
        String raw = conf.getString(key, defaultValue).trim();
        Duration duration;
        try {
            duration = Durations.parse(raw, ChronoUnit.SECONDS);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("shaping.properties: " + key + ": " + e.getMessage());
        }
        if (duration.isZero()) {
            throw new ConfigurationException("shaping.properties: " + key + " must be positive, got '" + raw + "'");
        }
        return duration;
    }

    private static long positiveLong(Configuration conf, String key, long defaultValue) throws ConfigurationException {
        String raw = conf.getString(key, String.valueOf(defaultValue)).trim();
        try {
            long value = Long.parseLong(raw);
            if (value <= 0) {
                throw new ConfigurationException("shaping.properties: " + key + " must be positive, got " + value);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new ConfigurationException("shaping.properties: " + key + " is not a number: '" + raw + "'");
        }
    }

    private static Duration durationOrZero(Configuration conf, String key, String defaultValue) throws ConfigurationException {
        try {
            return Durations.parse(conf.getString(key, defaultValue), ChronoUnit.SECONDS);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("shaping.properties: " + key + ": " + e.getMessage());
        }
    }

    public StoreSettings withMongoUri(String uri) {
        return with(draft -> draft.mongoUri = uri);
    }

    public StoreSettings withDatabase(String name) {
        return with(draft -> draft.database = name);
    }

    public StoreSettings withTimeout(Duration timeout) {
        return with(draft -> draft.mongoTimeout = timeout);
    }

    public StoreSettings withIntervals(Duration refresh, Duration flush) {
        return with(draft -> {
            draft.refreshInterval = refresh;
            draft.flushInterval = flush;
        });
    }

    public StoreSettings withHalfLife(HalfLife value) {
        return with(draft -> draft.halfLife = value);
    }

    public StoreSettings withBufferMaxKeys(int keys) {
        return with(draft -> draft.bufferMaxKeys = keys);
    }

    public StoreSettings withStatusCopy(Path file) {
        return with(draft -> draft.statusCopy = Optional.of(file));
    }

    public StoreSettings withCacheLoadQueue(int addresses) {
        return with(draft -> draft.cacheLoadQueue = addresses);
    }

    /** The fields of a copy being made: each {@code with...} method changes one and copies the rest. */
    private static final class Draft {
        String mongoUri;
        String database;
        Duration mongoTimeout;
        long cacheSize;
        Duration refreshInterval;
        Duration flushInterval;
        int bufferMaxKeys;
        HalfLife halfLife;
        Duration retention;
        Optional<Path> statusCopy;
        int cacheLoadQueue;
        Duration fingerprintUnseenExpiry;
    }

    private StoreSettings with(Consumer<Draft> change) {
        Draft draft = new Draft();
        draft.mongoUri = mongoUri;
        draft.database = database;
        draft.mongoTimeout = mongoTimeout;
        draft.cacheSize = cacheSize;
        draft.refreshInterval = refreshInterval;
        draft.flushInterval = flushInterval;
        draft.bufferMaxKeys = bufferMaxKeys;
        draft.halfLife = halfLife;
        draft.retention = retention;
        draft.statusCopy = statusCopy;
        draft.cacheLoadQueue = cacheLoadQueue;
        draft.fingerprintUnseenExpiry = fingerprintUnseenExpiry;
        change.accept(draft);
        return new StoreSettings(draft.mongoUri, draft.database, draft.mongoTimeout, draft.cacheSize, draft.refreshInterval,
            draft.flushInterval, draft.bufferMaxKeys, draft.halfLife, draft.retention, draft.statusCopy, draft.cacheLoadQueue,
            draft.fingerprintUnseenExpiry);
    }

    /** The file holding the last good copy of the operator statuses, if any ({@code status.copy.file}). */
    public Optional<Path> statusCopy() {
        return statusCopy;
    }

    /** Uncached keys waiting to be read at most ({@code cache.load.queue}); past it a sender is judged unknown for now. */
    public int cacheLoadQueue() {
        return cacheLoadQueue;
    }

    public StoreSettings withFingerprintUnseenExpiry(Duration expiry) {
        return with(draft -> draft.fingerprintUnseenExpiry = expiry);
    }

    /** How long a known-spam fingerprint may go unmatched and unreported before it is removed; zero: never. */
    public Duration fingerprintUnseenExpiry() {
        return fingerprintUnseenExpiry;
    }

    public String mongoUri() {
        return mongoUri;
    }

    public String database() {
        return database;
    }

    public Duration mongoTimeout() {
        return mongoTimeout;
    }

    public long cacheSize() {
        return cacheSize;
    }

    public Duration refreshInterval() {
        return refreshInterval;
    }

    public Duration flushInterval() {
        return flushInterval;
    }

    public int bufferMaxKeys() {
        return bufferMaxKeys;
    }

    public HalfLife halfLife() {
        return halfLife;
    }

    public Duration retention() {
        return retention;
    }
}
