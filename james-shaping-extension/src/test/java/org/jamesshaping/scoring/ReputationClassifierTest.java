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
        final Tally wide = Tally.empty();

        History own(Signal signal, long count) {
            address.add(signal, count, T0, HALF_LIFE);
            subnet.add(signal, count, T0, HALF_LIFE);
            return this;
        }

        History neighbours(Signal signal, long count) {
            subnet.add(signal, count, T0, HALF_LIFE);
            return this;
        }

        /** Other subnets of the sender's wide network (its /16) with a standing of their own. */
        History subnetsAround(Standing standing, long count) {
            wide.add(standing == Standing.BAD ? Signal.BAD_ADDRESS : Signal.GOOD_ADDRESS, count, T0, HALF_LIFE);
            return this;
        }

        int classAt(ReputationClassifier classifier, Instant at) {
            return judgeAt(classifier, at).level();
        }

        ReputationClassifier.Judgement judgeAt(ReputationClassifier classifier, Instant at) {
            return classifier.judge(
                new ReputationSnapshot(ReputationKey.parse("192.0.2.10"), address, HALF_LIFE, at, true),
                new ReputationSnapshot(ReputationKey.parse("192.0.2.0/24"), subnet, HALF_LIFE, at, true),
                new ReputationSnapshot(ReputationKey.parse("192.0.0.0/16"), wide, HALF_LIFE, at, true));
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
    void aFreshAddressAmongTenBadNeighbourAddressesStartsInClassSevenButOneBadNeighbourDoesNotCondemnIt() {
        assertThat(new History().neighbours(Signal.BAD_ADDRESS, 10).classNow(classifier)).isEqualTo(7);
        assertThat(new History().neighbours(Signal.BAD_ADDRESS, 1).classNow(classifier)).isLessThanOrEqualTo(4);
        assertThat(new History().neighbours(Signal.BAD_ADDRESS, 1).neighbours(Signal.GOOD_ADDRESS, 30).classNow(classifier))
            .as("shared hosting: one bad tenant among many good ones").isLessThanOrEqualTo(3);
    }

    @Test
    void neighboursAloneNeverMakeAClassThatRefusesMail() {
        assertThat(new History().neighbours(Signal.BAD_ADDRESS, 1000).classNow(classifier)).isEqualTo(7);
        assertThat(new History().neighbours(Signal.BAD_ADDRESS, 1000).own(Signal.SPAMTRAP_HIT, 3).classNow(classifier))
            .as("with evidence of its own").isEqualTo(8);
    }

    @Test
    void aFreshSubnetInAWideNetworkOfManyBadSubnetsStartsShapedButAFewBadSubnetsLeaveItNeutral() {
        // Bots rotating through /24s of one /16 (or /64s of one /48): each new subnet starts fresh, its /16 does not.
        assertThat(new History().subnetsAround(Standing.BAD, 3).classNow(classifier)).isEqualTo(3);
        assertThat(new History().subnetsAround(Standing.BAD, 7).classNow(classifier)).as("a big ISP's few infected /24s").isEqualTo(3);
        assertThat(new History().subnetsAround(Standing.BAD, 12).classNow(classifier)).isGreaterThanOrEqualTo(4);
        assertThat(new History().subnetsAround(Standing.BAD, 25).classNow(classifier)).isEqualTo(6);
        assertThat(new History().subnetsAround(Standing.BAD, 20).subnetsAround(Standing.GOOD, 40).classNow(classifier))
            .as("a provider whose good subnets outnumber its bad ones").isEqualTo(3);
    }

    @Test
    void theWideNetworkAloneNeverMakesAClassAboveSix() {
        assertThat(new History().subnetsAround(Standing.BAD, 100_000).classNow(classifier)).isEqualTo(6);
        ReputationClassifier heavy = new ReputationClassifier(new ScoringConfig().wideWeight(1_000).wideNetworkWeight(100));
        assertThat(new History().subnetsAround(Standing.BAD, 100_000).classNow(heavy)).as("whatever its weight").isEqualTo(6);
        assertThat(new History().subnetsAround(Standing.BAD, 100_000).neighbours(Signal.BAD_ADDRESS, 10).classNow(classifier))
            .as("the subnet's own bad neighbours still count").isEqualTo(7);
        assertThat(new History().subnetsAround(Standing.BAD, 100_000).own(Signal.SPAMTRAP_HIT, 3).classNow(classifier))
            .as("with evidence of its own").isEqualTo(8);
    }

    @Test
    void aCleanSendersOwnHistoryOutweighsItsWideNetworkWithinAFewMessages() {
        History clean = new History().subnetsAround(Standing.BAD, 40);
        assertThat(clean.classNow(classifier)).isEqualTo(6);
        int messages = 0;
        while (clean.classNow(classifier) > 3) {
            clean.own(Signal.MESSAGE_ACCEPTED, 1).own(Signal.RECIPIENT_DELIVERED, 1);
            messages++;
        }
        assertThat(messages).as("messages to class 3 among 40 bad /24s").isLessThanOrEqualTo(4);
        History longClean = new History().subnetsAround(Standing.BAD, 40).own(Signal.MESSAGE_ACCEPTED, 40).own(Signal.RECIPIENT_DELIVERED, 40);
        assertThat(longClean.classNow(classifier)).isLessThanOrEqualTo(1);
    }

    @Test
    void aSubnetWithNeighboursOfItsOwnSaysMoreThanItsWideNetwork() {
        // Shared hosting with many good tenants in a /16 of bad /24s: its /24's own neighbours decide.
        History hosted = new History().neighbours(Signal.GOOD_ADDRESS, 10).subnetsAround(Standing.BAD, 40);
        assertThat(hosted.judgeAt(classifier, T0).figures().reasons().toString()).doesNotContain("wide network");
        assertThat(hosted.classNow(classifier)).isEqualTo(new History().neighbours(Signal.GOOD_ADDRESS, 10).classNow(classifier));
        // The subnet's own standing is not counted against it among the wide network's subnets.
        History badSubnet = new History().neighbours(Signal.BAD_ADDRESS, 1).subnetsAround(Standing.BAD, 1);
        assertThat(badSubnet.judgeAt(classifier, T0).figures().reasons().toString()).doesNotContain("wide network");
    }

    @Test
    void aSubnetStandsBadWhenMoreOfItsAddressesAreBadThanGoodAndGoodWhenNoneIsBad() {
        assertThat(ReputationClassifier.networkStanding(0, 0)).isEqualTo(Standing.NEUTRAL);
        assertThat(ReputationClassifier.networkStanding(1, 0)).isEqualTo(Standing.BAD);
        assertThat(ReputationClassifier.networkStanding(2, 1)).isEqualTo(Standing.BAD);
        assertThat(ReputationClassifier.networkStanding(1, 1)).as("a bot next to a legitimate MTA").isEqualTo(Standing.NEUTRAL);
        assertThat(ReputationClassifier.networkStanding(0, 3)).isEqualTo(Standing.GOOD);
        assertThat(ReputationClassifier.networkStanding(0.2, 0)).as("decayed below half an address").isEqualTo(Standing.NEUTRAL);
    }

    @Test
    void howMuchANeighbourSentDoesNotCount() {
        History fresh = new History().neighbours(Signal.UNKNOWN_RECIPIENT, 200).neighbours(Signal.SPAMTRAP_HIT, 20);
        assertThat(fresh.classNow(classifier)).isEqualTo(3);
    }

    @Test
    void acceptedRecipientsWithoutAMessageEarnNothing() {
        History laundering = new History().own(Signal.CONNECTION, 1).own(Signal.RECIPIENT_ACCEPTED, 50);
        assertThat(laundering.classNow(classifier)).isEqualTo(3);
    }

    /** A message to {@code recipients} taken at the end of DATA, as the recorder counts it. */
    private History message(History history, int recipients) {
        int counted = classifier.settings().countedRecipients(recipients);
        return history.own(Signal.MESSAGE_ACCEPTED, 1).own(Signal.RECIPIENT_DELIVERED, counted);
    }

    /** A spam verdict on such a message, as the verdict listener counts it. */
    private History spamVerdict(History history, int recipients) {
        int counted = classifier.settings().countedRecipients(recipients);
        return history.own(Signal.SPAM, counted).own(Signal.MESSAGE_ACCEPTED, -1).own(Signal.RECIPIENT_DELIVERED, -counted);
    }

    @Test
    void aSenderWhoseMailIsAllSpamReachesClassEightOnContentVerdictsAloneWithinAFewMessages() {
        for (int recipients : new int[] {1, 10, 50}) {
            History spammer = new History();
            int messages = 0;
            while (spammer.classNow(classifier) < 8 && messages < 100) {
                spamVerdict(message(spammer, recipients), recipients);
                messages++;
            }
            System.out.printf("all-spam sender, %d recipients per message: class 8 after %d messages%n", recipients, messages);
            assertThat(messages).as("%d recipients per message", recipients).isLessThanOrEqualTo(5);
        }
    }

    @Test
    void aSenderThatWarmsUpWithCleanMailAndThenSpamsIsShapedWithinABoundedNumberOfSpamMessages() {
        History spammer = new History();
        for (int i = 0; i < 20; i++) {
            message(spammer, 2);
        }
        assertThat(spammer.classNow(classifier)).as("warmed up: the fast lane").isZero();
        int spam = 0;
        while (spammer.classNow(classifier) < 7 && spam < 100) {
            spamVerdict(message(spammer, 2), 2);
            spam++;
        }
        System.out.printf("after 20 clean messages, class 7 after %d spam messages%n", spam);
        assertThat(spam).isLessThanOrEqualTo(12);
    }

    @Test
    void anAddressStandsBadOrGoodOnItsOwnEvidenceOnly() {
        History bad = new History().own(Signal.UNKNOWN_RECIPIENT, 20);
        History good = new History().own(Signal.MESSAGE_ACCEPTED, 10).neighbours(Signal.BAD_ADDRESS, 50);
        assertThat(judge(bad).standing()).isEqualTo(Standing.BAD);
        assertThat(judge(good).standing()).isEqualTo(Standing.GOOD);
        assertThat(judge(new History().neighbours(Signal.BAD_ADDRESS, 50)).standing()).isEqualTo(Standing.NEUTRAL);
    }

    private ReputationClassifier.Judgement judge(History history) {
        return classifier.judge(
            new ReputationSnapshot(ReputationKey.parse("192.0.2.10"), history.address, HALF_LIFE, T0, true),
            new ReputationSnapshot(ReputationKey.parse("192.0.2.0/24"), history.subnet, HALF_LIFE, T0, true));
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
