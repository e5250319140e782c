package org.jamesshaping.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.apache.james.GuiceJamesServer;
import org.jamesshaping.testsupport.EmbeddedMongo;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./james-shaping run}: a real James 3.8.1 memory server with the extension jar in its
 * {@code extensions-jars/}, the configuration from {@code james-conf/}, and (unless told to use another MongoDB)
 * an embedded MongoDB wire-protocol server persisting under the data folder.
 */
@Command(name = "james-shaping run", mixinStandardHelpOptions = true,
    description = "Start James with the james-shaping extension and a local reputation store.")
public class Launcher implements Callable<Integer> {
    static final String DOMAIN = "james.local";
    static final String USER = "user1@james.local";
    static final String PASSWORD = "changeme";
    /** Printed once James is up; {@link JamesProcess} waits for it. */
    public static final String READY = "james-shaping is running";

    @Option(names = "--data", description = "Data folder (James working directory and embedded MongoDB files). Default: ${DEFAULT-VALUE}",
        defaultValue = ".james-shaping")
    Path data;

    @Option(names = "--bind", description = "Address to listen on. Default: ${DEFAULT-VALUE}", defaultValue = "127.0.0.1")
    String bind;

    @Option(names = "--smtp-port", description = "SMTP port. Default: ${DEFAULT-VALUE}", defaultValue = "2525")
    int smtpPort;

    @Option(names = "--webadmin-port", description = "WebAdmin port. Default: ${DEFAULT-VALUE}", defaultValue = "8000")
    int webAdminPort;

    @Option(names = "--jmx-port", description = "JMX port (james-cli, james-shaping cli). Default: ${DEFAULT-VALUE}", defaultValue = "9999")
    int jmxPort;

    @Option(names = "--mongo-uri", description = "Use this MongoDB instead of the embedded one (also SHAPING_MONGO_URI)")
    String mongoUri;

    @Option(names = "--mongo-port", description = "Port of the embedded MongoDB. Default: ${DEFAULT-VALUE}", defaultValue = "27018")
    int mongoPort;

    @Option(names = "--conf", description = "Sample configuration folder. Default: ${DEFAULT-VALUE}", defaultValue = "james-conf")
    Path sampleConf;

    @Option(names = "--dry-run", description = "Decide, log and count shaping, but shape nothing (TrafficShaper dryRun)")
    boolean dryRun;

    @Option(names = "--jar", description = "Extension jar. Default: the one built in james-shaping-extension/target")
    Path jar;

    public static void main(String[] args) {
        int exit = new CommandLine(new Launcher()).execute(args);
        if (exit != 0) {
            System.exit(exit);
        }
    }

    /** A started James with its embedded MongoDB, if any. */
    public static final class Running implements AutoCloseable {
        private final GuiceJamesServer server;
        private final EmbeddedMongo mongo;
        private final String mongoUri;
        private final boolean userCreated;

        Running(GuiceJamesServer server, EmbeddedMongo mongo, String mongoUri, boolean userCreated) {
            this.server = server;
            this.mongo = mongo;
            this.mongoUri = mongoUri;
            this.userCreated = userCreated;
        }

        public GuiceJamesServer server() {
            return server;
        }

        public ServerProbe probe() {
            return server.getProbe(ServerProbe.class);
        }

        public String mongoUri() {
            return mongoUri;
        }

        @Override
        public synchronized void close() {
            try {
                server.stop();
            } finally {
                if (mongo != null) {
                    mongo.stop();
                }
            }
        }
    }

    /** Starts James (and the embedded MongoDB unless another is given); the caller stops it. */
    public Running start() throws Exception {
        Path dataDir = data.toAbsolutePath();
        Path home = Files.createDirectories(dataDir.resolve("james"));
        Path extensionJar = jar != null ? jar : builtJar(Paths.get(""));
        String externalUri = mongoUri != null ? mongoUri : System.getenv("SHAPING_MONGO_URI");

        EmbeddedMongo embedded = null;
        String uri = externalUri;
        if (uri == null || uri.isBlank()) {
            embedded = EmbeddedMongo.persistent(dataDir.resolve("mongo").resolve("reputation.mv")).start(mongoPort);
            uri = embedded.uri();
        }
        try {
            JamesHome.Settings settings = new JamesHome.Settings()
                .bindHost(bind).smtpPort(smtpPort).webAdminPort(webAdminPort).jmxPort(jmxPort).mongoUri(uri);
            if (dryRun) {
                settings.replaceInFile("smtpserver.xml", "<dryRun>false</dryRun>", "<dryRun>true</dryRun>");
            }
            JamesHome jamesHome = JamesHome.prepare(home, sampleConf.toAbsolutePath(), extensionJar, settings);
            loadJvmProperties(jamesHome.conf().resolve("jvm.properties"));
            GuiceJamesServer server = JamesServers.create(jamesHome, true);
            try {
                server.start();
            } catch (Exception e) {
                server.stop();
                throw e;
            }
            boolean created = server.getProbe(ServerProbe.class).provision(DOMAIN, USER, PASSWORD);
            return new Running(server, embedded, uri, created);
        } catch (Exception e) {
            if (embedded != null) {
                embedded.stop();
            }
            throw e;
        }
    }

    @Override
    public Integer call() throws Exception {
        Running running;
        try {
            running = start();
        } catch (Exception e) {
            System.err.println("James failed to start: " + e);
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("Stopping James...");
            try {
                running.close();
            } finally {
                stopped.countDown();
            }
        }, "james-shaping-shutdown"));

        ServerProbe probe = running.probe();
        System.out.println();
        System.out.println(READY + " (Ctrl-C to stop)");
        System.out.println("  SMTP      " + bind + ":" + probe.smtpPort(0));
        System.out.println("  WebAdmin  http://" + bind + ":" + probe.webAdminPort() + "   e.g. curl http://" + bind + ":"
            + probe.webAdminPort() + "/shaping/reputation");
        System.out.println("  JMX       " + bind + ":" + jmxPort + "   e.g. ./james-shaping cli top 20");
        System.out.println("  MongoDB   " + running.mongoUri() + (running.mongo != null
            ? " (embedded, data in " + data.toAbsolutePath().resolve("mongo") + ")" : " (external)"));
        System.out.println("  Data      " + data.toAbsolutePath());
        if (dryRun) {
            System.out.println("  Shaping   DRY RUN: decisions are logged and counted, nothing is shaped");
        }
        System.out.println("  Mailbox   " + USER + (running.userCreated ? " created, password '" + PASSWORD + "'" : " (exists)"));
        System.out.println();
        stopped.await();
        return 0;
    }

    /** The shaded extension jar the build left in {@code james-shaping-extension/target} under {@code root}. */
    public static Path builtJar(Path root) throws IOException {
        Path target = root.resolve("james-shaping-extension").resolve("target");
        try (var files = Files.list(target)) {
            return files.filter(path -> path.getFileName().toString().matches("james-shaping-extension-.*\\.jar"))
                .filter(path -> !path.getFileName().toString().startsWith("original-"))
                .findFirst()
                .orElseThrow(() -> new IOException("No extension jar in " + target + "; run: mvn -B -DskipTests package"));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("No extension jar in " + target + "; run: mvn -B -DskipTests package");
        }
    }

    /** What {@code ExtraProperties.initialize()} does for James's own launcher, without overriding -D flags. */
    private static void loadJvmProperties(Path file) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        }
        properties.stringPropertyNames().forEach(name -> {
            if (System.getProperty(name) == null) {
                System.setProperty(name, properties.getProperty(name));
            }
        });
    }
}
