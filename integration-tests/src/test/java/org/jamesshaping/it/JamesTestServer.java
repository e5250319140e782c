package org.jamesshaping.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import org.apache.james.GuiceJamesServer;
import org.jamesshaping.launcher.JamesHome;
import org.jamesshaping.launcher.JamesServers;
import org.jamesshaping.launcher.ServerProbe;
import org.jamesshaping.testsupport.FreePorts;

/**
 * A real James 3.8.1 memory server in this JVM, configured from {@code james-conf/} with the shaded extension
 * jar in its {@code extensions-jars/} (loaded by James's own class loader, as in production), SMTP (:25, :465,
 * :587 of the sample), IMAP and WebAdmin on free loopback ports.
 */
public final class JamesTestServer implements AutoCloseable {
    private final GuiceJamesServer server;
    private final JamesHome home;
    private final int jmxPort;

    private JamesTestServer(GuiceJamesServer server, JamesHome home, int jmxPort) {
        this.server = server;
        this.home = home;
        this.jmxPort = jmxPort;
    }

    public static JamesTestServer start(Path workingDirectory, String mongoUri, boolean withJmx,
                                        Consumer<JamesHome.Settings> customize) throws Exception {
        TestEnvironment.init();
        int jmxPort = withJmx ? FreePorts.belowEphemeralRange() : 0;
        JamesHome.Settings settings = new JamesHome.Settings()
            .smtpPort(0)
            .smtpsPort(0)
            .submissionPort(0)
            .imapPort(0)
            .imapsPort(0)
            .webAdminPort(0)
            .jmxPort(jmxPort)
            .mongoUri(mongoUri);
        TestEnvironment.TEST_STORE_PROPERTIES.forEach(settings::shapingProperty);
        // Off unless a test turns it on (replacing this line): first contact would otherwise wait in every test.
        settings.replaceInFile("smtpserver.xml", TestEnvironment.SAMPLE_PREGREET, TestEnvironment.NO_PREGREET);
        customize.accept(settings);
        JamesHome home = JamesHome.prepare(Files.createDirectories(workingDirectory), TestEnvironment.sampleConf(),
            TestEnvironment.extensionJar(), settings);
        GuiceJamesServer server = JamesServers.create(home, withJmx);
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            throw e;
        }
        return new JamesTestServer(server, home, jmxPort);
    }

    public static JamesTestServer start(Path workingDirectory, String mongoUri) throws Exception {
        return start(workingDirectory, mongoUri, false, settings -> { });
    }

    public ServerProbe probe() {
        return server.getProbe(ServerProbe.class);
    }

    public int smtpPort() {
        return probe().smtpPort(0);
    }

    public WebAdminClient webAdmin() {
        return new WebAdminClient(probe().webAdminPort());
    }

    public int jmxPort() {
        return jmxPort;
    }

    public JamesHome home() {
        return home;
    }

    public GuiceJamesServer server() {
        return server;
    }

    @Override
    public void close() {
        server.stop();
    }
}
