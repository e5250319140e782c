package org.jamesshaping.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.jamesshaping.store.HalfLife;
import org.jamesshaping.store.ReputationKey;
import org.jamesshaping.store.ReputationSnapshot;
import org.jamesshaping.store.Tally;
import org.junit.jupiter.api.Test;

class ReputationClassifierTest {
    private static final HalfLife HALF_LIFE = new HalfLife(Duration.ofDays(1));
    private static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");
    private final ReputationClassifier classifier = new ReputationClassifier(new ScoringConfig());

    private static final class History {
        final Tally address = Tally.empty();
        final Tally subnet = Tally.empty();

        History own(Signal signal, long count) {
            address.add(signal, count, T0, HALF_LIFE);
            subnet.add(signal, count, T0, HALF_LIFE);
            return this;
        }

        History neighbours(Signal signal, long count) {
            subnet.add(signal, count, T0, HALF_LIFE);
            return this;
        }

        int classAt(ReputationClassifier classifier, Instant at) {
            return classifier.judge(
                new ReputationSnapshot(ReputationKey.parse("192.0.2.10"), address, HALF_LIFE, at, true),
                new ReputationSnapshot(ReputationKey.parse("192.0.2.0/24"), subnet, HALF_LIFE, at, true)).level();
        }

        int classNow(ReputationClassifier classifier) {
            return classAt(classifier, T0);
        }
    }

    @Test
    void aNewSenderIsNeutral() {
        assertThat(new History().classNow(classifier)).isEqualTo(3);
    }

    @Test
    void oneTypoDoesNotCondemnASender() {
        History firstMessage = new History()
            .own(Signal.MESSAGE_ACCEPTED, 1).own(Signal.RECIPIENT_ACCEPTED, 1)
            .own(Signal.RECIPIENT_REJECTED, 1).own(Signal.UNKNOWN_RECIPIENT, 1);
        assertThat(firstMessage.classNow(classifier)).isLessThanOrEqualTo(3);

        History regular = new History().own(Signal.MESSAGE_ACCEPTED, 30).own(Signal.RECIPIENT_ACCEPTED, 40)
            .own(Signal.UNKNOWN_RECIPIENT, 2).own(Signal.RECIPIENT_REJECTED, 2);
        assertThat(regular.classNow(classifier)).isLessThanOrEqualTo(1);
    }

    @Test
    void aDictionaryAttackReachesTheWorstClassesWithinAFewTransactions() {
        History bot = new History();
        int transactions = 0;
        while (bot.classNow(classifier) < 7) {
            bot.own(Signal.RECIPIENT_REJECTED, 5).own(Signal.UNKNOWN_RECIPIENT, 5);
            transactions++;
        }
        assertThat(transactions).isLessThanOrEqualTo(3);
        bot.own(Signal.RECIPIENT_REJECTED, 20).own(Signal.UNKNOWN_RECIPIENT, 20);
        assertThat(bot.classNow(classifier)).isEqualTo(8);
    }

    @Test
    void spamtrapHitsPushASenderDownAtOnce() {
        assertThat(new History().own(Signal.SPAMTRAP_HIT, 1).classNow(classifier)).isGreaterThanOrEqualTo(6);
        assertThat(new History().own(Signal.SPAMTRAP_HIT, 2).classNow(classifier)).isGreaterThanOrEqualTo(7);
    }

    @Test
    void aFreshAddressInABotSubnetStartsInAWorseClass() {
        History fresh = new History().neighbours(Signal.UNKNOWN_RECIPIENT, 200).neighbours(Signal.SPAMTRAP_HIT, 20);
        assertThat(fresh.classNow(classifier)).isGreaterThanOrEqualTo(6);
    }

    @Test
    void aGoodAddressWithALongCleanHistoryIsNotDraggedDownByItsSubnet() {
        History good = new History().own(Signal.MESSAGE_ACCEPTED, 200).own(Signal.RECIPIENT_ACCEPTED, 300)
            .neighbours(Signal.UNKNOWN_RECIPIENT, 500).neighbours(Signal.SPAMTRAP_HIT, 50).neighbours(Signal.MESSAGE_ACCEPTED, 10);
        assertThat(good.classNow(classifier)).isLessThanOrEqualTo(1);
    }

    @Test
    void aLongCleanHistoryEarnsTheFastLane() {
        assertThat(new History().own(Signal.MESSAGE_ACCEPTED, 40).own(Signal.HAM, 20).classNow(classifier)).isZero();
        assertThat(new History().own(Signal.MESSAGE_ACCEPTED, 8).classNow(classifier)).isEqualTo(1);
    }

    @Test
    void aReformedSenderComesBackToClassThreeOrBetterAsItsRecordDecays() {
        History bot = new History().own(Signal.UNKNOWN_RECIPIENT, 60).own(Signal.SPAMTRAP_HIT, 5).own(Signal.EARLY_TALK, 3);
        assertThat(bot.classAt(classifier, T0)).isEqualTo(8);
        assertThat(bot.classAt(classifier, T0.plus(Duration.ofDays(2)))).isGreaterThanOrEqualTo(7);
        // About ten half-lives later (ten days here), what it did is worth a thousandth.
        assertThat(bot.classAt(classifier, T0.plus(Duration.ofDays(10)))).isLessThanOrEqualTo(3);
    }
}
