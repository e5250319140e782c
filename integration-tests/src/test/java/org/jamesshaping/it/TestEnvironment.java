package org.jamesshaping.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;


/**
 * What every integration test needs before James starts: a hosts file so that no lookup leaves the machine
 * (surefire points {@code jdk.net.hosts.file} at it; the JDK reads it at each lookup), and the paths of the
 * sample configuration and of the shaded extension jar built by the reactor.
 */
public final class TestEnvironment {
    static {
        writeHostsFile();
        System.setProperty("james.jmx.credential.generation", "true");
        System.setProperty("james.protocols.mdc.hostname", "false");
        // A failed start must fail the test, not exit the test JVM.
        System.setProperty("james.exit.on.startup.error", "false");
    }

    private TestEnvironment() {
    }

    public static void init() {
        // class initialisation does the work
    }

    private static void writeHostsFile() {
        String hostsFile = System.getProperty("jdk.net.hosts.file");
        if (hostsFile == null) {
            throw new IllegalStateException("Run through Maven: jdk.net.hosts.file must be set for the tests");
        }
        StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n::1 localhost ip6-localhost\n");
        try {
            String hostname = Files.readString(Paths.get("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII).trim();
            if (!hostname.isEmpty()) {
                hosts.append("127.0.0.1 ").append(hostname).append('\n');
            }
            Path path = Paths.get(hostsFile);
            Files.createDirectories(path.toAbsolutePath().getParent());
            Files.writeString(path, hosts.toString(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path extensionJar() {
        return Paths.get(System.getProperty("shaping.extension.jar"));
    }

    public static Path sampleConf() {
        return Paths.get(System.getProperty("shaping.conf.dir"));
    }

    public static Path repositoryRoot() {
        return sampleConf().getParent();
    }
}
