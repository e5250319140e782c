package org.jamesshaping.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for servers that another process must be told about before they start (James's SMTP, WebAdmin and JMX
 * ports on its command line). Taken below the kernel's ephemeral range: a port from that range (what
 * {@code new ServerSocket(0)} gives) can, between the check and the server's bind, become the local port of one
 * of the many outgoing connections a test or a load generator opens, or stay held in TIME_WAIT by one. A server
 * bound in this JVM binds port 0 instead and reads the port it got.
 */
public final class FreePorts {
    private static final int LOWEST_PORT = 10_000;
    private static final int DEFAULT_EPHEMERAL_LOW = 32768;

    private FreePorts() {
    }

    /** A port free now on all addresses, between 10000 and the first ephemeral port. */
    public static int belowEphemeralRange() {
        int ephemeralLow = ephemeralPortsFrom();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = LOWEST_PORT + ThreadLocalRandom.current().nextInt(ephemeralLow - LOWEST_PORT);
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(port));
                return port;
            } catch (IOException taken) {
                // Try another.
            }
        }
        throw new UncheckedIOException(new IOException("No free port found between " + LOWEST_PORT + " and " + ephemeralLow));
    }

    /** The first port of the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range), 32768 if unknown. */
    static int ephemeralPortsFrom() {
        try {
            int low = Integer.parseInt(Files.readString(Paths.get("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0]);
            return low > LOWEST_PORT + 1000 ? low : DEFAULT_EPHEMERAL_LOW;
        } catch (IOException | RuntimeException e) {
            return DEFAULT_EPHEMERAL_LOW;
        }
    }
}
