package org.jamesshaping.bench.store;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;

import org.apache.james.metrics.dropwizard.DropWizardGaugeRegistry;
import org.apache.james.metrics.dropwizard.DropWizardMetricFactory;
import org.bson.Document;
import org.jamesshaping.bench.Stats;
import org.jamesshaping.runtime.Scheduler;
import org.jamesshaping.scoring.Scoring;
import org.jamesshaping.shaping.SenderClassifier;
import org.jamesshaping.store.ReputationKey;
import org.jamesshaping.store.ReputationStore;
import org.jamesshaping.store.StoreSettings;
import org.jamesshaping.testsupport.EmbeddedMongo;

import com.codahale.metrics.MetricRegistry;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.InsertManyOptions;

/**
 * Decision cost per connection with 0, 10^4 and 10^5 operator CIDRs: what the shaper does for a new connection, the
 * sender's view from the store (status lookup included) and its classification, on addresses no entry covers (each
 * lookup probes every prefix length in use) and on addresses a block entry covers. The 0-entry run is the baseline;
 * the goal is flat within 2x. Figures: median ns per decision over rounds, with the spread (min-max).
 *
 * <p>Usage: {@code DecisionCostBenchmark [rounds] [decisions per round]} (defaults 9 and 400000).</p>
 */
public final class DecisionCostBenchmark {
    private static final int PROBES = 1024;

    private DecisionCostBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 400_000;
        int[] sizes = {0, 10_000, 100_000};
        System.out.printf("decision cost: %d rounds of %d decisions, %d distinct addresses per kind%n", rounds, perRound, PROBES);
        System.out.printf("%-10s %-10s %-28s %-28s%n", "entries", "lengths", "uncovered ns/decision", "covered ns/decision");
        double baseline = Double.NaN;
        try (EmbeddedMongo mongo = EmbeddedMongo.inMemory().start(0)) {
            for (int size : sizes) {
                double[][] figures = run(mongo, size, rounds, perRound);
                double uncovered = Stats.median(figures[0]);
                if (size == 0) {
                    baseline = uncovered;
                }
                System.out.printf("%-10d %-10s %-28s %-28s%n", size, size == 0 ? "0" : "3",
                    String.format("%.0f (%.0f-%.0f) x%.2f", uncovered, min(figures[0]), max(figures[0]), uncovered / baseline),
                    size == 0 ? "-" : String.format("%.0f (%.0f-%.0f)", Stats.median(figures[1]), min(figures[1]), max(figures[1])));
            }
        }
    }

    /** ns per decision for each round: [0] uncovered addresses, [1] covered ones. */
    private static double[][] run(EmbeddedMongo mongo, int size, int rounds, int perRound) throws Exception {
        String database = "bench_decisions_" + size;
        try (MongoClient client = MongoClients.create(mongo.uri())) {
            insertStatuses(client.getDatabase(database).getCollection("reputation"), size);
        }
        StoreSettings settings = StoreSettings.defaults(mongo.uri()).withDatabase(database)
            .withIntervals(Duration.ofHours(1), Duration.ofSeconds(1)).withTimeout(Duration.ofSeconds(60));
        MetricRegistry registry = new MetricRegistry();
        try (Scheduler scheduler = new Scheduler();
             ReputationStore store = new ReputationStore(settings, scheduler, new DropWizardMetricFactory(registry),
                 new DropWizardGaugeRegistry(registry), Clock.systemUTC())) {
            store.refreshStatuses();
            SenderClassifier classifier = new SenderClassifier(store, new Scoring(Optional.empty()), scheduler);
            InetAddress[] uncovered = new InetAddress[PROBES];
            InetAddress[] covered = new InetAddress[PROBES];
            for (int i = 0; i < PROBES; i++) {
                uncovered[i] = ReputationKey.parseAddress("198.51." + (i >> 8) + "." + (i & 255));
                // Covered by the /24s, /32s and /16s below when they exist.
                int n = i % 3 == 0 ? 11 : i % 3 == 1 ? 12 : 13;
                covered[i] = ReputationKey.parseAddress(n + ".0." + (i >> 8) + "." + (i & 255));
            }
            // Records read into the cache first: the SMTP path reads memory only.
            for (int pass = 0; pass < 3; pass++) {
                for (int i = 0; i < PROBES; i++) {
                    store.sender(uncovered[i]);
                    store.sender(covered[i]);
                }
                Thread.sleep(500);
            }
            double[][] figures = new double[2][rounds];
            long sink = 0;
            for (int round = -2; round < rounds; round++) {
                for (int kind = 0; kind < 2; kind++) {
                    InetAddress[] probes = kind == 0 ? uncovered : covered;
                    long start = System.nanoTime();
                    for (int i = 0; i < perRound; i++) {
                        sink += classifier.classify(store.sender(probes[i & (PROBES - 1)])).level();
                    }
                    long took = System.nanoTime() - start;
                    if (round >= 0) {
                        figures[kind][round] = (double) took / perRound;
                    }
                }
            }
            if (sink == 42) {
                System.out.println();
            }
            return figures;
        }
    }

    /** A third each of /24s in 11/8, single addresses in 12/8 and /16s in 13/8 (these few /16s repeat). */
    private static void insertStatuses(MongoCollection<Document> collection, int size) {
        List<Document> documents = new ArrayList<>();
        Date now = new Date();
        Date never = Date.from(Instant.parse("9999-12-31T00:00:00Z"));
        for (int i = 0; i < size; i++) {
            int j = i / 3;
            String id;
            switch (i % 3) {
                case 0:
                    id = "11." + (j >> 8 & 255) + "." + (j & 255) + ".0/24";
                    break;
                case 1:
                    id = "12." + (j >> 16 & 255) + "." + (j >> 8 & 255) + "." + (j & 255);
                    break;
                default:
                    id = "13." + (j & 255) + ".0.0/16";
                    break;
            }
            documents.add(new Document("_id", id).append("kind", id.contains("/") ? "net" : "ip")
                .append("expireAt", never)
                .append("status", new Document("value", "block").append("reason", "benchmark").append("setAt", now)
                    .append("expiresAt", null).append("setBy", "benchmark")));
            if (documents.size() == 1000) {
                insert(collection, documents);
            }
        }
        insert(collection, documents);
    }

    private static void insert(MongoCollection<Document> collection, List<Document> documents) {
        if (!documents.isEmpty()) {
            // Duplicate ids (the repeating /16s) are skipped.
            try {
                collection.insertMany(documents, new InsertManyOptions().ordered(false));
            } catch (MongoBulkWriteException e) {
                // expected for the repeats
            }
            documents.clear();
        }
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }
}
