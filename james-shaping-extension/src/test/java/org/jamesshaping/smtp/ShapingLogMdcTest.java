package org.jamesshaping.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.jamesshaping.runtime.Scheduler;
import org.jamesshaping.scoring.Scoring;
import org.jamesshaping.shaping.ConnectionRegistry;
import org.jamesshaping.shaping.SenderClassifier;
import org.jamesshaping.shaping.ShapedConnection;
import org.jamesshaping.shaping.ShapingPolicy;
import org.jamesshaping.store.ManualStatus;
import org.jamesshaping.store.ReputationKey;
import org.jamesshaping.store.ReputationStore;
import org.jamesshaping.store.StoreSettings;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * The class in the MDC ({@code shapingClass}) of each log line about a connection, and only there: the IO thread
 * logs for many connections in turn, so nothing may stay in its MDC after the line.
 */
class ShapingLogMdcTest {
    private static final InetAddress NEWCOMER = ReputationKey.parseAddress("192.0.2.7");
    private static final InetAddress BLOCKED = ReputationKey.parseAddress("198.51.100.9");

    private final Logger logger = (Logger) LoggerFactory.getLogger(TrafficShaper.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final ConnectionRegistry registry = new ConnectionRegistry();
    private Level levelBefore;
    private EmbeddedMongo mongo;
    private Scheduler scheduler;
    private ReputationStore reputation;
    private SenderClassifier classifier;
    private ShapingLog log;

    @BeforeEach
    void start() {
        appender.start();
        logger.addAppender(appender);
        levelBefore = logger.getLevel();
        logger.setLevel(Level.INFO);
        mongo = EmbeddedMongo.startInMemory();
        scheduler = new Scheduler();
        reputation = new ReputationStore(StoreSettings.defaults(mongo.uri()), scheduler,
            new RecordingMetricFactory(), new NoopGaugeRegistry(), Clock.systemUTC());
        classifier = new SenderClassifier(reputation, new Scoring(Optional.empty()), scheduler);
        log = new ShapingLog(new ShapingMetrics(new RecordingMetricFactory(), new NoopGaugeRegistry(), registry));
    }

    @AfterEach
    void stop() {
        logger.detachAppender(appender);
        logger.setLevel(levelBefore);
        scheduler.close();
        reputation.close();
        mongo.stop();
    }

    private ShapedConnection connect(InetAddress client) {
        ShapedConnection connection = new ShapedConnection(registry, ShapingPolicy.defaults());
        connection.identify(client, reputation.keysOf(client));
        log.decided(client, connection.decide(classifier, false, null), "connect", false);
        return connection;
    }

    private List<String> classesLogged() {
        return appender.list.stream().map(event -> event.getMDCPropertyMap().get(ShapingLog.CLASS_KEY)).collect(Collectors.toList());
    }

    @Test
    void eachConnectionsLinesCarryItsOwnClassAndTheThreadsMdcIsLeftAsItWas() {
        reputation.setStatus(ReputationKey.ofAddress(BLOCKED), ManualStatus.Value.BLOCK, "test", Optional.empty(), "test");

        ShapedConnection newcomer = connect(NEWCOMER);
        ShapedConnection blocked = connect(BLOCKED);
        log.messageRefused(newcomer);
        log.overMessageLimit(blocked);
        log.authenticated(newcomer, "alice");

        int newcomerClass = newcomer.decision().level();
        assertThat(blocked.decision().level()).isEqualTo(9).isNotEqualTo(newcomerClass);
        assertThat(classesLogged()).containsExactly(String.valueOf(newcomerClass), "9", String.valueOf(newcomerClass), "9",
            String.valueOf(newcomerClass));
        assertThat(appender.list.get(1).getFormattedMessage()).contains(BLOCKED.getHostAddress(), "class 9");
        assertThat(MDC.get(ShapingLog.CLASS_KEY)).as("nothing left on the thread").isNull();
    }

    @Test
    void aValueSetAroundTheCallIsPutBack() {
        MDC.put(ShapingLog.CLASS_KEY, "outer");
        try {
            ShapedConnection newcomer = connect(NEWCOMER);
            assertThat(classesLogged()).containsExactly(String.valueOf(newcomer.decision().level()));
            assertThat(MDC.get(ShapingLog.CLASS_KEY)).isEqualTo("outer");
        } finally {
            MDC.remove(ShapingLog.CLASS_KEY);
        }
    }

    @Test
    void aConnectionStillUndecidedLogsWithoutAClass() {
        ShapedConnection undecided = new ShapedConnection(registry, ShapingPolicy.defaults());
        undecided.identify(NEWCOMER, reputation.keysOf(NEWCOMER));
        log.authenticated(undecided, "bob");
        assertThat(appender.list).hasSize(1);
        assertThat(appender.list.get(0).getMDCPropertyMap()).doesNotContainKey(ShapingLog.CLASS_KEY);
    }
}
