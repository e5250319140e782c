package org.jamesshaping.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Map;

import org.jamesshaping.launcher.HostsFile;
import org.jamesshaping.launcher.JamesProcess;


/**
 * What every integration test needs before James starts: a hosts file so that no lookup leaves the machine
 * (surefire points {@code jdk.net.hosts.file} at it; the JDK reads it at each lookup), and the paths of the
 * sample configuration and of the shaded extension jar built by the reactor.
 */
public final class TestEnvironment {
    static {
        requireLoopbackAddresses();
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

    /** The tests are many senders on one machine: each speaks from its own 127.x.y.z, which Linux routes to lo. */
    private static void requireLoopbackAddresses() {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress("127.0.0.2", 0));
        } catch (IOException e) {
            throw new IllegalStateException("127.0.0.2 is not bindable (" + e.getMessage() + "): the integration tests "
                + "send from many loopback addresses (127.0.0.0/8 on lo, as Linux has it); run them on Linux", e);
        }
    }

    private static void writeHostsFile() {
        String hostsFile = System.getProperty("jdk.net.hosts.file");
        if (hostsFile == null) {
            throw new IllegalStateException("Run through Maven: jdk.net.hosts.file must be set for the tests");
        }
        try {
            HostsFile.write(Paths.get(hostsFile));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The store settings of every test James: its own database, and intervals short enough for tests. */
    public static final Map<String, String> TEST_STORE_PROPERTIES = Map.of(
        "mongo.database", "james_shaping_it",
        "cache.refresh.interval", "1s",
        "flush.interval", "200ms",
        "mongo.timeout", "500ms");

    /** The sample's pregreet test, and the same off, as the test servers run by default. */
    public static final String SAMPLE_PREGREET = "<pregreet>1500ms</pregreet>";
    public static final String NO_PREGREET = "<pregreet>0</pregreet>";

    /** Another member of a fleet, in its own JVM, with the test store settings, on {@code mongoUri}. */
    public static JamesProcess fleetMember(String name, Path work, String mongoUri) throws Exception {
        init();
        return JamesProcess.builder(name, work, sampleConf(), extensionJar())
            .mongoUri(mongoUri)
            .startTimeout(Duration.ofSeconds(90))
            .conf(conf -> TEST_STORE_PROPERTIES.forEach((key, value) -> conf.setProperty("shaping.properties", key, value)))
            .conf(conf -> conf.replace("smtpserver.xml", SAMPLE_PREGREET, NO_PREGREET))
            .start();
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
