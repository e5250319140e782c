package org.jamesshaping.filter.mailet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.mail.MessagingException;

import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.apache.mailet.MatcherConfig;
import org.jamesshaping.scoring.ClassDecision;
import org.junit.jupiter.api.Test;

class SenderShapingClassTest {
    private static SenderShapingClass matcher(String condition) throws MessagingException {
        SenderShapingClass matcher = new SenderShapingClass();
        matcher.init(new MatcherConfig() {
            public String getCondition() {
                return condition;
            }

            public MailetContext getMailetContext() {
                return null;
            }

            public String getMatcherName() {
                return "SenderShapingClass";
            }
        });
        return matcher;
    }

    private static Mail mail(Object senderClass) throws MessagingException {
        Mail mail = MailImpl.builder().name("mail-" + System.nanoTime()).sender("sender@example.org").addRecipient("rcpt@example.com").build();
        if (senderClass != null) {
            mail.setAttribute(new Attribute(AttributeName.of(ClassDecision.MAIL_ATTRIBUTE), AttributeValue.ofAny(senderClass)));
        }
        return mail;
    }

    @Test
    void matchesTheListedClassesAndRangesOnly() throws Exception {
        SenderShapingClass bad = matcher("8-9");
        assertThat(bad.match(mail(8))).hasSize(1);
        assertThat(bad.match(mail(9))).hasSize(1);
        assertThat(bad.match(mail(7))).isEmpty();
        SenderShapingClass mixed = matcher("0, 3-4");
        assertThat(mixed.match(mail(0))).hasSize(1);
        assertThat(mixed.match(mail(4))).hasSize(1);
        assertThat(mixed.match(mail(1))).isEmpty();
    }

    @Test
    void mailWithoutTheShapersClassNeverMatches() throws Exception {
        SenderShapingClass any = matcher("0-9");
        assertThat(any.match(mail(null))).as("relay network, mailets, other protocols").isEmpty();
        assertThat(any.match(mail("0"))).as("not the Integer the shaper sets").isEmpty();
    }

    @Test
    void aBadConditionFailsTheMatchersInitNamingIt() {
        for (String condition : new String[] {"", "10", "-1", "9-8", "a", "1-2-3"}) {
            assertThatThrownBy(() -> matcher(condition)).as(condition).isInstanceOf(MessagingException.class)
                .hasMessageContaining("SenderShapingClass");
        }
    }
}
