package org.jamesshaping.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class FreePortsTest {
    @Test
    void givesPortsThatCanBeBoundBelowTheEphemeralRange() throws Exception {
        int ephemeralLow = FreePorts.ephemeralPortsFrom();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            int port = FreePorts.belowEphemeralRange();
            assertThat(port).isBetween(10_000, ephemeralLow - 1);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(port));
            }
            seen.add(port);
        }
        // Picked at random: twenty calls do not all land on one port.
        assertThat(seen).hasSizeGreaterThan(1);
    }
}
