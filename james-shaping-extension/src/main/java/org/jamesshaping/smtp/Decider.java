package org.jamesshaping.smtp;

import java.net.InetAddress;
import java.util.concurrent.ThreadLocalRandom;

import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPSession;
import org.jamesshaping.scoring.ClassDecision;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.scoring.SignalCounts;
import org.jamesshaping.shaping.ConnectionRegistry;
import org.jamesshaping.shaping.SenderClassifier;
import org.jamesshaping.shaping.ShapedConnection;
import org.jamesshaping.shaping.ShapingPolicy;
import org.jamesshaping.store.ManualStatus;
import org.jamesshaping.store.ReputationStore;

/**
 * When the shaper decides a connection's class and what it answers then: the policy is {@link ShapedConnection}'s,
 * this puts the SMTP session's facts in and the reply, the read rates and the log line out. From memory only.
 */
final class Decider {
    private final ReputationStore reputation;
    private final SenderClassifier classifier;
    private final ConnectionRegistry registry;
    private final ShapingLog log;

    Decider(ReputationStore reputation, SenderClassifier classifier, ConnectionRegistry registry, ShapingLog log) {
        this.reputation = reputation;
        this.classifier = classifier;
        this.registry = registry;
        this.log = log;
    }

    /** Decides or re-decides the class and applies it; the {@code 421} that refuses the connection, or null. */
    Response decide(SMTPSession session, ConnectionState state, ShapingPolicy policy, String when) {
        InetAddress client = SmtpSessions.clientAddress(session).orElse(null);
        if (client == null) {
            return null;
        }
        ShapedConnection shaping = state.shaping();
        shaping.identify(client, reputation.keysOf(client));
        String user = session.getUsername() == null ? null : session.getUsername().asString();
        ShapedConnection.Change change = shaping.decide(classifier, session.isRelayingAllowed(), user);
        if (change.none()) {
            return null;
        }
        log.decided(client, change, when, policy.dryRun());
        if (change.refused()) {
            return SmtpReplies.overLimit(change.overLimit());
        }
        if (!shaping.exempt() && !policy.dryRun()) {
            state.applyReadRates(shaping.settings(), registry, policy);
        }
        return null;
    }

    /**
     * After a successful HELO/EHLO or MAIL FROM: decides again unless the decision still stands as the classifier
     * would reuse it (then the lookup is skipped); the {@code 554} that ends a blocked sender's session, or null.
     */
    Response recheck(SMTPSession session, ConnectionState state, ShapingPolicy policy, String when) {
        ShapedConnection shaping = state.shaping();
        if (!shaping.decided()) {
            return null;
        }
        if (!shaping.stillCurrent(classifier)) {
            Response refusal = decide(session, state, policy, when);
            if (refusal != null) {
                return refusal;
            }
        }
        return blockedReply(shaping);
    }

    /**
     * A command read before the greeting went out: recorded, and the sender decided again as an early talker; the
     * {@code 421} if its new class's limits refuse it, or null.
     */
    Response earlyTalk(SMTPSession session, ConnectionState state, ShapingPolicy policy) {
        ShapedConnection shaping = state.shaping();
        shaping.markEarlyTalker();
        log.earlyTalker();
        if (shaping.address() != null) {
            reputation.record(shaping.address(), new SignalCounts().add(Signal.EARLY_TALK).add(Signal.PROTOCOL_VIOLATION));
        }
        return shaping.exempt() ? null : decide(session, state, policy, "early talk");
    }

    /**
     * How long the last line of the greeting waits for this sender: the pregreet wait for a sender not known good
     * that has not passed the test within a half-life ({@link #spread}); 0 for the rest (and in dry run, which
     * delays nothing).
     */
    long pregreetNanos(ShapedConnection shaping, ShapingPolicy policy) {
        if (policy.pregreet().isZero() || policy.dryRun() || shaping.exempt() || !shaping.decided() || shaping.address() == null
            || shaping.decision().level() <= 1 || shaping.decision().level() == ClassDecision.BLOCKED) {
            return 0;
        }
        boolean passed = reputation.sender(shaping.address()).address().decayed(Signal.PREGREET_PASSED) >= 0.5;
        return passed ? 0 : spread(policy.pregreet().toNanos());
    }

    /**
     * Between the pregreet wait and twice it, at random per connection: a wave of new connections opened together
     * (a botnet's flood) is released over that time instead of at once, and reputation built from its first
     * messages shapes the rest before they send. The wait is never shorter, so the test is as strict.
     */
    static long spread(long pregreetNanos) {
        return pregreetNanos + ThreadLocalRandom.current().nextLong(pregreetNanos);
    }

    /** The sender waited for the end of the greeting before its first command: remembered, so it waits once. */
    void pregreetPassed(ShapedConnection shaping) {
        if (!shaping.earlyTalker() && shaping.address() != null) {
            reputation.record(shaping.address(), Signal.PREGREET_PASSED);
        }
    }

    /** Commands sent ahead of their replies on a session that was not offered PIPELINING (RFC 2920): a protocol violation. */
    void pipelinedUnasked(ConnectionState state) {
        InetAddress client = state.shaping().address();
        if (client != null) {
            reputation.record(client, Signal.PROTOCOL_VIOLATION);
        }
    }

    /** More pipelined ahead than an honest client sends: a protocol violation, and the {@code 421} that ends it. */
    Response overHeld(ConnectionState state) {
        InetAddress client = state.shaping().address();
        if (client != null) {
            reputation.record(client, Signal.PROTOCOL_VIOLATION);
        }
        log.limitRejected();
        return SmtpReplies.TOO_MUCH_AHEAD;
    }

    /** {@code 554 5.7.1} with the operator's reason for an operator's block, or for class 9 when shaping; or null. */
    Response blockedReply(ShapedConnection shaping) {
        if (!shaping.decided()) {
            return null;
        }
        // Enforced for relay networks and authenticated sessions too, as an explicit operator decision. Their
        // decisions do not look at statuses, so only they cost a lookup in the in-memory table.
        String reason = shaping.exempt() && shaping.address() != null
            ? reputation.manualStatus(shaping.address())
                .filter(match -> match.status().value() == ManualStatus.Value.BLOCK)
                .map(match -> match.status().reason())
                .orElse(null)
            : shaping.operatorBlockReason();
        if (reason == null && !shaping.blocked()) {
            return null;
        }
        log.blocked();
        return reason != null ? SmtpReplies.operatorBlock(reason) : SmtpReplies.POOR_REPUTATION;
    }
}
