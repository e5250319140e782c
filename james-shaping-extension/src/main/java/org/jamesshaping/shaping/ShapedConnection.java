package org.jamesshaping.shaping;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import org.jamesshaping.scoring.ClassDecision;
import org.jamesshaping.store.ReputationKey;

/**
 * One connection's shaping policy, apart from how it is carried out on the wire: its sender, its class and why, the
 * class's settings, the per-connection limits, and what it holds in the {@link ConnectionRegistry} (a concurrent
 * connection count, a held-connection slot), taken here and released here in {@link #close}. Not thread-safe: a
 * connection is served by one event loop.
 */
public final class ShapedConnection {
    /** Talking before the greeting makes a sender this class at least. */
    public static final int EARLY_TALKER_CLASS = 7;
    private static final String SERVER_BUSY = "Server busy";
    private static final ClassDecision RELAY = new ClassDecision(0, List.of("relay network (authorizedAddresses)"), true);

    /** What a decision changed, for the log and the metrics. */
    public static final class Change {
        static final Change NONE = new Change(null, null, false, null, false, false);

        private final ClassDecision previous;
        private final ClassDecision decision;
        private final boolean shapedClass;
        private final String overLimit;
        private final boolean refused;
        private final boolean serverBusy;

        Change(ClassDecision previous, ClassDecision decision, boolean shapedClass, String overLimit, boolean refused, boolean serverBusy) {
            this.previous = previous;
            this.decision = decision;
            this.shapedClass = shapedClass;
            this.overLimit = overLimit;
            this.refused = refused;
            this.serverBusy = serverBusy;
        }

        /** The new class shapes (delays, throttles or limits), whether or not this connection is (dry run, exempt). */
        public boolean shapedClass() {
            return shapedClass;
        }

        /** Nothing changed: the connection follows the decision it had. */
        public boolean none() {
            return decision == null;
        }

        /** The connection's first decision. */
        public boolean first() {
            return decision != null && previous == null;
        }

        /** The class before, or null on the first decision. */
        public ClassDecision previous() {
            return previous;
        }

        public ClassDecision decision() {
            return decision;
        }

        /** Which limit the decision found exceeded ("Too many concurrent connections from your address"), or null. */
        public String overLimit() {
            return overLimit;
        }

        /** The connection is to be refused with {@code 421 4.7.0}: over a limit, and not in dry run. */
        public boolean refused() {
            return refused;
        }

        /** Over the cap of held connections (the {@code Server busy} limit). */
        public boolean serverBusy() {
            return serverBusy;
        }
    }

    private final ConnectionRegistry registry;
    private final ShapingPolicy policy;
    private InetAddress address;
    private ReputationKey addressKey;
    private ReputationKey subnetKey;
    private ClassDecision decision;
    /**
     * The id of the classifier's reuse window when {@link #decision} was taken (the window itself would keep all its
     * decisions reachable as long as this connection lives); 0 to decide again at the next check.
     */
    private long windowId;
    private ClassSettings settings = ClassSettings.UNSHAPED;
    private boolean exempt;
    private boolean earlyTalker;
    private boolean countedConcurrent;
    private boolean holding;
    private int messages;

    public ShapedConnection(ConnectionRegistry registry, ShapingPolicy policy) {
        this.registry = registry;
        this.policy = policy;
    }

    /** The client, once known (at connect, or at the first command behind a PROXY-protocol load balancer). */
    public void identify(InetAddress client, ReputationKey[] keys) {
        if (address == null) {
            address = client;
            addressKey = keys[0];
            subnetKey = keys[1];
        }
    }

    /**
     * Decides the class now: relay networks and authenticated sessions are exempt, otherwise the classifier's
     * (reused) decision, at least {@link #EARLY_TALKER_CLASS} for an early talker. The first decision checks the
     * limits; every decision that shapes counts the connection toward the per-address and per-subnet limits.
     */
    public Change decide(SenderClassifier classifier, boolean relayAllowed, String authenticatedUser) {
        long current = classifier.windowId();
        ClassDecision next = classify(classifier, relayAllowed, authenticatedUser);
        windowId = current;
        if (next == decision) {
            return Change.NONE;
        }
        ClassDecision previous = decision;
        ClassSettings nextSettings = policy.settings(next.level());
        String over = null;
        boolean busy = false;
        if (!next.exempt() && (previous == null || previous.level() != next.level())) {
            // Checked again on a change of class: a sender that turns bad mid-connection is held to its new limits.
            over = overLimit(nextSettings, previous == null);
            busy = SERVER_BUSY.equals(over);
        }
        boolean refused = over != null && !policy.dryRun();
        Change change = new Change(previous, next, !nextSettings.isUnshaped(), over, refused, busy);
        decision = next;
        if (refused) {
            // Ends with a 421 at once: nothing to count or hold.
            return change;
        }
        if (!countedConcurrent && !next.exempt() && !nextSettings.isUnshaped()) {
            // Only connections in shaped classes count toward the limits (which only shaped classes have): a bad
            // sender's limit is not used up by its good neighbours, and unshaped mail costs no shared counter.
            registry.connected(addressKey);
            registry.connected(subnetKey);
            countedConcurrent = true;
        }
        exempt = next.exempt();
        settings = exempt || policy.dryRun() ? ClassSettings.UNSHAPED : nextSettings;
        if (settings.holds() && !holding) {
            holding = registry.tryHold(0);
        }
        return change;
    }

    private ClassDecision classify(SenderClassifier classifier, boolean relayAllowed, String authenticatedUser) {
        if (relayAllowed) {
            return RELAY;
        }
        if (authenticatedUser != null) {
            return new ClassDecision(0, () -> List.of("authenticated as " + authenticatedUser), true);
        }
        ClassDecision classified = classifier.classify(address);
        if (earlyTalker && !classified.exempt() && classified.level() < EARLY_TALKER_CLASS) {
            return new ClassDecision(EARLY_TALKER_CLASS, () -> {
                List<String> reasons = new ArrayList<>(classified.reasons());
                reasons.add(0, "talked before the greeting");
                return reasons;
            }, false);
        }
        return classified;
    }

    /**
     * The first limit this connection would exceed in a class with {@code candidate} settings, or null. The rate of new
     * connections is a limit on connecting: checked at the first decision only.
     */
    private String overLimit(ClassSettings candidate, boolean connecting) {
        int self = countedConcurrent ? 1 : 0;
        if (candidate.maxConnectionsPerIp() > 0 && registry.connections(addressKey) - self >= candidate.maxConnectionsPerIp()) {
            return "Too many concurrent connections from your address";
        }
        if (candidate.maxConnectionsPerSubnet() > 0 && registry.connections(subnetKey) - self >= candidate.maxConnectionsPerSubnet()) {
            return "Too many concurrent connections from your network";
        }
        if (connecting && !registry.admitRate(addressKey, candidate.connectionsPerMinutePerIp(), System.nanoTime())) {
            return "Too many connections per minute from your address";
        }
        if (candidate.holds() && !holding && !policy.dryRun()) {
            if (!registry.tryHold(policy.maxHeldConnections())) {
                return SERVER_BUSY;
            }
            holding = true;
        }
        return null;
    }

    /** Whether the decision still stands as the classifier would reuse it: then a check can skip deciding. */
    public boolean stillCurrent(SenderClassifier classifier) {
        return classifier.stillCurrent(windowId);
    }

    /** The client talked before the greeting: decided again as an early talker at the next decision. */
    public void markEarlyTalker() {
        earlyTalker = true;
    }

    public boolean earlyTalker() {
        return earlyTalker;
    }

    /** Authenticated: never shaped again; the next check decides again and records why. */
    public void unshape() {
        exempt = true;
        windowId = 0;
        settings = ClassSettings.UNSHAPED;
    }

    /** A message was read to its end. */
    public void messageReceived() {
        messages++;
    }

    /** A further message would be over the class's per-connection limit. */
    public boolean overMessageLimit() {
        int limit = settings.maxMessagesPerConnection();
        return !exempt && limit > 0 && messages >= limit;
    }

    /** A further recipient of a transaction that has {@code recipients} would be over the class's limit. */
    public boolean overRecipientLimit(int recipients) {
        int limit = settings.maxRecipientsPerTransaction();
        return !exempt && limit > 0 && recipients >= limit;
    }

    /** The class refuses messages at the end of DATA (never in dry run, never exempt). */
    public boolean refusesMessages() {
        return !exempt && settings.rejectAtData();
    }

    /** In class 9 and shaping: refused at its first command. Operators' block entries are enforced apart, in dry run too. */
    public boolean blocked() {
        return decision != null && decision.level() == ClassDecision.BLOCKED && !exempt && !policy.dryRun();
    }

    /** The reason of the operator's block entry this connection's decision found, or null (exempt decisions look at none). */
    public String operatorBlockReason() {
        return decision == null || exempt ? null : decision.operatorBlockReason();
    }

    public boolean decided() {
        return decision != null;
    }

    public ClassDecision decision() {
        return decision;
    }

    public ClassSettings settings() {
        return settings;
    }

    public boolean exempt() {
        return exempt;
    }

    public InetAddress address() {
        return address;
    }

    public ReputationKey addressKey() {
        return addressKey;
    }

    public ReputationKey subnetKey() {
        return subnetKey;
    }

    /** Releases what this connection holds in the registry. Called once, at disconnect. */
    public void close() {
        if (countedConcurrent) {
            registry.disconnected(addressKey);
            registry.disconnected(subnetKey);
            countedConcurrent = false;
        }
        if (holding) {
            registry.release();
            holding = false;
        }
    }
}
