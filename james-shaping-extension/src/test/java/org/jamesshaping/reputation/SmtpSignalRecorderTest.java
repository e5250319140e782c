package org.jamesshaping.reputation;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;

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
        "localhost, true",
        "bot, true",
        "'', true",
        "-bad-.example.com, true",
        "[not-an-ip], true"
    })
    void heloAnomaliesAreForeignAddressLiteralsAndNamesThatAreNotDomains(String helo, boolean anomaly) {
        assertThat(SmtpSignalRecorder.isHeloAnomaly(helo, CLIENT)).isEqualTo(anomaly);
    }
}
