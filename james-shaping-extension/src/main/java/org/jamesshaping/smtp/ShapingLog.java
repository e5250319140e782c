package org.jamesshaping.smtp;

import java.net.InetAddress;

import org.jamesshaping.shaping.ShapedConnection;
import org.jamesshaping.shaping.ShapingPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the shaper says about what it did: the {@code Shaping ...} log lines operators read (and parse), and the
 * {@code shaping_*} counters, in one place so that a line and its counter cannot drift apart.
 */
final class ShapingLog {
    private static final Logger LOGGER = LoggerFactory.getLogger(TrafficShaper.class);

    private final ShapingMetrics metrics;

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
            LOGGER.info("Shaping {}: class {}{} at {} ({}); {}{}", client.getHostAddress(), change.first() ? "" : change.previous().level() + " -> ",
                level, when, change.decision().lazyWhy(), change.overLimit(), dryRun ? " [dry run: would answer 421]" : ", answered 421");
        } else if (change.first()) {
            if (LOGGER.isInfoEnabled()) {
                // Guarded: every connection passes here, and its address would be formatted even with INFO off.
                LOGGER.info("Shaping {}: class {} at {} ({}){}", client.getHostAddress(), level, when,
                    change.decision().lazyWhy(), dryRun && change.shapedClass() ? " [dry run: not shaped]" : "");
            }
        } else if (newClass) {
            LOGGER.info("Shaping {}: class {} -> {} at {} ({}){}", client.getHostAddress(), change.previous().level(), level,
                when, change.decision().lazyWhy(), dryRun ? " [dry run: not shaped]" : "");
        }
        if (dryRun && change.shapedClass() && newClass) {
            metrics.dryRunShaped.increment();
        }
    }

    void authenticated(InetAddress client, String user) {
        LOGGER.info("{} authenticated as {}: no longer shaped", client == null ? "client" : client.getHostAddress(), user);
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
        LOGGER.info("{}: over {} messages in one connection (class {})", connection.address().getHostAddress(),
            connection.settings().maxMessagesPerConnection(), connection.decision().level());
    }

    void messageRefused(ShapedConnection connection) {
        metrics.limitRejections.increment();
        LOGGER.info("{}: message refused at DATA (class {})", connection.address().getHostAddress(), connection.decision().level());
    }
}
