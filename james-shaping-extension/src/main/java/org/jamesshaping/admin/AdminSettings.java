package org.jamesshaping.admin;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;

/**
 * What the operator interfaces (WebAdmin, JMX, the CLI) accept, read from the {@code admin.*} keys of
 * {@code conf/shaping.properties} (documented in the sample file). Bad values stop James at start with the key named.
 */
public final class AdminSettings {
    /**
     * The widest IPv4 network a status may be set on without {@code force}: a /8 is the largest block a single
     * organisation holds; anything wider spans unrelated networks and is more likely a typo than a wish.
     */
    public static final int DEFAULT_MIN_PREFIX_IPV4 = 8;
    /** The IPv6 counterpart: a /32 is the usual allocation to one provider (an RIR's minimum to an LIR). */
    public static final int DEFAULT_MIN_PREFIX_IPV6 = 32;

    private final int minPrefixIpv4;
    private final int minPrefixIpv6;
    private final Set<String> allowedOrigins;

    public AdminSettings(int minPrefixIpv4, int minPrefixIpv6, Set<String> allowedOrigins) {
        this.minPrefixIpv4 = minPrefixIpv4;
        this.minPrefixIpv6 = minPrefixIpv6;
        this.allowedOrigins = allowedOrigins.stream().map(AdminSettings::normalizeOrigin).collect(Collectors.toUnmodifiableSet());
    }

    public static AdminSettings defaults() {
        return new AdminSettings(DEFAULT_MIN_PREFIX_IPV4, DEFAULT_MIN_PREFIX_IPV6, Set.of());
    }

    public static AdminSettings from(Configuration conf) throws ConfigurationException {
        String origins = conf.getString("admin.allowed.origins", "");
        return new AdminSettings(
            prefix(conf, "admin.status.min.prefix.ipv4", DEFAULT_MIN_PREFIX_IPV4, 32),
            prefix(conf, "admin.status.min.prefix.ipv6", DEFAULT_MIN_PREFIX_IPV6, 128),
            Arrays.stream(origins.split(","))
                .map(String::trim)
                .filter(origin -> !origin.isEmpty())
                .collect(Collectors.toSet()));
    }

    private static int prefix(Configuration conf, String key, int defaultValue, int max) throws ConfigurationException {
        String raw = conf.getString(key, String.valueOf(defaultValue)).trim();
        try {
            int value = Integer.parseInt(raw);
            if (value < 0 || value > max) {
                throw new ConfigurationException("shaping.properties: " + key + " must be from 0 to " + max + ", got " + value);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new ConfigurationException("shaping.properties: " + key + " is not a number: '" + raw + "'");
        }
    }

    public int minPrefixIpv4() {
        return minPrefixIpv4;
    }

    public int minPrefixIpv6() {
        return minPrefixIpv6;
    }

    /** Origins besides the server's own that may send requests (e.g. an admin UI behind a reverse proxy). */
    public boolean isAllowedOrigin(String origin) {
        return allowedOrigins.contains(normalizeOrigin(origin));
    }

    static String normalizeOrigin(String origin) {
        String trimmed = origin.trim().toLowerCase(Locale.ROOT);
        return trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
    }
}
