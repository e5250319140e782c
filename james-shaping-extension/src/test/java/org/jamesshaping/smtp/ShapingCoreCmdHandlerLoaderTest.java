package org.jamesshaping.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.smtpserver.CoreCmdHandlerLoader;
import org.apache.james.smtpserver.JamesWelcomeMessageHandler;
import org.junit.jupiter.api.Test;

class ShapingCoreCmdHandlerLoaderTest {
    @Test
    void isJamesCoreListWithoutOnlyTheWelcomeHandler() {
        assertThat(new ShapingCoreCmdHandlerLoader().getHandlers())
            .doesNotContain(JamesWelcomeMessageHandler.class.getName())
            .hasSize(new CoreCmdHandlerLoader().getHandlers().size() - 1)
            .containsAll(new CoreCmdHandlerLoader().getHandlers().subList(1, new CoreCmdHandlerLoader().getHandlers().size()));
    }
}
