package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Grafana dashboard and its provisioning, as Grafana would load them from the compose monitoring profile, and
 * every metric its queries name checked against what a real James with the extension shows at WebAdmin's /metrics.
 */
class GrafanaDashboardIT {
    private static final Pattern NAME_REGEX = Pattern.compile("__name__\\s*=~\\s*\"([^\"]*)\"");
    private static final Pattern QUOTED = Pattern.compile("\"[^\"]*\"");
    private static final Pattern METRIC = Pattern.compile("\\bshaping_[a-z0-9_]+");

    private final Path root = TestEnvironment.repositoryRoot();

    @TempDir
    Path folder;

    @Test
    void theDashboardIsInGrafanasProvisioningFormatAndNamesOnlyMetricsJamesExports() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(root.resolve("docs/grafana/dashboards/james-shaping.json").toFile());
        assertThat(dashboard.get("uid").asText()).isEqualTo("james-shaping");
        assertThat(dashboard.get("title").asText()).isNotBlank();
        assertThat(dashboard.get("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
        // A provisioned dashboard is the model itself, not the {"dashboard": ...} envelope of the HTTP API.
        assertThat(dashboard.has("dashboard")).isFalse();

        List<String> titles = new ArrayList<>();
        List<String> expressions = new ArrayList<>();
        Set<Integer> ids = new TreeSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            titles.add(panel.get("title").asText());
            assertThat(ids.add(panel.get("id").asInt())).as("panel ids unique").isTrue();
            assertThat(panel.get("datasource").get("uid").asText()).isEqualTo("prometheus");
            JsonNode grid = panel.get("gridPos");
            assertThat(grid.get("x").asInt() + grid.get("w").asInt()).isLessThanOrEqualTo(24);
            assertThat(panel.get("targets")).isNotEmpty();
            for (JsonNode target : panel.get("targets")) {
                expressions.add(target.get("expr").asText());
            }
        }
        assertThat(titles).contains("Connections per second by class", "Held connections", "Limit and overload rejections",
            "Early talkers", "Write-behind depth", "MongoDB errors and bulk writes", "Filter verdicts",
            "Filter not-run reasons", "Predictive model age");

        Map<String, Object> datasources = yaml("docs/grafana/provisioning/datasources/prometheus.yaml");
        assertThat(datasources.get("apiVersion")).isEqualTo(1);
        Map<String, Object> prometheus = first(datasources, "datasources");
        assertThat(prometheus).containsEntry("type", "prometheus").containsEntry("uid", "prometheus")
            .containsEntry("url", "http://prometheus:9090");
        Map<String, Object> providers = yaml("docs/grafana/provisioning/dashboards/james-shaping.yaml");
        assertThat(providers.get("apiVersion")).isEqualTo(1);
        Map<String, Object> provider = first(providers, "providers");
        assertThat(provider).containsEntry("type", "file");
        @SuppressWarnings("unchecked")
        String dashboardsPath = (String) ((Map<String, Object>) provider.get("options")).get("path");
        assertThat(composeMounts("grafana")).contains("./docs/grafana/dashboards:" + dashboardsPath + ":ro",
            "./docs/grafana/provisioning/datasources:/etc/grafana/provisioning/datasources:ro",
            "./docs/grafana/provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro");
        assertThat(composeMounts("prometheus")).contains("./docs/grafana/prometheus.yml:/etc/prometheus/prometheus.yml:ro");
        Map<String, Object> scrape = first(yaml("docs/grafana/prometheus.yml"), "scrape_configs");
        assertThat(scrape).containsEntry("metrics_path", "/metrics");
        assertThat(scrape.get("static_configs").toString()).contains("james:8000");

        // The README's PromQL examples name the same series.
        String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
        int block = readme.indexOf("```promql");
        assertThat(block).as("PromQL examples in the README").isPositive();
        for (String line : readme.substring(block + "```promql".length(), readme.indexOf("```", block + 3)).split("\n")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                expressions.add(line);
            }
        }

        Set<String> exported = exportedByJames();
        Set<String> named = new TreeSet<>();
        for (String expression : expressions) {
            Matcher regexes = NAME_REGEX.matcher(expression);
            while (regexes.find()) {
                Pattern regex = Pattern.compile(regexes.group(1));
                assertThat(exported.stream().filter(name -> regex.matcher(name).matches()))
                    .as("series matching %s in %s", regex, expression).isNotEmpty();
            }
            // Names inside strings are regexes and label_replace patterns, checked above.
            Matcher names = METRIC.matcher(QUOTED.matcher(expression).replaceAll("\"\""));
            while (names.find()) {
                named.add(names.group());
            }
        }
        assertThat(named).hasSizeGreaterThan(10);
        assertThat(exported).as("exported by James at /metrics").containsAll(named);
    }

    /** Series names (histogram and summary parts included) at /metrics of a James that has seen a little traffic. */
    private Set<String> exportedByJames() throws Exception {
        try (EmbeddedMongo mongo = EmbeddedMongo.inMemory().start(0);
             JamesTestServer james = JamesTestServer.start(folder.resolve("james"), mongo.uri())) {
            assertThat(SmtpClient.sendMail("127.0.211.5", james.smtpPort(), "a@example.org", List.of("nobody@james.local")).code)
                .isEqualTo(550);
            Set<String> names = new TreeSet<>();
            // The bulk-write timer is registered at the first flush (every 200 ms in the tests).
            Eventually.within(Duration.ofSeconds(5), () -> {
                names.clear();
                for (String line : james.webAdmin().get("/metrics").body.split("\n")) {
                    if (!line.startsWith("#") && !line.isBlank()) {
                        names.add(line.split("[{ ]", 2)[0]);
                    }
                }
                assertThat(names).contains("shaping_flush_seconds");
            });
            return names;
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> yaml(String file) throws Exception {
        return (Map<String, Object>) new Load(LoadSettings.builder().build())
            .loadFromString(Files.readString(root.resolve(file), StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> first(Map<String, Object> yaml, String list) {
        List<Map<String, Object>> entries = (List<Map<String, Object>>) yaml.get(list);
        assertThat(entries).as(list).hasSize(1);
        return entries.get(0);
    }

    @SuppressWarnings("unchecked")
    private List<String> composeMounts(String service) throws Exception {
        Map<String, Object> services = (Map<String, Object>) yaml("docker-compose.yml").get("services");
        Map<String, Object> definition = (Map<String, Object>) services.get(service);
        assertThat((List<String>) definition.get("profiles")).containsExactly("monitoring");
        List<String> volumes = (List<String>) definition.get("volumes");
        for (String volume : volumes) {
            assertThat(root.resolve(volume.split(":")[0]).normalize()).as(volume).exists();
        }
        return volumes;
    }
}
