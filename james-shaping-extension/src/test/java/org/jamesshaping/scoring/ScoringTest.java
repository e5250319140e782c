package org.jamesshaping.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;

import org.apache.commons.configuration2.ex.ConfigurationException;
import org.junit.jupiter.api.Test;

class ScoringTest {
    private static final ScoringConfig STRICT = new ScoringConfig().weight(Signal.UNKNOWN_RECIPIENT, 6);
    private static final ScoringConfig LENIENT = new ScoringConfig().weight(Signal.UNKNOWN_RECIPIENT, 0.5);

    @Test
    void aReputationBlockIsTakenWhenShapingPropertiesSetsNoScoring() throws Exception {
        Scoring scoring = new Scoring(Optional.empty());
        scoring.handlerBlock(STRICT, "the first handler");

        assertThat(scoring.classifier().settings()).isEqualTo(STRICT);
    }

    @Test
    void twoHandlersWhoseBlocksDisagreeStopJamesAndTwoThatAgreeDoNot() throws Exception {
        Scoring scoring = new Scoring(Optional.empty());
        scoring.handlerBlock(STRICT, "the first handler");
        assertThatCode(() -> scoring.handlerBlock(new ScoringConfig().weight(Signal.UNKNOWN_RECIPIENT, 6), "the second handler"))
            .doesNotThrowAnyException();

        assertThatThrownBy(() -> scoring.handlerBlock(LENIENT, "the third handler"))
            .isInstanceOf(ConfigurationException.class)
            .hasMessageContaining("the third handler").hasMessageContaining("the first handler")
            .hasMessageContaining("shaping.properties");
        assertThat(scoring.classifier().settings()).isEqualTo(STRICT);
    }

    @Test
    void aBlockThatDisagreesWithShapingPropertiesStopsJames() {
        Scoring scoring = new Scoring(Optional.of(STRICT));

        assertThatThrownBy(() -> scoring.handlerBlock(LENIENT, "a handler"))
            .isInstanceOf(ConfigurationException.class).hasMessageContaining("scoring.* keys of shaping.properties");
        assertThatCode(() -> scoring.handlerBlock(new ScoringConfig().weight(Signal.UNKNOWN_RECIPIENT, 6), "a handler"))
            .doesNotThrowAnyException();
        assertThat(scoring.classifier().settings()).isEqualTo(STRICT);
    }
}
