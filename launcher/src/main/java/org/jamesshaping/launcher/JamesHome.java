package org.jamesshaping.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A James working directory ({@code conf/}, {@code extensions-jars/}, {@code var/}) laid out from the sample
 * configuration in {@code james-conf/}, with the handful of values a local run or a test must change: ports,
 * bind addresses, the MongoDB URI, and DNS pointed at loopback. Every change names the text it replaces and
 * fails if the sample no longer has it, so the sample and the launcher cannot drift apart silently.
 */
public final class JamesHome {
    /** Files James generates on first start and that must survive a restart. */
    private static final Set<String> GENERATED = Set.of("jmxremote.password", "jmxremote.access", Keystores.FILE);

    private final Path root;
    private final ConfFolder conf;

    private JamesHome(Path root, ConfFolder conf) {
        this.root = root;
        this.conf = conf;
    }

    public static final class Settings {
        String bindHost = "127.0.0.1";
        int smtpPort = 2525;
        int smtpsPort = 4465;
        int submissionPort = 5587;
        int imapPort = 1143;
        int imapsPort = 1993;
        int webAdminPort = 8000;
        int jmxPort = 9999;
        String mongoUri;
        final Map<String, String> shapingProperties = new LinkedHashMap<>();
        final Map<String, String> fileOverrides = new LinkedHashMap<>();
        final java.util.List<String[]> replacements = new java.util.ArrayList<>();

        public Settings bindHost(String host) {
            this.bindHost = host;
            return this;
        }

        public Settings smtpPort(int port) {
            this.smtpPort = port;
            return this;
        }

        /** The implicit-TLS submission server (the sample's :465). */
        public Settings smtpsPort(int port) {
            this.smtpsPort = port;
            return this;
        }

        /** The STARTTLS submission server (the sample's :587). */
        public Settings submissionPort(int port) {
            this.submissionPort = port;
            return this;
        }

        /** IMAP with STARTTLS (the sample's :143). */
        public Settings imapPort(int port) {
            this.imapPort = port;
            return this;
        }

        /** IMAPS (the sample's :993). */
        public Settings imapsPort(int port) {
            this.imapsPort = port;
            return this;
        }

        public Settings webAdminPort(int port) {
            this.webAdminPort = port;
            return this;
        }

        public Settings jmxPort(int port) {
            this.jmxPort = port;
            return this;
        }

        public Settings mongoUri(String uri) {
            this.mongoUri = uri;
            return this;
        }

        /** Sets (or adds) a key of shaping.properties. */
        public Settings shapingProperty(String key, String value) {
            shapingProperties.put(key, value);
            return this;
        }

        /** Replaces text in a configuration file; fails at prepare time if the text is not there. */
        public Settings replaceInFile(String name, String expected, String replacement) {
            replacements.add(new String[] {name, expected, replacement});
            return this;
        }

        /** Replaces a whole configuration file (tests with their own smtpserver.xml, ...). */
        public Settings confFile(String name, String content) {
            fileOverrides.put(name, content);
            return this;
        }
    }

    public static JamesHome prepare(Path root, Path sampleConf, Path extensionJar, Settings settings) throws IOException {
        if (!Files.isRegularFile(extensionJar)) {
            throw new IOException("Extension jar not found: " + extensionJar + " (build it with: mvn -B -DskipTests package)");
        }
        ConfFolder conf = ConfFolder.copyOf(sampleConf, root.resolve("conf"), GENERATED);
        Path extensions = Files.createDirectories(root.resolve("extensions-jars"));
        Files.createDirectories(root.resolve("var"));
        try (Stream<Path> old = Files.list(extensions)) {
            for (Path jar : (Iterable<Path>) old.filter(path -> path.getFileName().toString().endsWith(".jar"))::iterator) {
                Files.delete(jar);
            }
        }
        Files.copy(extensionJar, extensions.resolve("james-shaping.jar"), StandardCopyOption.REPLACE_EXISTING);

        conf.replace("smtpserver.xml", "<bind>0.0.0.0:25</bind>", "<bind>" + settings.bindHost + ":" + settings.smtpPort + "</bind>");
        conf.replace("smtpserver.xml", "<bind>0.0.0.0:465</bind>", "<bind>" + settings.bindHost + ":" + settings.smtpsPort + "</bind>");
        conf.replace("smtpserver.xml", "<bind>0.0.0.0:587</bind>", "<bind>" + settings.bindHost + ":" + settings.submissionPort + "</bind>");
        conf.replace("imapserver.xml", "<bind>0.0.0.0:143</bind>", "<bind>" + settings.bindHost + ":" + settings.imapPort + "</bind>");
        conf.replace("imapserver.xml", "<bind>0.0.0.0:993</bind>", "<bind>" + settings.bindHost + ":" + settings.imapsPort + "</bind>");
        conf.replace("webadmin.properties", "port=8000", "port=" + settings.webAdminPort);
        conf.replace("webadmin.properties", "host=0.0.0.0", "host=" + settings.bindHost);
        conf.replace("jmx.properties", "jmx.port=9999", "jmx.port=" + settings.jmxPort);
        conf.replace("dnsservice.xml", "<servers>\n    </servers>\n    <autodiscover>true</autodiscover>",
            "<servers>\n        <server>127.0.0.1</server>\n    </servers>\n    <autodiscover>false</autodiscover>");
        if (settings.mongoUri != null) {
            conf.setProperty("shaping.properties", "mongo.uri", settings.mongoUri);
        }
        settings.shapingProperties.forEach((key, value) -> conf.setProperty("shaping.properties", key, value));
        for (String[] replacement : settings.replacements) {
            conf.replace(replacement[0], replacement[1], replacement[2]);
        }
        settings.fileOverrides.forEach(conf::write);
        Keystores.ensureSelfSigned(conf.dir().resolve(Keystores.FILE));
        return new JamesHome(root, conf);
    }

    public Path root() {
        return root;
    }

    public Path conf() {
        return conf.dir();
    }

    /** The configuration folder, for edits after {@link #prepare} (checked as there). */
    public ConfFolder confFolder() {
        return conf;
    }
}
