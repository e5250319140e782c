package org.jamesshaping.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import org.apache.commons.configuration2.PropertiesConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.jamesshaping.store.ReputationKey;
import org.junit.jupiter.api.Test;

/** The checks on what operators give before anything is stored (over HTTP: WebAdminSecurityIT). */
class OperatorInputTest {
    private final ReputationReports reports = new ReputationReports(null, null, AdminSettings.defaults());

    @Test
    void aReasonIsOneLineOfBoundedLength() {
        assertThatCode(() -> ReputationReports.checkReason("Spam run from your host, déjà signalé")).doesNotThrowAnyException();
        assertThatCode(() -> ReputationReports.checkReason(null)).doesNotThrowAnyException();
        assertThatCode(() -> ReputationReports.checkReason("Spam\trun")).doesNotThrowAnyException();
        assertThatCode(() -> ReputationReports.checkReason("x".repeat(ReputationReports.MAX_REASON_LENGTH))).doesNotThrowAnyException();
        assertThatThrownBy(() -> ReputationReports.checkReason("x".repeat(ReputationReports.MAX_REASON_LENGTH + 1)))
            .hasMessageContaining("at most 200");
        assertThatThrownBy(() -> ReputationReports.checkReason("botnet\r\nINFO forged")).hasMessageContaining("U+000D at position 6");
        assertThatThrownBy(() -> ReputationReports.checkReason("\u001b[2J")).hasMessageContaining("U+001B");
        assertThatThrownBy(() -> ReputationReports.checkReason("abc\u202edcba")).hasMessageContaining("U+202E");
    }

    @Test
    void everyAddressAndNetworksUpToTheMinimumNeedNoForce() {
        assertThatCode(() -> reports.checkWidth(ReputationKey.parse("203.0.113.7"), false)).doesNotThrowAnyException();
        assertThatCode(() -> reports.checkWidth(ReputationKey.parse("10.0.0.0/8"), false)).doesNotThrowAnyException();
        assertThatCode(() -> reports.checkWidth(ReputationKey.parse("2001:db8::/32"), false)).doesNotThrowAnyException();
    }

    @Test
    void widerNetworksAndEverythingNeedForce() {
        assertThatThrownBy(() -> reports.checkWidth(ReputationKey.parse("0.0.0.0/0"), false))
            .hasMessageContaining("covers every IPv4 address").hasMessageContaining("force=true");
        assertThatThrownBy(() -> reports.checkWidth(ReputationKey.parse("::/0"), false)).hasMessageContaining("every IPv6 address");
        assertThatThrownBy(() -> reports.checkWidth(ReputationKey.parse("10.0.0.0/7"), false)).hasMessageContaining("wider than /8");
        assertThatThrownBy(() -> reports.checkWidth(ReputationKey.parse("2001:d00::/24"), false)).hasMessageContaining("wider than /32");
        assertThatCode(() -> reports.checkWidth(ReputationKey.parse("0.0.0.0/0"), true)).doesNotThrowAnyException();
    }

    @Test
    void theMinimumsAndOriginsAreReadFromShapingProperties() throws Exception {
        PropertiesConfiguration conf = new PropertiesConfiguration();
        conf.addProperty("admin.status.min.prefix.ipv4", "16");
        conf.addProperty("admin.status.min.prefix.ipv6", "48");
        conf.addProperty("admin.allowed.origins", "https://admin.example.org/");
        AdminSettings settings = AdminSettings.from(conf);
        assertThat(settings.minPrefixIpv4()).isEqualTo(16);
        assertThat(settings.minPrefixIpv6()).isEqualTo(48);
        assertThat(settings.isAllowedOrigin("https://ADMIN.example.org")).isTrue();
        assertThat(settings.isAllowedOrigin("https://evil.example")).isFalse();

        AdminSettings defaults = AdminSettings.from(new PropertiesConfiguration());
        assertThat(defaults.minPrefixIpv4()).isEqualTo(AdminSettings.DEFAULT_MIN_PREFIX_IPV4);
        assertThat(defaults.minPrefixIpv6()).isEqualTo(AdminSettings.DEFAULT_MIN_PREFIX_IPV6);

        PropertiesConfiguration bad = new PropertiesConfiguration();
        bad.addProperty("admin.status.min.prefix.ipv4", "33");
        assertThatThrownBy(() -> AdminSettings.from(bad)).isInstanceOf(ConfigurationException.class)
            .hasMessageContaining("admin.status.min.prefix.ipv4");
    }

    @Test
    void theOwnOriginCountsOnlyForAnAddressOrLocalhost() {
        assertThat(RequestGuard.isOwnOrigin("http://127.0.0.1:8000", "127.0.0.1:8000")).isTrue();
        assertThat(RequestGuard.isOwnOrigin("http://localhost:8000", "localhost:8000")).isTrue();
        assertThat(RequestGuard.isOwnOrigin("http://[::1]:8000", "[::1]:8000")).isTrue();
        assertThat(RequestGuard.isOwnOrigin("http://127.0.0.1", "127.0.0.1")).isTrue();
        assertThat(RequestGuard.isOwnOrigin("http://evil.example", "127.0.0.1:8000")).isFalse();
        assertThat(RequestGuard.isOwnOrigin("http://127.0.0.1:9000", "127.0.0.1:8000")).isFalse();
        // DNS rebinding: the attacker's name resolves to the server, so the browser calls it same-origin.
        assertThat(RequestGuard.isOwnOrigin("http://rebind.evil.example:8000", "rebind.evil.example:8000")).isFalse();
        assertThat(RequestGuard.isOwnOrigin("null", "127.0.0.1:8000")).isFalse();
        assertThat(RequestGuard.isOwnOrigin("http://127.0.0.1:8000", null)).isFalse();
        assertThat(AdminSettings.defaults().isAllowedOrigin("http://127.0.0.1:8000")).isFalse();
    }
}
