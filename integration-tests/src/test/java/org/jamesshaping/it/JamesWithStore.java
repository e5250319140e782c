package org.jamesshaping.it;

import java.nio.file.Path;
import java.util.function.Consumer;

import org.jamesshaping.launcher.JamesHome;
import org.jamesshaping.testsupport.EmbeddedMongo;

/** A test James and its own in-memory MongoDB, started together, stopped together, with user1@james.local. */
public final class JamesWithStore implements AutoCloseable {
    public static final String USER = "user1@james.local";
    public static final String PASSWORD = "secret";
    /** The sample smtpserver.xml's commented-out spamtrap handler, and the same handler enabled with trap@james.local. */
    public static final String COMMENTED_SPAMTRAP = "<!-- Spamtrap addresses:";
    public static final String SPAMTRAP = "<handler class=\"org.jamesshaping.smtp.SpamtrapRecorder\">"
        + "<spamtrap>trap@james.local</spamtrap></handler>\n            <!-- Spamtrap addresses:";

    private final EmbeddedMongo mongo;
    private final JamesTestServer james;

    private JamesWithStore(EmbeddedMongo mongo, JamesTestServer james) {
        this.mongo = mongo;
        this.james = james;
    }

    public static JamesWithStore start(Path folder, boolean withJmx, Consumer<JamesHome.Settings> customize) throws Exception {
        EmbeddedMongo mongo = EmbeddedMongo.inMemory().start(0);
        try {
            JamesTestServer james = JamesTestServer.start(folder.resolve("james"), mongo.uri(), withJmx, customize);
            james.probe().provision("james.local", USER, PASSWORD);
            return new JamesWithStore(mongo, james);
        } catch (Exception e) {
            mongo.stop();
            throw e;
        }
    }

    public static JamesWithStore start(Path folder, Consumer<JamesHome.Settings> customize) throws Exception {
        return start(folder, false, customize);
    }

    public JamesTestServer james() {
        return james;
    }

    public EmbeddedMongo mongo() {
        return mongo;
    }

    public int smtpPort() {
        return james.smtpPort();
    }

    public WebAdminClient webAdmin() {
        return james.webAdmin();
    }

    @Override
    public void close() {
        try {
            james.close();
        } finally {
            mongo.stop();
        }
    }
}
