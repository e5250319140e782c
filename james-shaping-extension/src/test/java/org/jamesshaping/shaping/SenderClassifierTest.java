package org.jamesshaping.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.jamesshaping.runtime.Scheduler;
import org.jamesshaping.scoring.Scoring;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.store.ReputationKey;
import org.jamesshaping.store.ReputationStore;
import org.jamesshaping.store.StoreSettings;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;


/**
 * When a connection may keep its decision at HELO/EHLO and MAIL FROM without looking its address up again: only
 * while the classifier would reuse that decision itself.
 */
class SenderClassifierTest {
    private static final InetAddress SENDER = ReputationKey.parseAddress("203.0.113.7");
    private static final InetAddress OTHER = ReputationKey.parseAddress("198.51.100.9");

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private EmbeddedMongo mongo;
    private Scheduler scheduler;
    private ReputationStore reputation;
    private SenderClassifier classifier;

    @BeforeEach
    void start() {
        mongo = EmbeddedMongo.startInMemory();
        scheduler = new Scheduler();
        reputation = new ReputationStore(StoreSettings.defaults(mongo.uri()), scheduler,
            new RecordingMetricFactory(), new NoopGaugeRegistry(), Clock.systemUTC());
        classifier = new SenderClassifier(reputation, new Scoring(Optional.empty()), scheduler, nanos::get);
    }

    @AfterEach
    void stop() {
        scheduler.close();
        reputation.close();
        mongo.stop();
    }

    /** A connection's decision, as TrafficShaper takes it: the window read first, then the classification. */
    private long decide(InetAddress address) {
        long window = classifier.windowId();
        classifier.classify(address);
        return window;
    }

    /** Reads the addresses' records in, as the first connections from them do (on the store's loader threads). */
    private void loaded(InetAddress... addresses) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (InetAddress address : addresses) {
            while (!reputation.sender(address).address().isLoaded() || !reputation.sender(address).subnet().isLoaded()
                || !reputation.sender(address).wide().isLoaded()) {
                assertThat(System.nanoTime()).as("records read from MongoDB").isLessThan(deadline);
                Thread.sleep(10);
            }
        }
    }

    private void advanceMillis(long millis) {
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void aDecisionStandsWhileNothingChangesForUnderASecond() throws Exception {
        loaded(SENDER, OTHER);
        classifier.classify(OTHER);
        long window = decide(SENDER);

        assertThat(classifier.stillCurrent(window)).isTrue();
        advanceMillis(999);
        assertThat(classifier.stillCurrent(window)).isTrue();
        advanceMillis(1);
        assertThat(classifier.stillCurrent(window)).isFalse();
    }

    @Test
    void aDecisionTakenAsTheWindowWasReplacedIsTakenAgainAtTheNextCheck() throws Exception {
        loaded(SENDER, OTHER);
        classifier.classify(OTHER);
        advanceMillis(1_500);
        // The window read before classifying has run out: classifying installs a new one.
        long window = decide(SENDER);

        assertThat(classifier.stillCurrent(window)).isFalse();
        assertThat(classifier.stillCurrent(decide(SENDER))).isTrue();
    }

    @Test
    void aSignalAgainstAnySenderEndsItButSignalsForASenderDoNot() throws Exception {
        loaded(SENDER, OTHER);
        classifier.classify(OTHER);
        long window = decide(SENDER);

        reputation.record(SENDER, Signal.CONNECTION);
        reputation.record(SENDER, Signal.MESSAGE_ACCEPTED);
        assertThat(classifier.stillCurrent(window)).isTrue();

        reputation.record(OTHER, Signal.UNKNOWN_RECIPIENT);
        assertThat(classifier.stillCurrent(window)).isFalse();
    }

    @Test
    void noWindowMeansDecideAgain() {
        assertThat(classifier.stillCurrent(0)).isFalse();
    }

    @Test
    void theAddressesInUseAreDecidedAheadOfTheWindowsEnd() throws Exception {
        loaded(SENDER, OTHER);
        classifier.classify(SENDER);
        SenderClassifier.Reusable first = classifier.window();

        advanceMillis(599);
        classifier.renewAhead();
        assertThat(classifier.window()).as("not due before 600 ms").isSameAs(first);

        advanceMillis(1);
        classifier.renewAhead();
        SenderClassifier.Reusable next = classifier.window();
        assertThat(next).isNotSameAs(first);
        assertThat(next.decisions).as("only the address a connection used").containsOnlyKeys(SENDER);

        // 1.1 s after the first window opened: it is over, the one opened ahead still stands, decision made.
        advanceMillis(500);
        assertThat(classifier.stillCurrent(first.id)).isFalse();
        assertThat(classifier.stillCurrent(next.id)).isTrue();
        assertThat(classifier.classify(SENDER)).isSameAs(next.decisions.get(SENDER).decision);
    }

    @Test
    void aDecisionNoConnectionReadIsNotDecidedAheadAgain() throws Exception {
        loaded(SENDER, OTHER);
        classifier.classify(SENDER);
        advanceMillis(600);
        classifier.renewAhead();
        classifier.classify(OTHER);

        advanceMillis(600);
        classifier.renewAhead();

        assertThat(classifier.window().decisions).containsOnlyKeys(OTHER);
    }

    @Test
    void aWindowEndedByAChangeIsRenewedAtTheNextCheck() throws Exception {
        loaded(SENDER, OTHER);
        classifier.classify(SENDER);
        SenderClassifier.Reusable first = classifier.window();

        reputation.record(OTHER, Signal.UNKNOWN_RECIPIENT);
        classifier.renewAhead();

        SenderClassifier.Reusable next = classifier.window();
        assertThat(next).isNotSameAs(first);
        assertThat(classifier.stillCurrent(next.id)).isTrue();
        assertThat(next.decisions).containsOnlyKeys(SENDER);
    }

    @Test
    void onceStartedTheStoreThreadRenewsTheWindows() throws Exception {
        loaded(SENDER);
        classifier.classify(SENDER);
        SenderClassifier.Reusable first = classifier.window();
        classifier.startRenewing();
        classifier.startRenewing();

        advanceMillis(600);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (classifier.window() == first) {
            assertThat(System.nanoTime()).as("window renewed by the store thread").isLessThan(deadline);
            Thread.sleep(10);
        }
        assertThat(classifier.window().decisions).containsOnlyKeys(SENDER);
    }

    @Test
    void aConnectionKeepsItsDecisionButNeitherTheWindowNorTheEvidenceItWasTakenFrom() throws Exception {
        loaded(SENDER, OTHER);
        classifier.classify(OTHER);
        ShapedConnection connection = new ShapedConnection(new ConnectionRegistry(), ShapingPolicy.defaults());
        connection.identify(SENDER, reputation.keysOf(SENDER));
        connection.decide(classifier, false, null);
        WeakReference<SenderClassifier.Reusable> window = new WeakReference<>(classifier.window());
        assertThat(connection.stillCurrent(classifier)).isTrue();

        // The window runs out and the next classification replaces it: only the connection could still hold it.
        advanceMillis(1_500);
        classifier.classify(OTHER);
        for (int i = 0; i < 50 && window.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }

        assertThat(window.get()).as("the window of one second's decisions, collected while the connection lives").isNull();
        assertThat(connection.stillCurrent(classifier)).isFalse();
        assertThat(connection.decision().why()).contains("badness");
        assertThat(fieldTypes(connection.decision()))
            .as("what the decision's words are built from: no snapshot, no judgement")
            .noneMatch(type -> type.contains("Snapshot") || type.contains("Judgement") || type.contains("Reusable"));
    }

    @Test
    void botsRotatingThroughSlash64sOfOneSlash48ShapeAFreshAddressThereButNotInAnotherSlash48() throws Exception {
        // Each bot in a /64 of its own: every new /64 starts fresh, its /48 does not.
        for (int n = 1; n <= 25; n++) {
            InetAddress bot = ReputationKey.parseAddress("2001:db8:1:" + Integer.toHexString(n) + "::66");
            loaded(bot);
            reputation.record(bot, Signal.UNKNOWN_RECIPIENT, 15);
            assertThat(classifier.classify(bot).level()).isGreaterThanOrEqualTo(7);
        }
        InetAddress fresh = ReputationKey.parseAddress("2001:db8:1:ff::7");
        InetAddress elsewhere = ReputationKey.parseAddress("2001:db8:2:ff::7");
        loaded(fresh, elsewhere);

        assertThat(reputation.sender(fresh).wide().decayed(Signal.BAD_ADDRESS)).as("bad /64s counted in the /48").isCloseTo(25.0, within(0.01));
        assertThat(reputation.sender(fresh).subnet().decayed(Signal.BAD_ADDRESS)).as("its own /64").isZero();
        assertThat(classifier.classify(elsewhere).level()).isEqualTo(3);
        assertThat(classifier.classify(fresh).level()).isEqualTo(6);
        assertThat(classifier.classify(fresh).why()).contains("wide network");
    }

    @Test
    void anAddressTurningBadCountsOnceInItsSubnetAndItsSubnetOnceInItsWideNetwork() throws Exception {
        InetAddress bot = ReputationKey.parseAddress("198.51.7.66");
        InetAddress neighbour = ReputationKey.parseAddress("198.51.7.67");
        loaded(bot, neighbour);
        reputation.record(bot, Signal.UNKNOWN_RECIPIENT, 15);
        classifier.classify(bot);
        reputation.record(bot, Signal.UNKNOWN_RECIPIENT, 15);
        classifier.classify(bot);
        reputation.record(neighbour, Signal.UNKNOWN_RECIPIENT, 15);
        classifier.classify(neighbour);

        assertThat(reputation.sender(bot).subnet().decayed(Signal.BAD_ADDRESS)).isCloseTo(2.0, within(0.01));
        assertThat(reputation.sender(bot).wide().decayed(Signal.BAD_ADDRESS)).as("one /24, however many of its addresses").isCloseTo(1.0, within(0.01));
        assertThat(reputation.sender(bot).wide().decayed(Signal.UNKNOWN_RECIPIENT)).as("no signal of its own").isZero();
    }

    /** The classes of everything the decision's reason supplier captured, one level down. */
    private static java.util.List<String> fieldTypes(org.jamesshaping.scoring.ClassDecision decision) throws Exception {
        java.lang.reflect.Field reasons = decision.getClass().getDeclaredField("reasons");
        reasons.setAccessible(true);
        Object supplier = reasons.get(decision);
        java.util.List<String> types = new java.util.ArrayList<>();
        for (java.lang.reflect.Field captured : supplier.getClass().getDeclaredFields()) {
            captured.setAccessible(true);
            Object value = captured.get(supplier);
            types.add(value == null ? "null" : value.getClass().getName());
        }
        return types;
    }
}
