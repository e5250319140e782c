package org.jamesshaping.store;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

import com.google.common.net.InetAddresses;

/**
 * What a reputation is kept for: one address, or a network in CIDR notation.
 *
 * <p>Every sender is scored under two keys: its address and its subnet (an IPv4 /24 or an IPv6 /64), so that
 * a fresh address in a network full of bots does not start clean. A third, wide key (an IPv4 /16 or an IPv6 /48)
 * counts only the standings of the subnets inside it, so that a bot hopping to a new /24 or /64 of the same
 * provider does not start clean either. Operators may set a manual status on any CIDR. Keys are parsed from
 * literals only: nothing here ever resolves a host name.</p>
 */
public final class ReputationKey {
    public static final int IPV4_SUBNET_PREFIX = 24;
    public static final int IPV6_SUBNET_PREFIX = 64;
    /** The wide network of an IPv4 sender: a provider's block, where bots rotate through /24s. */
    public static final int IPV4_WIDE_PREFIX = 16;
    /** The wide network of an IPv6 sender: one site's allocation, where bots rotate through /64s. */
    public static final int IPV6_WIDE_PREFIX = 48;

    private final byte[] network;
    private final int prefixLength;
    private final String id;

    private ReputationKey(byte[] address, int prefixLength) {
        this.network = mask(address, prefixLength);
        this.prefixLength = prefixLength;
        this.id = render(network, prefixLength);
    }

    public static ReputationKey ofAddress(InetAddress address) {
        InetAddress normalized = normalize(address);
        return new ReputationKey(normalized.getAddress(), normalized.getAddress().length * 8);
    }

    /** The /24 (IPv4) or /64 (IPv6) that an address is aggregated into. */
    public static ReputationKey subnetOf(InetAddress address) {
        InetAddress normalized = normalize(address);
        int prefix = normalized instanceof Inet4Address ? IPV4_SUBNET_PREFIX : IPV6_SUBNET_PREFIX;
        return new ReputationKey(normalized.getAddress(), prefix);
    }

    /** The /16 (IPv4) or /48 (IPv6) whose counts of bad and good subnets an address's subnet goes into. */
    public static ReputationKey wideOf(InetAddress address) {
        InetAddress normalized = normalize(address);
        int prefix = normalized instanceof Inet4Address ? IPV4_WIDE_PREFIX : IPV6_WIDE_PREFIX;
        return new ReputationKey(normalized.getAddress(), prefix);
    }

    /**
     * The network whose counts this key's standing goes into: an address's subnet, a subnet's wide network; null for
     * any other key (operators' CIDRs, wide networks), whose standing counts nowhere.
     */
    public ReputationKey countedIn() {
        if (isSingleAddress()) {
            return new ReputationKey(network, isIpv4() ? IPV4_SUBNET_PREFIX : IPV6_SUBNET_PREFIX);
        }
        if (prefixLength == (isIpv4() ? IPV4_SUBNET_PREFIX : IPV6_SUBNET_PREFIX)) {
            return new ReputationKey(network, isIpv4() ? IPV4_WIDE_PREFIX : IPV6_WIDE_PREFIX);
        }
        return null;
    }

    /**
     * Parses {@code 203.0.113.7}, {@code 2001:db8::1}, {@code 203.0.113.0/24} or {@code 2001:db8::/48}.
     * Host bits set in a CIDR are rejected rather than silently cleared: {@code 10.1.2.3/8} is more likely a
     * typo than a wish to block ten million addresses.
     *
     * @throws IllegalArgumentException with a message fit for an operator
     */
    public static ReputationKey parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("An IP address or CIDR is required");
        }
        String trimmed = text.trim();
        int slash = trimmed.indexOf('/');
        String addressPart = slash < 0 ? trimmed : trimmed.substring(0, slash);
        InetAddress address = parseAddress(addressPart, text);
        int maxPrefix = address.getAddress().length * 8;
        if (slash < 0) {
            return new ReputationKey(address.getAddress(), maxPrefix);
        }
        String prefixPart = trimmed.substring(slash + 1);
        int prefix;
        try {
            prefix = Integer.parseInt(prefixPart);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid prefix length '" + prefixPart + "' in '" + text + "'");
        }
        if (prefix < 0 || prefix > maxPrefix) {
            throw new IllegalArgumentException("Prefix length " + prefix + " out of range 0-" + maxPrefix + " in '" + text + "'");
        }
        ReputationKey key = new ReputationKey(address.getAddress(), prefix);
        if (!Arrays.equals(key.network, address.getAddress())) {
            throw new IllegalArgumentException("'" + text + "' has host bits set; did you mean " + key.id() + "?");
        }
        return key;
    }

    /** Parses a single address literal, never a host name. */
    public static InetAddress parseAddress(String literal) {
        return parseAddress(literal, literal);
    }

    private static InetAddress parseAddress(String literal, String original) {
        String candidate = literal;
        if (candidate.startsWith("[") && candidate.endsWith("]")) {
            candidate = candidate.substring(1, candidate.length() - 1);
        }
        if (!InetAddresses.isInetAddress(candidate)) {
            throw new IllegalArgumentException("'" + original + "' is not an IP address or CIDR");
        }
        return normalize(InetAddresses.forString(candidate));
    }

    /** IPv4-mapped IPv6 addresses ({@code ::ffff:192.0.2.1}) are the IPv4 sender they carry. */
    public static InetAddress normalize(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length == 16 && isIpv4Mapped(bytes)) {
            try {
                return InetAddress.getByAddress(Arrays.copyOfRange(bytes, 12, 16));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        return address;
    }

    private static boolean isIpv4Mapped(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
    }

    private static byte[] mask(byte[] address, int prefixLength) {
        byte[] masked = Arrays.copyOf(address, address.length);
        for (int bit = prefixLength; bit < masked.length * 8; bit++) {
            masked[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return masked;
    }

    private static String render(byte[] network, int prefixLength) {
        String address;
        try {
            address = InetAddresses.toAddrString(InetAddress.getByAddress(network));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        return prefixLength == network.length * 8 ? address : address + "/" + prefixLength;
    }

    /** Canonical text, also the MongoDB document id: {@code 203.0.113.7}, {@code 203.0.113.0/24}, {@code 2001:db8::/64}. */
    public String id() {
        return id;
    }

    public boolean isSingleAddress() {
        return prefixLength == network.length * 8;
    }

    public boolean isIpv4() {
        return network.length == 4;
    }

    public int prefixLength() {
        return prefixLength;
    }

    /** "ip" for one address, "net" for a network. Stored in each document so operators can filter. */
    public String kind() {
        return isSingleAddress() ? "ip" : "net";
    }

    public boolean contains(InetAddress address) {
        byte[] candidate = normalize(address).getAddress();
        if (candidate.length != network.length) {
            return false;
        }
        return Arrays.equals(mask(candidate, prefixLength), network);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReputationKey && ((ReputationKey) o).id.equals(id);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return id;
    }
}
