package org.jamesshaping.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A James working directory ({@code conf/}, {@code extensions-jars/}, {@code var/}) laid out from the sample
 * configuration in {@code james-conf/}, with the handful of values a local run or a test must change: ports,
 * bind addresses, the MongoDB URI, and DNS pointed at loopback. Every change names the text it replaces and
 * fails if the sample no longer has it, so the sample and the launcher cannot drift apart silently.
 */
public final class JamesHome {
    /** Files James generates on first start and that must survive a restart. */
    private static final java.util.Set<String> GENERATED = java.util.Set.of("jmxremote.password", "jmxremote.access", "keystore");

    private final Path root;

    private JamesHome(Path root) {
        this.root = root;
    }

    public static final class Settings {
        String bindHost = "127.0.0.1";
        int smtpPort = 2525;
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
        if (!Files.isDirectory(sampleConf)) {
            throw new IOException("Sample configuration folder not found: " + sampleConf);
        }
        if (!Files.isRegularFile(extensionJar)) {
            throw new IOException("Extension jar not found: " + extensionJar + " (build it with: mvn -B -DskipTests package)");
        }
        Path conf = Files.createDirectories(root.resolve("conf"));
        Path extensions = Files.createDirectories(root.resolve("extensions-jars"));
        Files.createDirectories(root.resolve("var"));
        try (Stream<Path> files = Files.list(sampleConf)) {
            files.filter(Files::isRegularFile).forEach(file -> copy(file, conf.resolve(file.getFileName().toString())));
        }
        try (Stream<Path> old = Files.list(extensions)) {
            old.filter(path -> path.getFileName().toString().endsWith(".jar")).forEach(JamesHome::delete);
        }
        Files.copy(extensionJar, extensions.resolve("james-shaping.jar"), StandardCopyOption.REPLACE_EXISTING);

        JamesHome home = new JamesHome(root);
        home.replace("smtpserver.xml", "<bind>0.0.0.0:25</bind>", "<bind>" + settings.bindHost + ":" + settings.smtpPort + "</bind>");
        home.replace("webadmin.properties", "port=8000", "port=" + settings.webAdminPort);
        home.replace("webadmin.properties", "host=0.0.0.0", "host=" + settings.bindHost);
        home.replace("jmx.properties", "jmx.port=9999", "jmx.port=" + settings.jmxPort);
        home.replace("dnsservice.xml", "<servers>\n    </servers>\n    <autodiscover>true</autodiscover>",
            "<servers>\n        <server>127.0.0.1</server>\n    </servers>\n    <autodiscover>false</autodiscover>");
        if (settings.mongoUri != null) {
            home.setProperty("shaping.properties", "mongo.uri", settings.mongoUri);
        }
        for (Map.Entry<String, String> property : settings.shapingProperties.entrySet()) {
            home.setProperty("shaping.properties", property.getKey(), property.getValue());
        }
        for (String[] replacement : settings.replacements) {
            home.replace(replacement[0], replacement[1], replacement[2]);
        }
        for (Map.Entry<String, String> file : settings.fileOverrides.entrySet()) {
            Files.writeString(conf.resolve(file.getKey()), file.getValue(), StandardCharsets.UTF_8);
        }
        return home;
    }

    private static void copy(Path from, Path to) {
        if (GENERATED.contains(from.getFileName().toString()) && Files.exists(to)) {
            return;
        }
        try {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path path) {
        try {
            Files.delete(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path root() {
        return root;
    }

    public Path conf() {
        return root.resolve("conf");
    }

    public void replace(String file, String expected, String replacement) throws IOException {
        Path path = conf().resolve(file);
        String content = Files.readString(path, StandardCharsets.UTF_8);
        if (!content.contains(expected)) {
            throw new IllegalStateException("james-conf/" + file + " no longer contains '" + expected + "'; update JamesHome");
        }
        Files.writeString(path, content.replace(expected, replacement), StandardCharsets.UTF_8);
    }

    public void setProperty(String file, String key, String value) throws IOException {
        Path path = conf().resolve(file);
        String content = Files.readString(path, StandardCharsets.UTF_8);
        Pattern line = Pattern.compile("(?m)^" + Pattern.quote(key) + "=.*$");
        Matcher matcher = line.matcher(content);
        String updated = matcher.find()
            ? matcher.replaceFirst(Matcher.quoteReplacement(key + "=" + value))
            : content + (content.endsWith("\n") ? "" : "\n") + key + "=" + value + "\n";
        Files.writeString(path, updated, StandardCharsets.UTF_8);
    }
}
