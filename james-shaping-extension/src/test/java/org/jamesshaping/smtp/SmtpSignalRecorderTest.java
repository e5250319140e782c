package org.jamesshaping.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

import org.jamesshaping.store.ReputationKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SmtpSignalRecorderTest {
    private static final InetAddress CLIENT = ReputationKey.parseAddress("203.0.113.7");

    @ParameterizedTest
    @CsvSource({
        "mail.example.com, false",
        "mx1.mail.example.co.uk., false",
        "[203.0.113.7], false",
        "[198.51.100.1], true",
        "[IPv6:2001:db8::1], true",
        "[192.168.1.20], false",
        "[10.0.0.7], false",
        "[IPv6:fd00::7], false",
        "[127.0.0.1], false",
        "localhost, true",
        "bot, true",
        "'', true",
        "-bad-.example.com, true",
        "[not-an-ip], true",
        "a.b, false",
        "EXAMPLE.COM, false",
        "xn--bcher-kva.example, false",
        "example.123, true",
        "a..example.com, true",
        "example.com-, true",
        "ex_ample.com, true",
        "., true",
        "example.com.., true",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example, false",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example, true"
    })
    void heloAnomaliesAreForeignAddressLiteralsAndNamesThatAreNotDomains(String helo, boolean anomaly) {
        assertThat(SmtpSignalRecorder.isHeloAnomaly(helo, CLIENT)).isEqualTo(anomaly);
    }

    @Test
    void aPrivateClientNamingAnotherPrivateAddressIsStillAnAnomaly() {
        assertThat(SmtpSignalRecorder.isHeloAnomaly("[10.0.0.7]", ReputationKey.parseAddress("10.0.0.5"))).isTrue();
        assertThat(SmtpSignalRecorder.isHeloAnomaly("[10.0.0.5]", ReputationKey.parseAddress("10.0.0.5"))).isFalse();
    }

    /** The hand-written check must accept exactly what the RFC 1035 expression it replaced accepted. */
    @Test
    void domainNamesAreWhatTheRfc1035ExpressionAccepts() {
        Pattern rfc1035 = Pattern.compile(
            "(?i)^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?\\.?$");
        String alphabet = "ab9Z-._.";
        Random random = new Random(42);
        int domains = 0;
        for (int n = 0; n < 200_000; n++) {
            StringBuilder name = new StringBuilder();
            int length = random.nextInt(12);
            for (int i = 0; i < length; i++) {
                name.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            boolean expected = rfc1035.matcher(name).matches();
            domains += expected ? 1 : 0;
            assertThat(SmtpSignalRecorder.isDomainName(name.toString())).as("'%s'", name).isEqualTo(expected);
        }
        String label = "a".repeat(63);
        for (String name : List.of(label + "." + label + "." + label + "." + "a".repeat(61), label + "." + label + "." + label + "." + "a".repeat(62),
                label + "." + label + "." + label + "." + "a".repeat(61) + ".", "a".repeat(64) + ".com")) {
            assertThat(SmtpSignalRecorder.isDomainName(name)).as("%d characters", name.length()).isEqualTo(rfc1035.matcher(name).matches());
        }
        assertThat(domains).as("generated names that are domains").isGreaterThan(1000);
    }
}
