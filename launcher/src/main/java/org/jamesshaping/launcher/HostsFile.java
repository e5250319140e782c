package org.jamesshaping.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The hosts file a James of the local run, a test or a benchmark resolves from ({@code -Djdk.net.hosts.file}):
 * loopback names only. James looks up every client in reverse; with no DNS that lookup stalls, and with DNS it
 * leaves the machine. From this file an unknown address fails at once.
 */
public final class HostsFile {
    private HostsFile() {
    }

    /** Writes localhost and this machine's own name, on loopback. */
    public static Path write(Path file) throws IOException {
        StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n::1 localhost ip6-localhost\n");
        String hostname = hostname();
        if (!hostname.isEmpty()) {
            hosts.append("127.0.0.1 ").append(hostname).append('\n');
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, hosts.toString(), StandardCharsets.US_ASCII);
        return file;
    }

    private static String hostname() {
        try {
            return Files.readString(Paths.get("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            String fromEnvironment = System.getenv("HOSTNAME");
            return fromEnvironment == null ? "" : fromEnvironment.trim();
        }
    }
}
