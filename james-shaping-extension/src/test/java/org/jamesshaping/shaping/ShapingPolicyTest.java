package org.jamesshaping.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.time.Duration;

import org.apache.commons.configuration2.XMLConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.io.FileHandler;
import org.junit.jupiter.api.Test;

class ShapingPolicyTest {
    static XMLConfiguration xml(String content) throws ConfigurationException {
        XMLConfiguration configuration = new XMLConfiguration();
        new FileHandler(configuration).load(new StringReader(content));
        return configuration;
    }

    @Test
    void theDefaultLeavesClassesZeroToThreeUnshapedAndShapesTheRest() {
        ShapingPolicy policy = ShapingPolicy.defaults();
        for (int level = 0; level <= 3; level++) {
            assertThat(policy.settings(level).isUnshaped()).isTrue();
        }
        for (int level = 4; level <= 8; level++) {
            assertThat(policy.settings(level).holds()).as("class %d", level).isTrue();
        }
        assertThat(policy.settings(8).greetingDelay()).isGreaterThan(policy.settings(4).greetingDelay());
        assertThat(policy.settings(8).dataReadRate()).isLessThan(policy.settings(4).dataReadRate());
    }

    @Test
    void onlyTheWorstNonBlockedClassHasItsMessagesRefusedAtData() throws Exception {
        ShapingPolicy policy = ShapingPolicy.defaults();
        for (int level = 0; level <= 9; level++) {
            assertThat(policy.settings(level).rejectAtData()).as("class %d", level).isEqualTo(level == 8);
        }
        ShapingPolicy relaxed = ShapingPolicy.from(xml("<handler><class level=\"8\"><rejectAtData>false</rejectAtData></class></handler>"));
        assertThat(relaxed.settings(8).rejectAtData()).isFalse();
    }

    @Test
    void presetsGoFromGentleToAggressive() {
        ClassSettings stage1 = ShapingPolicy.preset("stage1").get(7);
        ClassSettings stage3 = ShapingPolicy.preset("stage3").get(7);
        ClassSettings stage5 = ShapingPolicy.preset("stage5").get(7);
        assertThat(stage1.greetingDelay()).isLessThan(stage3.greetingDelay());
        assertThat(stage5.greetingDelay()).isGreaterThan(stage3.greetingDelay());
        assertThat(stage1.dataReadRate()).isGreaterThan(stage3.dataReadRate());
        assertThat(stage5.dataReadRate()).isLessThan(stage3.dataReadRate());
        assertThat(ShapingPolicy.preset("stage1").get(3).isUnshaped()).isTrue();
        assertThat(ShapingPolicy.preset("stage5").get(3).greetingDelay()).isPositive();
    }

    @Test
    void aClassBlockOverridesOnlyTheKeysItNames() throws Exception {
        ShapingPolicy policy = ShapingPolicy.from(xml("<handler><preset>stage3</preset><dryRun>true</dryRun>"
            + "<class level=\"7\"><greetingDelay>1500ms</greetingDelay><dataReadRate>100000</dataReadRate></class></handler>"));
        assertThat(policy.dryRun()).isTrue();
        assertThat(policy.settings(7).greetingDelay()).isEqualTo(Duration.ofMillis(1500));
        assertThat(policy.settings(7).dataReadRate()).isEqualTo(100_000);
        assertThat(policy.settings(7).replyDelay()).isEqualTo(ShapingPolicy.defaults().settings(7).replyDelay());
    }

    @Test
    void badValuesFailWithTheKeyNamed() {
        assertThatThrownBy(() -> ShapingPolicy.from(xml("<handler><class level=\"12\"/></handler>")))
            .hasMessageContaining("0 to 9");
        assertThatThrownBy(() -> ShapingPolicy.from(xml("<handler><class level=\"4\"><replyDelay>soon</replyDelay></class></handler>")))
            .hasMessageContaining("replyDelay");
        assertThatThrownBy(() -> ShapingPolicy.from(xml("<handler><class level=\"4\"><dataReadRate>-5</dataReadRate></class></handler>")))
            .hasMessageContaining("dataReadRate");
        assertThatThrownBy(() -> ShapingPolicy.from(xml("<handler><preset>stage9</preset></handler>")))
            .hasMessageContaining("stage1 to stage5");
    }

    @Test
    void maxDelayCapsEveryGreetingAndReplyDelay() throws Exception {
        ShapingPolicy stage5 = ShapingPolicy.from(xml("<handler><preset>stage5</preset></handler>"));
        assertThat(ShapingPolicy.preset("stage5").get(8).greetingDelay()).isEqualTo(Duration.ofSeconds(80));
        assertThat(stage5.settings(8).greetingDelay()).isEqualTo(Duration.ofSeconds(30));
        assertThat(stage5.settings(8).replyDelay()).isEqualTo(Duration.ofSeconds(20));
        assertThat(stage5.settings(4).greetingDelay()).as("under the cap: unchanged").isEqualTo(Duration.ofSeconds(4));

        ShapingPolicy tight = ShapingPolicy.from(xml("<handler><maxDelay>2s</maxDelay>"
            + "<class level=\"7\"><greetingDelay>1h</greetingDelay></class></handler>"));
        assertThat(tight.maxDelay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(tight.settings(7).greetingDelay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(tight.settings(8).replyDelay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(tight.settings(8).dataReadRate()).as("rates are not delays").isEqualTo(8192);
    }

    @Test
    void aMaxDelayOfZeroOrWithoutAUnitThatParsesIsRefusedAtStart() {
        assertThatThrownBy(() -> ShapingPolicy.from(xml("<handler><maxDelay>0s</maxDelay></handler>")))
            .isInstanceOf(ConfigurationException.class).hasMessageContaining("maxDelay");
        assertThatThrownBy(() -> ShapingPolicy.from(xml("<handler><maxDelay>soon</maxDelay></handler>")))
            .isInstanceOf(ConfigurationException.class).hasMessageContaining("maxDelay");
    }
}
