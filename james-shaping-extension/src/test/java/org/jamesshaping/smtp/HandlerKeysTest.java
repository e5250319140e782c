package org.jamesshaping.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.XMLConfiguration;
import org.apache.commons.configuration2.io.FileHandler;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** Misspelt elements of the extension's handlers in smtpserver.xml are warned about at start, with the closest known one. */
class HandlerKeysTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger(TrafficShaper.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    @BeforeEach
    void capture() {
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void release() {
        logger.detachAppender(appender);
    }

    private static HierarchicalConfiguration<ImmutableNode> handler(String xml) throws Exception {
        XMLConfiguration configuration = new XMLConfiguration();
        new FileHandler(configuration).load(new StringReader(xml));
        return configuration;
    }

    @Test
    void theSampleSmtpserverXmlHasNoUnknownElementInTheExtensionsHandlers() throws Exception {
        XMLConfiguration sample = new XMLConfiguration();
        new FileHandler(sample).load(Path.of("../james-conf/smtpserver.xml").toFile());
        List<String> warnings = new ArrayList<>();
        int handlers = 0;
        for (HierarchicalConfiguration<ImmutableNode> handler : sample.configurationsAt("smtpserver.handlerchain.handler")) {
            String type = handler.getString("[@class]");
            if (type.equals(TrafficShaper.class.getName())) {
                warnings.addAll(HandlerKeys.warnTrafficShaper(handler));
                handlers++;
            } else if (type.equals(SmtpSignalRecorder.class.getName())) {
                warnings.addAll(HandlerKeys.warnUnknown(SmtpSignalRecorder.class, handler, List.of()));
                handlers++;
            }
        }
        assertThat(handlers).isGreaterThanOrEqualTo(2);
        assertThat(warnings).isEmpty();
    }

    @Test
    void misspeltElementsAtEachLevelAreWarnedWithTheClosestKnownOne() throws Exception {
        List<String> warnings = HandlerKeys.warnTrafficShaper(handler(
            "<handler class=\"org.jamesshaping.smtp.TrafficShaper\">"
                + "<preset>stage3</preset><dryrun>true</dryrun><maxHeldConections>10</maxHeldConections>"
                + "<class level=\"7\"><greetingDelay>10s</greetingDelay><replyDelai>2s</replyDelai></class>"
                + "<reputation><prior badness=\"0.3\" strength=\"10\"/><subnetWieght>1</subnetWieght></reputation>"
                + "<colour>blue</colour>"
                + "</handler>"));

        String where = "smtpserver.xml <handler class=\"org.jamesshaping.smtp.TrafficShaper\">";
        assertThat(warnings).containsExactly(
            where + ": unknown key 'dryrun' is ignored; did you mean 'dryRun'?",
            where + ": unknown key 'maxHeldConections' is ignored; did you mean 'maxHeldConnections'?",
            where + ": unknown key 'colour' is ignored; known keys: [class, dryRun, maxDelay, maxHeldConnections, pregreet, "
                + "preset, receiveBuffer, reputation]",
            where + " <class level=\"7\">: unknown key 'replyDelai' is ignored; did you mean 'replyDelay'?",
            where + " <reputation>: unknown key 'subnetWieght' is ignored; did you mean 'subnetWeight'?");
        assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage).containsExactlyElementsOf(warnings);
        assertThat(appender.list).allSatisfy(event -> assertThat(event.getLevel().toString()).isEqualTo("WARN"));
    }

    @Test
    void spamtrapRecorderKnowsOnlySpamtrap() throws Exception {
        assertThat(HandlerKeys.warnUnknown(SpamtrapRecorder.class, handler(
            "<handler class=\"org.jamesshaping.smtp.SpamtrapRecorder\"><spamtrap>a@b.c</spamtrap><spamtraps>d@e.f</spamtraps></handler>"),
            List.of("spamtrap")))
            .containsExactly("smtpserver.xml <handler class=\"org.jamesshaping.smtp.SpamtrapRecorder\">: unknown key 'spamtraps' "
                + "is ignored; did you mean 'spamtrap'?");
    }
}
