package org.jamesshaping.smtp;

import java.net.InetAddress;
import java.time.Duration;

import org.jamesshaping.shaping.ShapedConnection;
import org.jamesshaping.shaping.ShapingPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * What the shaper says about what it did: the {@code Shaping ...} log lines operators read (and parse), and the
 * {@code shaping_*} counters, in one place so that a line and its counter cannot drift apart.
 */
final class ShapingLog {
    private static final Logger LOGGER = LoggerFactory.getLogger(TrafficShaper.class);
    /** The connection's class (0 to 9) in the MDC of each line about it, for JSON layouts and log parsers. */
    static final String CLASS_KEY = "shapingClass";
    private static final String[] CLASS_VALUES = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

    /**
     * A refusal over a limit is logged once per address per {@link #REFUSALS_LOGGED_EVERY}, then only counted: a client
     * that reconnects at once after each 421 must not turn the IO threads into loggers.
     */
    static final Duration REFUSALS_LOGGED_EVERY = Duration.ofMinutes(1);
    private static final int REFUSING_ADDRESSES_REMEMBERED = 10_000;

    private final ShapingMetrics metrics;
    private final Cache<InetAddress, Boolean> refusalsLogged = Caffeine.newBuilder()
        .maximumSize(REFUSING_ADDRESSES_REMEMBERED).expireAfterWrite(REFUSALS_LOGGED_EVERY).build();

    ShapingLog(ShapingMetrics metrics) {
        this.metrics = metrics;
    }

    void started(ShapingPolicy policy) {
        LOGGER.info("TrafficShaper: preset {}{}, at most {} held connections, delays at most {}", policy.preset(),
            policy.dryRun() ? ", DRY RUN (decisions logged and counted, nothing shaped)" : "", policy.maxHeldConnections(),
            policy.maxDelay());
    }

    /** A decision that changed something: the first of a connection, or a change of class. */
    void decided(InetAddress client, ShapedConnection.Change change, String when, boolean dryRun) {
        int level = change.decision().level();
        boolean newClass = change.previous() == null || change.previous().level() != level;
        if (change.first()) {
            metrics.connection(level);
        }
        if (change.overLimit() != null) {
            metrics.limitRejections.increment();
            if (change.serverBusy()) {
                metrics.overloadRejections.increment();
            }
        }
        if (dryRun && change.shapedClass() && newClass) {
            metrics.dryRunShaped.increment();
        }
        if (!LOGGER.isInfoEnabled() || (change.overLimit() == null && !change.first() && !newClass)) {
            // Every connection passes here: no address formatted, no MDC touched, with INFO off or nothing to say.
            return;
        }
        if (change.overLimit() != null && refusalsLogged.asMap().putIfAbsent(client, Boolean.TRUE) != null) {
            return;
        }
        try (ClassInMdc ignored = new ClassInMdc(level)) {
            logDecision(client, change, level, newClass, when, dryRun);
        }
    }

    private static void logDecision(InetAddress client, ShapedConnection.Change change, int level, boolean newClass,
                                    String when, boolean dryRun) {
        if (change.overLimit() != null) {
            LOGGER.info("Shaping {}: class {}{} at {} ({}); {}{}{}", client.getHostAddress(), change.first() ? "" : change.previous().level() + " -> ",
                level, when, change.decision().lazyWhy(), change.overLimit(), dryRun ? " [dry run: would answer 421]" : ", answered 421",
                " (further refusals of this address logged at most every minute, counted in shaping_limit_rejections)");
        } else if (change.first()) {
            LOGGER.info("Shaping {}: class {} at {} ({}){}", client.getHostAddress(), level, when,
                change.decision().lazyWhy(), dryRun && change.shapedClass() ? " [dry run: not shaped]" : "");
        } else if (newClass) {
            LOGGER.info("Shaping {}: class {} -> {} at {} ({}){}", client.getHostAddress(), change.previous().level(), level,
                when, change.decision().lazyWhy(), dryRun ? " [dry run: not shaped]" : "");
        }
    }

    void authenticated(ShapedConnection connection, String user) {
        InetAddress client = connection.address();
        try (ClassInMdc ignored = connection.decided() ? new ClassInMdc(connection.decision().level()) : null) {
            LOGGER.info("{} authenticated as {}: no longer shaped", client == null ? "client" : client.getHostAddress(), user);
        }
    }

    void earlyTalker() {
        metrics.earlyTalkers.increment();
    }

    void blocked() {
        metrics.blockedByClass.increment();
    }

    void limitRejected() {
        metrics.limitRejections.increment();
    }

    void overMessageLimit(ShapedConnection connection) {
        metrics.limitRejections.increment();
        int level = connection.decision().level();
        try (ClassInMdc ignored = new ClassInMdc(level)) {
            LOGGER.info("{}: over {} messages in one connection (class {})", connection.address().getHostAddress(),
                connection.settings().maxMessagesPerConnection(), level);
        }
    }

    void messageRefused(ShapedConnection connection) {
        metrics.limitRejections.increment();
        int level = connection.decision().level();
        try (ClassInMdc ignored = new ClassInMdc(level)) {
            LOGGER.info("{}: message refused at DATA (class {})", connection.address().getHostAddress(), level);
        }
    }

    /**
     * {@value #CLASS_KEY} in the MDC for one log call, the previous value put back after it. Never left set: the MDC
     * belongs to the thread, and an IO thread serves many connections in turn.
     */
    private static final class ClassInMdc implements AutoCloseable {
        private final String previous;

        ClassInMdc(int level) {
            previous = MDC.get(CLASS_KEY);
            MDC.put(CLASS_KEY, CLASS_VALUES[level]);
        }

        @Override
        public void close() {
            if (previous == null) {
                MDC.remove(CLASS_KEY);
            } else {
                MDC.put(CLASS_KEY, previous);
            }
        }
    }
}
