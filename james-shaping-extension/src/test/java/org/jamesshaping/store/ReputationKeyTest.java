package org.jamesshaping.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReputationKeyTest {
    @Test
    void singleIpv4AddressIsItsOwnKey() {
        ReputationKey key = ReputationKey.parse("203.0.113.7");
        assertThat(key.id()).isEqualTo("203.0.113.7");
        assertThat(key.kind()).isEqualTo("ip");
        assertThat(key.isSingleAddress()).isTrue();
    }

    @Test
    void ipv6AddressIsRenderedCanonically() {
        assertThat(ReputationKey.parse("2001:0DB8:0000:0000:0000:0000:0000:0001").id()).isEqualTo("2001:db8::1");
    }

    @Test
    void ipv4MappedIpv6IsTheIpv4Sender() throws Exception {
        InetAddress mapped = InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 203, 0, 113, 7});
        assertThat(ReputationKey.ofAddress(mapped).id()).isEqualTo("203.0.113.7");
        assertThat(ReputationKey.subnetOf(mapped).id()).isEqualTo("203.0.113.0/24");
        assertThat(ReputationKey.parse("::ffff:203.0.113.7").id()).isEqualTo("203.0.113.7");
    }

    @Test
    void subnetsAreSlash24AndSlash64() {
        assertThat(ReputationKey.subnetOf(ReputationKey.parseAddress("198.51.100.200")).id()).isEqualTo("198.51.100.0/24");
        assertThat(ReputationKey.subnetOf(ReputationKey.parseAddress("2001:db8:1:2:3:4:5:6")).id()).isEqualTo("2001:db8:1:2::/64");
    }

    @Test
    void wideNetworksAreSlash16AndSlash48AndEachKeyCountsInTheNextWiderOne() {
        InetAddress v4 = ReputationKey.parseAddress("198.51.100.200");
        InetAddress v6 = ReputationKey.parseAddress("2001:db8:1:2:3:4:5:6");
        assertThat(ReputationKey.wideOf(v4).id()).isEqualTo("198.51.0.0/16");
        assertThat(ReputationKey.wideOf(v6).id()).isEqualTo("2001:db8:1::/48");

        assertThat(ReputationKey.ofAddress(v4).countedIn()).isEqualTo(ReputationKey.subnetOf(v4));
        assertThat(ReputationKey.subnetOf(v4).countedIn()).isEqualTo(ReputationKey.wideOf(v4));
        assertThat(ReputationKey.ofAddress(v6).countedIn()).isEqualTo(ReputationKey.subnetOf(v6));
        assertThat(ReputationKey.subnetOf(v6).countedIn()).isEqualTo(ReputationKey.wideOf(v6));
        // A wide network, or an operator's CIDR of any other size, counts nowhere.
        assertThat(ReputationKey.wideOf(v4).countedIn()).isNull();
        assertThat(ReputationKey.wideOf(v6).countedIn()).isNull();
        assertThat(ReputationKey.parse("198.51.100.128/25").countedIn()).isNull();
        assertThat(ReputationKey.parse("2001:db8:1:200::/56").countedIn()).isNull();
    }

    @Test
    void rotatingSubnetsOfOneWideNetworkShareItAndOnlyIt() {
        // A bot hopping through /64s of one /48 (or /24s of one /16) starts in a fresh subnet, never a fresh wide network.
        assertThat(ReputationKey.wideOf(ReputationKey.parseAddress("2001:db8:1:a::1")))
            .isEqualTo(ReputationKey.wideOf(ReputationKey.parseAddress("2001:db8:1:ffff::9")))
            .isNotEqualTo(ReputationKey.wideOf(ReputationKey.parseAddress("2001:db8:2:a::1")));
        assertThat(ReputationKey.subnetOf(ReputationKey.parseAddress("2001:db8:1:a::1")))
            .isNotEqualTo(ReputationKey.subnetOf(ReputationKey.parseAddress("2001:db8:1:b::1")));
        assertThat(ReputationKey.wideOf(ReputationKey.parseAddress("203.0.7.1")))
            .isEqualTo(ReputationKey.wideOf(ReputationKey.parseAddress("203.0.250.1")))
            .isNotEqualTo(ReputationKey.wideOf(ReputationKey.parseAddress("203.1.7.1")));
    }

    @Test
    void cidrContainsItsAddressesOnly() {
        ReputationKey network = ReputationKey.parse("10.0.0.0/8");
        assertThat(network.contains(ReputationKey.parseAddress("10.255.1.2"))).isTrue();
        assertThat(network.contains(ReputationKey.parseAddress("11.0.0.1"))).isFalse();
        assertThat(network.contains(ReputationKey.parseAddress("::1"))).isFalse();
        assertThat(ReputationKey.parse("2001:db8::/32").contains(ReputationKey.parseAddress("2001:db8:ffff::1"))).isTrue();
    }

    @Test
    void hostBitsInACidrAreRejectedWithASuggestion() {
        assertThatThrownBy(() -> ReputationKey.parse("10.1.2.3/8"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("did you mean 10.0.0.0/8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "mail.example.com", "203.0.113.300", "203.0.113.7/33", "2001:db8::/129", "1.2.3.4/x",
        "1.2.3.4; drop", "{\"$gt\":\"\"}", "localhost", "1.2.3"})
    void anythingButAnAddressLiteralOrCidrIsRejected(String input) {
        assertThatThrownBy(() -> ReputationKey.parse(input)).isInstanceOf(IllegalArgumentException.class);
    }
}
