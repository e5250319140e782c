package org.jamesshaping.filter.fingerprint;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

import org.bson.Document;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;

/** The known-spam store's bounds and the index's in-place updates, through the real driver and an embedded MongoDB. */
class FingerprintStoreTest {
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    private final EmbeddedMongo mongo = EmbeddedMongo.startInMemory();
    private final MongoClient client = MongoClients.create(mongo.uri());
    private final MongoCollection<Document> collection = client.getDatabase("filter_test").getCollection(FingerprintStore.COLLECTION);
    private final Random random = new Random(5);

    @AfterEach
    void stop() {
        client.close();
        mongo.close();
    }

    private Fingerprint randomFingerprint() {
        int[] minHashes = new int[Fingerprinter.SIGNATURE_SIZE];
        for (int i = 0; i < minHashes.length; i++) {
            minHashes[i] = random.nextInt(Integer.MAX_VALUE);
        }
        return new Fingerprint(minHashes, 40);
    }

    private static List<String> ids(List<SpamSignature> signatures) {
        return signatures.stream().map(SpamSignature::id).collect(Collectors.toList());
    }

    @Test
    void aSpamtrapFloodAgesOutItsOwnOldestSignaturesNeverTheOperatorsOnes() {
        FingerprintStore store = new FingerprintStore(collection, 3, 5);
        store.createIndexes();
        List<String> operator = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            operator.add(store.report(randomFingerprint(), SpamSignature.Source.OPERATOR_REPORT, NOW.plusSeconds(i)).id());
        }
        List<String> trap = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            trap.add(store.report(randomFingerprint(), SpamSignature.Source.SPAMTRAP, NOW.plusSeconds(10 + i)).id());
        }

        List<String> kept = ids(store.changedSince(null));
        assertThat(kept).hasSize(5).containsAll(operator).containsAll(trap.subList(7, 10));
        assertThat(store.count()).isEqualTo(5);
    }

    @Test
    void aSignaturePushedOutByTheBoundIsLeftAsATombstoneSoOtherServersDropItAtTheirNextRefresh() {
        FingerprintStore store = new FingerprintStore(collection, 3, 10);
        String oldest = store.report(randomFingerprint(), SpamSignature.Source.SPAMTRAP, NOW).id();
        for (int i = 1; i <= 3; i++) {
            store.report(randomFingerprint(), SpamSignature.Source.SPAMTRAP, NOW.plusSeconds(i));
        }

        // What another server's incremental refresh reads since its last one, just before the push.
        assertThat(store.removedSince(NOW.plusSeconds(2))).containsExactly(oldest);
        assertThat(ids(store.changedSince(null))).hasSize(3).doesNotContain(oldest);
        assertThat(store.count()).isEqualTo(3);
    }

    @Test
    void aFloodOverTheBoundDoesNotEraseARemovalTheOtherServersHaveNotSeenYet() {
        FingerprintStore store = new FingerprintStore(collection, 3, 4);
        String removed = store.report(randomFingerprint(), SpamSignature.Source.SPAMTRAP, NOW).id();
        assertThat(store.delete(removed, NOW.plusSeconds(1))).isTrue();
        for (int i = 0; i < 10; i++) {
            store.report(randomFingerprint(), SpamSignature.Source.SPAMTRAP, NOW.plusSeconds(2 + i));
        }

        assertThat(store.removedSince(NOW.plusSeconds(1))).contains(removed);
        assertThat(store.count()).isEqualTo(3);
    }

    @Test
    void removedSignaturesReportedAgainStillFitTheBound() {
        FingerprintStore store = new FingerprintStore(collection, 3, 10);
        List<Fingerprint> fingerprints = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            fingerprints.add(randomFingerprint());
            store.report(fingerprints.get(i), SpamSignature.Source.SPAMTRAP, NOW.plusSeconds(i));
        }
        for (Fingerprint fingerprint : fingerprints) {
            assertThat(store.delete(fingerprint.id(), NOW.plusSeconds(10))).isTrue();
        }
        for (int i = 0; i < 3; i++) {
            store.report(randomFingerprint(), SpamSignature.Source.SPAMTRAP, NOW.plusSeconds(20 + i));
        }

        // Brought back one by one, each takes the place of the least recently seen live one.
        for (int i = 0; i < 3; i++) {
            store.report(fingerprints.get(i), SpamSignature.Source.SPAMTRAP, NOW.plusSeconds(30 + i));
        }
        assertThat(ids(store.changedSince(null))).containsExactlyInAnyOrderElementsOf(fingerprints.stream().map(Fingerprint::id).collect(Collectors.toList()));
        assertThat(store.count()).isEqualTo(3);
    }

    @Test
    void reportingAKeptSignatureAgainKeepsItAsTheMostRecentlySeen() {
        FingerprintStore store = new FingerprintStore(collection, 3, 10);
        Fingerprint first = randomFingerprint();
        store.report(first, SpamSignature.Source.SPAMTRAP, NOW);
        store.report(randomFingerprint(), SpamSignature.Source.SPAMTRAP, NOW.plusSeconds(1));
        store.report(randomFingerprint(), SpamSignature.Source.SPAMTRAP, NOW.plusSeconds(2));
        store.report(first, SpamSignature.Source.SPAMTRAP, NOW.plusSeconds(3));
        store.report(randomFingerprint(), SpamSignature.Source.SPAMTRAP, NOW.plusSeconds(4));

        assertThat(ids(store.changedSince(null))).hasSize(3).contains(first.id());
    }

    @Test
    void theIndexAddsReplacesAndRemovesOneSignatureWithoutDisturbingTheOthers() {
        List<SpamSignature> signatures = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            signatures.add(new SpamSignature(randomFingerprint(), SpamSignature.Source.OPERATOR_REPORT, 0, NOW, NOW));
        }
        FingerprintIndex index = FingerprintIndex.of(signatures);
        SpamSignature added = new SpamSignature(randomFingerprint(), SpamSignature.Source.SPAMTRAP, 0, NOW, NOW);
        assertThat(index.bestMatch(added.fingerprint(), 0.5)).isEmpty();

        index.add(List.of(added));
        assertThat(index.size()).isEqualTo(501);
        assertThat(index.bestMatch(added.fingerprint(), 0.5).orElseThrow().signature()).isSameAs(added);
        SpamSignature again = new SpamSignature(added.fingerprint(), SpamSignature.Source.SPAMTRAP, 7, NOW, NOW.plusSeconds(60));
        index.add(List.of(again));
        assertThat(index.size()).isEqualTo(501);
        assertThat(index.bestMatch(added.fingerprint(), 0.5).orElseThrow().signature()).isSameAs(again);

        // Twice in one batch: the last one counts, once.
        SpamSignature third = new SpamSignature(added.fingerprint(), SpamSignature.Source.SPAMTRAP, 9, NOW, NOW.plusSeconds(90));
        index.add(List.of(again, third));
        assertThat(index.size()).isEqualTo(501);
        assertThat(index.bestMatch(added.fingerprint(), 0.5).orElseThrow().signature()).isSameAs(third);

        assertThat(index.remove(added.id())).isTrue();
        assertThat(index.remove(added.id())).isFalse();
        assertThat(index.bestMatch(added.fingerprint(), 0.5)).isEmpty();
        for (SpamSignature signature : signatures) {
            assertThat(index.bestMatch(signature.fingerprint(), 0.99).orElseThrow().signature()).isSameAs(signature);
        }
    }
}
