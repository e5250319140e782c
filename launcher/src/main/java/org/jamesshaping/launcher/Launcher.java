package org.jamesshaping.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

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

    @Option(names = "--submission-port", description = "SMTP submission port (STARTTLS, AUTH; never shaped). Default: ${DEFAULT-VALUE}",
        defaultValue = "5587")
    int submissionPort;

    @Option(names = "--smtps-port", description = "SMTP submission port over implicit TLS (never shaped). Default: ${DEFAULT-VALUE}",
        defaultValue = "4465")
    int smtpsPort;

    @Option(names = "--imap-port", description = "IMAP port (STARTTLS). Default: ${DEFAULT-VALUE}", defaultValue = "1143")
    int imapPort;

    @Option(names = "--imaps-port", description = "IMAPS port. Default: ${DEFAULT-VALUE}", defaultValue = "1993")
    int imapsPort;

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

    @Option(names = "--runs-dir", description = "Where to note, per JMX port, the credentials file of this run, for "
        + "`./james-shaping cli -p PORT` (the script passes its own). Default: none")
    Path runsDir;

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
        private final Path credentials;
        private Path runNote;

        Running(GuiceJamesServer server, EmbeddedMongo mongo, String mongoUri, boolean userCreated, Path credentials) {
            this.server = server;
            this.mongo = mongo;
            this.mongoUri = mongoUri;
            this.userCreated = userCreated;
            this.credentials = credentials;
        }

        /** The JMX credentials file James wrote for this run (james.jmx.credential.generation). */
        public Path credentials() {
            return credentials;
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
                forgetRun(runNote);
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
            Path mongoFile = dataDir.resolve("mongo").resolve("reputation.mv");
            System.out.println("Starting the embedded MongoDB on port " + mongoPort + " (data in " + mongoFile + ")");
            embedded = EmbeddedMongo.persistent(mongoFile).start(mongoPort);
            uri = embedded.uri();
        }
        try {
            JamesHome.Settings settings = new JamesHome.Settings()
                .bindHost(bind).smtpPort(smtpPort).smtpsPort(smtpsPort).submissionPort(submissionPort)
                .imapPort(imapPort).imapsPort(imapsPort)
                .webAdminPort(webAdminPort).jmxPort(jmxPort).mongoUri(uri);
            if (dryRun) {
                settings.replaceInFile("smtpserver.xml", "<dryRun>false</dryRun>", "<dryRun>true</dryRun>");
            }
            JamesHome jamesHome = JamesHome.prepare(home, sampleConf.toAbsolutePath(), extensionJar, settings);
            loadJvmProperties(jamesHome.conf().resolve("jvm.properties"));
            GuiceJamesServer server = JamesServers.create(jamesHome, true);
            System.out.println("Starting James 3.8.1 in " + home + " ...");
            long started = System.nanoTime();
            try (StartProgress progress = StartProgress.every(5, started)) {
                server.start();
            } catch (Exception e) {
                server.stop();
                throw e;
            }
            System.out.println("James started in " + StartProgress.secondsSince(started) + " s");
            boolean created = server.getProbe(ServerProbe.class).provision(DOMAIN, USER, PASSWORD);
            Running running = new Running(server, embedded, uri, created, jamesHome.conf().resolve("jmxremote.password"));
            running.runNote = noteRun(running.credentials);
            return running;
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

        System.out.println();
        System.out.print(banner(running));
        System.out.println();
        stopped.await();
        return 0;
    }

    /** What {@link #call} prints once James is up: where everything listens, and how to use it. */
    String banner(Running running) {
        ServerProbe probe = running.probe();
        String webAdmin = "http://" + bind + ":" + probe.webAdminPort();
        String imap = bind + ":" + probe.imapPort(0);
        StringBuilder out = new StringBuilder();
        out.append(READY).append(" (Ctrl-C to stop)\n");
        out.append("  SMTP        ").append(bind).append(':').append(probe.smtpPort(0)).append("   incoming mail, shaped by reputation\n");
        out.append("  Submission  ").append(bind).append(':').append(probe.smtpPort(2)).append(" (STARTTLS) and ")
            .append(bind).append(':').append(probe.smtpPort(1)).append(" (TLS)   AUTH required to relay, never shaped\n");
        out.append("  IMAP        ").append(imap).append(" (STARTTLS) and ").append(bind).append(':').append(probe.imapPort(1))
            .append(" (TLS)   self-signed certificate\n");
        out.append("  WebAdmin    ").append(webAdmin).append("   e.g. curl ").append(webAdmin).append("/shaping/reputation\n");
        out.append("  JMX         ").append(bind).append(':').append(jmxPort).append("   e.g. ./james-shaping cli")
            .append(jmxPort == 9999 ? "" : " -p " + jmxPort).append(" top 20   (credentials: ").append(running.credentials()).append(")\n");
        out.append("  MongoDB     ").append(running.mongoUri()).append(running.mongo != null
            ? " (embedded, data in " + data.toAbsolutePath().resolve("mongo") + ")" : " (external)").append('\n');
        out.append("  Data        ").append(data.toAbsolutePath()).append('\n');
        if (dryRun) {
            out.append("  Shaping     DRY RUN: decisions are logged and counted, nothing is shaped\n");
        }
        out.append("  Mailbox     ").append(USER).append(running.userCreated ? " created, password '" + PASSWORD + "'" : " (exists)")
            .append("; read it with any IMAP client, or:\n");
        out.append("                curl -k --ssl-reqd -u ").append(USER).append(':').append(PASSWORD).append(" 'imap://").append(imap)
            .append("/INBOX;MAILINDEX=1'\n");
        return out.toString();
    }

    /**
     * Notes the credentials file of this run under {@code --runs-dir}, by JMX port, so that
     * {@code ./james-shaping cli -p PORT} reads the credentials of the run listening there, whatever its {@code --data}.
     */
    private Path noteRun(Path credentials) throws IOException {
        if (runsDir == null) {
            return null;
        }
        Path file = Files.createDirectories(runsDir.toAbsolutePath()).resolve(runFileName(jmxPort));
        Files.writeString(file, credentials + "\n");
        return file;
    }

    /** The file {@code ./james-shaping cli} reads for the run whose JMX port is {@code port}. */
    public static String runFileName(int port) {
        return "jmx-" + port;
    }

    private static void forgetRun(Path runFile) {
        if (runFile != null) {
            try {
                Files.deleteIfExists(runFile);
            } catch (IOException e) {
                // a stale note only points at a file that may be gone; the cli then says so
            }
        }
    }

    /** Prints "still starting (N s)" every few seconds while James starts, so a slow first start is not silent. */
    static final class StartProgress implements AutoCloseable {
        private final ScheduledExecutorService ticker;

        private StartProgress(ScheduledExecutorService ticker) {
            this.ticker = ticker;
        }

        static StartProgress every(int seconds, long startedNanos) {
            ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "james-shaping-start-progress");
                thread.setDaemon(true);
                return thread;
            });
            ticker.scheduleAtFixedRate(() -> System.out.println("  ... James still starting (" + secondsSince(startedNanos) + " s)"),
                seconds, seconds, TimeUnit.SECONDS);
            return new StartProgress(ticker);
        }

        static long secondsSince(long startedNanos) {
            return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos);
        }

        @Override
        public void close() {
            ticker.shutdownNow();
        }
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
