package org.jamesshaping.bench.shaping;

import org.jamesshaping.launcher.EmbeddedMongo;

/**
 * The embedded MongoDB in a process of its own, for benchmarks that must not charge MongoDB's CPU to James's JVM
 * (as a production MongoDB would not be): {@code BENCH_MONGO_URI=mongodb://127.0.0.1:PORT} makes the benchmarks'
 * James use it.
 */
public final class StandaloneMongo {
    private StandaloneMongo() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        EmbeddedMongo mongo = EmbeddedMongo.inMemory().start(port);
        Runtime.getRuntime().addShutdownHook(new Thread(mongo::stop));
        System.out.println("MongoDB wire-protocol server on " + mongo.uri());
        Thread.currentThread().join();
    }
}
