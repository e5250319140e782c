package org.jamesshaping.filter.predictive;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

import org.jamesshaping.store.ReputationKey;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * How many messages one sender and one /24 may give the model by autolearning in a window: a sender who can get its
 * mail judged by a trusted signal (a compromised account, a list run through a fast-lane relay) must not be able to
 * flood the model with examples it chose. Counts live in memory, one set per server: a fleet of N servers takes at
 * most N times the bound. Thread-safe.
 */
public final class AutoLearnQuota {
    /** Why a message was or was not taken. */
    public enum Decision {
        TAKEN("queued"), SENDER_LIMIT("over-sender-limit"), NETWORK_LIMIT("over-network-limit");

        private final String attribute;

        Decision(String attribute) {
            this.attribute = attribute;
        }

        /** The value of the mail attribute that says what autolearn did. */
        public String attribute() {
            return attribute;
        }
    }

    private final int perSender;
    private final int perNetwork;
    private final Clock clock;
    private final Cache<String, Window> senders;
    private final Cache<String, Window> networks;
    private final AtomicLong taken = new AtomicLong();
    private final AtomicLong senderLimited = new AtomicLong();
    private final AtomicLong networkLimited = new AtomicLong();
    private final Duration window;

    private static final class Window {
        final Instant start;
        int count;

        Window(Instant start) {
            this.start = start;
        }
    }

    public AutoLearnQuota(int perSender, int perNetwork, Duration window, Clock clock) {
        if (perSender < 1 || perNetwork < 1 || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("bounds must be positive");
        }
        this.perSender = perSender;
        this.perNetwork = perNetwork;
        this.window = window;
        this.clock = clock;
        // Bounded maps: an attacker cycling through senders gets each a fresh count, but never more memory.
        this.senders = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(window).build();
        this.networks = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(window).build();
    }

    /**
     * Counts the message against its sender and its network if both have room, else leaves both counts as they were.
     * {@code network} is the client's /24 (or /48), {@code sender} the envelope sender (or the client when it has none).
     */
    public synchronized Decision take(String sender, String network) {
        Instant now = clock.instant();
        Window bySender = current(senders, sender, now);
        Window byNetwork = current(networks, network, now);
        if (bySender.count >= perSender) {
            senderLimited.incrementAndGet();
            return Decision.SENDER_LIMIT;
        }
        if (byNetwork.count >= perNetwork) {
            networkLimited.incrementAndGet();
            return Decision.NETWORK_LIMIT;
        }
        bySender.count++;
        byNetwork.count++;
        taken.incrementAndGet();
        return Decision.TAKEN;
    }

    private Window current(Cache<String, Window> windows, String key, Instant now) {
        Window existing = windows.getIfPresent(key);
        if (existing == null || !now.isBefore(existing.start.plus(window))) {
            existing = new Window(now);
            windows.put(key, existing);
        }
        return existing;
    }

    public long taken() {
        return taken.get();
    }

    public long senderLimited() {
        return senderLimited.get();
    }

    public long networkLimited() {
        return networkLimited.get();
    }

    /**
     * The client's /24 (IPv4, an IPv4-mapped IPv6 address included) or /48 (IPv6) in CIDR notation, whatever way
     * the address is written (so {@code 2001:db8::1} and {@code 2001:db8:0:5::1} are one network); a text that is no
     * address literal is its own network.
     */
    public static String network(String address) {
        if (address == null) {
            return "";
        }
        try {
            InetAddress parsed = ReputationKey.parseAddress(address);
            return (parsed instanceof Inet4Address ? ReputationKey.subnetOf(parsed) : ReputationKey.wideOf(parsed)).id();
        } catch (IllegalArgumentException e) {
            return address;
        }
    }
}
