package org.jamesshaping.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;

class EmbeddedMongoTest {
    @TempDir
    Path folder;

    @Test
    void aPersistentServerComesBackOnTheSamePortWithWhatItHeld() {
        try (EmbeddedMongo mongo = EmbeddedMongo.persistent(folder.resolve("db.mv")).start()) {
            int port = mongo.port();
            insert(mongo.uri(), "kept");
            mongo.stop();
            mongo.start();
            assertThat(mongo.port()).isEqualTo(port);
            assertThat(count(mongo.uri())).isEqualTo(1);
        }
    }

    @Test
    void anInMemoryServerForgetsOnStop() {
        try (EmbeddedMongo mongo = EmbeddedMongo.startInMemory()) {
            insert(mongo.uri(), "lost");
            mongo.stop();
            mongo.start();
            assertThat(count(mongo.uri())).isZero();
        }
    }

    private static void insert(String uri, String value) {
        try (MongoClient client = MongoClients.create(uri)) {
            collection(client).insertOne(new Document("value", value));
        }
    }

    private static long count(String uri) {
        try (MongoClient client = MongoClients.create(uri)) {
            return collection(client).countDocuments();
        }
    }

    private static MongoCollection<Document> collection(MongoClient client) {
        return client.getDatabase("test").getCollection("things");
    }
}
