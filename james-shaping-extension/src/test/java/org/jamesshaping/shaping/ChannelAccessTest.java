package org.jamesshaping.shaping;

import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;

/** Breaks the build, loudly, if a James upgrade moves the Netty channel that shaping needs. */
class ChannelAccessTest {
    @Test
    void jamesStillKeepsTheNettyChannelWhereShapingReachesIt() {
        assertThatCode(ChannelAccess::verify).doesNotThrowAnyException();
    }
}
