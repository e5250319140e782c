package org.jamesshaping.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OperatorBlockDescriptionTest {

    @Test
    void aReasonCannotAddALineToTheReply() {
        // An operator's reason with CR LF would otherwise end the 554 and write a reply of its own.
        assertThat(SmtpReplies.operatorBlockDescription("Spam run\r\n250 2.0.0 OK"))
            .isEqualTo("5.7.1 Spam run  250 2.0.0 OK")
            .doesNotContain("\r").doesNotContain("\n");
    }

    @Test
    void nonAsciiAndControlCharactersBecomeSpacesAndTheEndsAreTrimmed() {
        assertThat(SmtpReplies.operatorBlockDescription("\tSpäm\u0000run "))
            .isEqualTo("5.7.1 Sp m run");
    }

    @Test
    void aLongReasonIsCutAtTwoHundredCharacters() {
        assertThat(SmtpReplies.operatorBlockDescription("x".repeat(500)))
            .isEqualTo("5.7.1 " + "x".repeat(200));
    }
}
