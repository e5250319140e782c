package org.jamesshaping.filter.predictive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.bson.Document;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;

public class PredictiveModelStoreTest {
    private final EmbeddedMongo mongo = EmbeddedMongo.startInMemory();

    @AfterEach
    void stop() {
        mongo.close();
    }

    public static PredictiveModel randomModel(long seed) {
        Random random = new Random(seed);
        List<ModelTrainer.Example> examples = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int[] features = random.ints(50, 0, 1 << 16).sorted().distinct().toArray();
            examples.add(new ModelTrainer.Example(features, i % 2 == 0));
        }
        return new ModelTrainer(16, 2, 0.5, 1, 1e-6, seed).train(examples, 0.3);
    }

    private static void assertSameScores(PredictiveModel expected, PredictiveModel actual) {
        Random random = new Random(1);
        for (int i = 0; i < 20; i++) {
            int[] features = random.ints(40, 0, 1 << 16).sorted().distinct().toArray();
            assertThat(actual.score(features)).isEqualTo(expected.score(features));
        }
        assertThat(actual.threshold()).isEqualTo(expected.threshold());
        assertThat(actual.spamCount()).isEqualTo(expected.spamCount());
    }

    @Test
    void aModelSplitIntoManyChunksLoadsBackIdentical() throws IOException {
        PredictiveModel model = randomModel(3);
        try (MongoClient client = connection().open()) {
            MongoCollection<Document> collection = client.getDatabase("filter_test").getCollection(PredictiveModelStore.COLLECTION);
            PredictiveModelStore store = new PredictiveModelStore(collection, 10_000);
            String version = store.save(model, Instant.now());

            assertThat(collection.countDocuments(new Document("version", version))).isGreaterThan(3);
            assertThat(store.currentVersion()).contains(version);
            assertSameScores(model, store.load(version));
        }
    }

    @Test
    void savingANewModelKeepsThePreviousAndDeletesOlderChunks() throws IOException {
        try (MongoClient client = connection().open()) {
            MongoCollection<Document> collection = client.getDatabase("filter_test").getCollection(PredictiveModelStore.COLLECTION);
            PredictiveModelStore store = new PredictiveModelStore(collection, 50_000);
            String first = store.save(randomModel(1), Instant.now());
            String second = store.save(randomModel(2), Instant.now());
            String third = store.save(randomModel(3), Instant.now());

            assertThat(collection.countDocuments(new Document("version", first))).isZero();
            assertThat(collection.countDocuments(new Document("version", second))).isPositive();
            assertThat(store.currentVersion()).contains(third);
            assertThatThrownBy(() -> store.load(first)).isInstanceOf(IOException.class);
        }
    }

    @Test
    void aModelFileRoundTrips(@TempDir Path folder) throws IOException {
        PredictiveModel model = randomModel(5);
        Path file = folder.resolve("model.bin");
        ModelCodec.writeFile(model, file);
        assertSameScores(model, ModelCodec.readFile(file));
    }

    @Test
    void theServicePicksUpANewModelFromMongoInTheBackground() throws Exception {
        try (MongoClient client = connection().open();
             PredictiveModelService service = new PredictiveModelService(PredictiveModelService.mongoSource(connection()),
                 Duration.ofMillis(100))) {
            assertThat(service.current()).isEmpty();
            PredictiveModel model = randomModel(9);
            new PredictiveModelStore(client.getDatabase("filter_test").getCollection(PredictiveModelStore.COLLECTION))
                .save(model, Instant.now());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (service.current().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertSameScores(model, service.current().orElseThrow());
        }
    }

    @Test
    void mongoDownMeansNoModelNotABlockedCaller() {
        MongoConnection dead = new MongoConnection(EmbeddedMongo.deadUri(), "filter_test", Duration.ofMillis(300));
        try (PredictiveModelService service = new PredictiveModelService(PredictiveModelService.mongoSource(dead), Duration.ofMillis(100))) {
            long start = System.nanoTime();
            assertThat(service.current()).isEmpty();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(50);
        }
    }

    private MongoConnection connection() {
        return new MongoConnection(mongo.uri(), "filter_test", Duration.ofSeconds(2));
    }
}
