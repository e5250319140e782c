package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** No Docker engine here: check docker-compose.yml against the repository instead of running it. */
class DockerComposeTest {
    /** Mail ports, published on every interface; everything else only on the host's loopback. */
    private static final Set<String> PUBLIC_PORTS = Set.of("25:25", "465:465", "587:587", "143:143", "993:993");
    private final Path root = TestEnvironment.repositoryRoot();

    @SuppressWarnings("unchecked")
    private Map<String, Object> services() throws Exception {
        Object yaml = new Load(LoadSettings.builder().build())
            .loadFromString(Files.readString(root.resolve("docker-compose.yml"), StandardCharsets.UTF_8));
        return (Map<String, Object>) ((Map<String, Object>) yaml).get("services");
    }

    @Test
    @SuppressWarnings("unchecked")
    void usesTheOfficialImagesAndPublishesSmtpEverywhereAndTheRestOnLoopbackOnly() throws Exception {
        Map<String, Object> james = (Map<String, Object>) services().get("james");
        Map<String, Object> mongo = (Map<String, Object>) services().get("mongo");
        assertThat(james.get("image")).isEqualTo("apache/james:memory-3.8.1");
        assertThat(mongo.get("image")).isEqualTo("mongo:7");
        assertThat((List<String>) james.get("ports")).contains("25:25", "127.0.0.1:8000:8000");
        // Only SMTP on every interface: WebAdmin and MongoDB on the host's loopback (JMX not at all).
        assertThat((List<String>) james.get("ports")).allMatch(port -> PUBLIC_PORTS.contains(port) || port.startsWith("127.0.0.1:"));
        assertThat((List<String>) james.get("ports")).noneMatch(port -> port.contains("9999"));
        assertThat((List<String>) mongo.getOrDefault("ports", List.of())).allMatch(port -> port.startsWith("127.0.0.1:"));
        assertThat(String.valueOf(james.get("command"))).contains("--generate-keystore");
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyMountedFileExistsAndTheJarGoesToExtensionsJars() throws Exception {
        List<String> volumes = (List<String>) ((Map<String, Object>) services().get("james")).get("volumes");
        assertThat(volumes).isNotEmpty();
        boolean jarMounted = false;
        for (String volume : volumes) {
            String[] parts = volume.split(":");
            Path source = root.resolve(parts[0]).normalize();
            assertThat(source).as("mounted file %s", parts[0]).isRegularFile();
            assertThat(parts[1]).startsWith("/root/");
            if (parts[1].startsWith("/root/extensions-jars/")) {
                jarMounted = true;
                assertThat(source).isEqualTo(TestEnvironment.extensionJar().toAbsolutePath().normalize());
            }
        }
        assertThat(jarMounted).isTrue();
        assertThat(volumes).contains("./james-conf/shaping.properties:/root/conf/shaping.properties",
            "./james-conf/extensions.properties:/root/conf/extensions.properties");
    }

    /**
     * The image has James's stock files; a sample file that changes anything must be mounted over its copy, or
     * compose would run another configuration than the one documented. logback.xml stays the image's (its own
     * writes /logs/james.log, ours only the console).
     */
    @Test
    @SuppressWarnings("unchecked")
    void everySampleFileThatDiffersFromStockIsMounted() throws Exception {
        Set<String> mounted = ((List<String>) ((Map<String, Object>) services().get("james")).get("volumes")).stream()
            .filter(volume -> volume.startsWith("./james-conf/"))
            .map(volume -> volume.split(":")[0].substring("./james-conf/".length()))
            .collect(Collectors.toSet());
        try (Stream<Path> files = Files.list(root.resolve("james-conf"))) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                boolean stock = Files.readString(file, StandardCharsets.UTF_8).contains("memory-app sample " + name + ", unchanged");
                if (!stock && !name.equals("logback.xml")) {
                    assertThat(mounted).as("james-conf/%s changes the stock file: docker-compose.yml must mount it", name).contains(name);
                }
            }
        }
    }

    @Test
    void theExtensionsMongoUriPointsAtTheComposeService() throws Exception {
        Properties shaping = new Properties();
        try (Reader reader = Files.newBufferedReader(root.resolve("james-conf/shaping.properties"))) {
            shaping.load(reader);
        }
        String uri = shaping.getProperty("mongo.uri");
        assertThat(uri).startsWith("mongodb://");
        String host = uri.substring("mongodb://".length()).split("[:/]")[0];
        assertThat(services()).containsKey(host);
    }
}
