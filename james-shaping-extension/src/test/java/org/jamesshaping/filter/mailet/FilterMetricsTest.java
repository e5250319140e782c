package org.jamesshaping.filter.mailet;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;
import org.jamesshaping.filter.FilterMetrics;
import org.jamesshaping.filter.FilterStores;
import org.jamesshaping.filter.Verdict;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.predictive.PredictiveModelStore;
import org.jamesshaping.filter.predictive.PredictiveModelStoreTest;
import org.jamesshaping.filter.predictive.TrainingReports;
import org.jamesshaping.store.GaugesSeen;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.store.StoreSettings;
import org.jamesshaping.testsupport.EmbeddedMongo;
import org.jamesshaping.testsupport.SpamMutator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.mongodb.client.MongoClient;

/** The filters' metrics as James's MetricFactory and GaugeRegistry receive them, fed by real mailets. */
class FilterMetricsTest {
    private static final String TEXT = "Dear friend, claim the prize waiting for you today: a cruise for two, all paid, "
        + "with a bonus voucher for our partner hotels. Reply now with your details, the offer ends this week.";

    private final EmbeddedMongo mongo = EmbeddedMongo.startInMemory();
    private final RecordingMetricFactory metrics = new RecordingMetricFactory();
    private final GaugesSeen gauges = new GaugesSeen();
    private final FilterStores stores = new FilterStores(metrics, gauges, StoreSettings.defaults(MongoConnection.DEFAULT_URI));

    @AfterEach
    void stop() {
        stores.close();
        mongo.close();
    }

    private long gauge(String name) {
        return ((Number) gauges.get(name).get()).longValue();
    }

    private long count(String name) {
        return metrics.countFor(name);
    }

    private static Mail mail() throws Exception {
        return MailImpl.builder().name("mail-" + System.nanoTime()).sender("sender@example.org").addRecipient("rcpt@example.com")
            .mimeMessage(ContentExtractor.parse(SpamMutator.message("Hello", TEXT, false))).remoteAddr("192.0.2.7").build();
    }

    private PredictiveFilter predictive(String database) throws Exception {
        PredictiveFilter mailet = new PredictiveFilter(stores, (mail, verdict) -> { },
            StoreSettings.defaults(mongo.uri()).withDatabase(database));
        mailet.init(new TestMailetConfig("PredictiveFilter", Map.of("refreshInterval", "100ms", "learnInterval", "200ms")));
        return mailet;
    }

    @Test
    void everySeriesExistsAtZeroBeforeTheFirstMail() {
        for (Verdict.Filter filter : Verdict.Filter.values()) {
            for (Verdict.Outcome outcome : FilterMetrics.outcomesOf(filter)) {
                assertThat(metrics.countForPrefixName("shaping_filter_")).containsEntry(FilterMetrics.verdictMetric(filter, outcome), 0);
            }
            for (String reason : FilterMetrics.notRunReasonsOf(filter)) {
                assertThat(metrics.countForPrefixName("shaping_filter_")).containsEntry(FilterMetrics.notRunMetric(filter, reason), 0);
            }
        }
        assertThat(metrics.countForPrefixName("shaping_filter_")).containsKeys("shaping_filter_fingerprint_known_spam_verdicts",
            "shaping_filter_predictive_not_run_no_model", "shaping_filter_fingerprint_not_run_store_unavailable")
            .doesNotContainKeys("shaping_filter_fingerprint_not_run_no_model", "shaping_filter_predictive_not_run_store_unavailable")
            .hasSize(6 + 10);
        assertThat(gauge("shaping_filter_model_age_seconds")).as("no model loaded").isEqualTo(-1);
        assertThat(gauge("shaping_filter_pending_reports")).isZero();
        assertThat(gauge("shaping_filter_turn_waits_capped")).isZero();
    }

    @Test
    void withoutAModelTheNotRunReasonIsCountedAndPendingReportsAreShownAfterALearningPass() throws Exception {
        try (MongoClient client = new MongoConnection(mongo.uri(), "no_model", Duration.ofSeconds(2)).open()) {
            TrainingReports reports = new TrainingReports(client.getDatabase("no_model").getCollection(TrainingReports.COLLECTION));
            reports.add(SpamMutator.message("Win", TEXT, false), true, "test", Instant.now());
            reports.add(SpamMutator.message("Notes", TEXT, false), false, "test", Instant.now());
        }
        PredictiveFilter mailet = predictive("no_model");
        mailet.service(mail());
        mailet.service(mail());

        assertThat(count("shaping_filter_predictive_not_run_verdicts")).isEqualTo(2);
        assertThat(count("shaping_filter_predictive_not_run_no_model")).isEqualTo(2);
        assertThat(count("shaping_filter_predictive_not_run_error")).isZero();
        assertThat(count("shaping_filter_predictive_spam_verdicts") + count("shaping_filter_predictive_ham_verdicts")).isZero();
        // No model to learn into: both reports stay pending, as the learning pass counts them.
        awaitGauge("shaping_filter_pending_reports", 2);
    }

    @Test
    void scoredMailIsCountedByOutcomeAndTheModelAgeIsSinceItWasTrained() throws Exception {
        try (MongoClient client = new MongoConnection(mongo.uri(), "with_model", Duration.ofSeconds(2)).open()) {
            new PredictiveModelStore(client.getDatabase("with_model").getCollection(PredictiveModelStore.COLLECTION))
                .save(PredictiveModelStoreTest.randomModel(4), Instant.now());
        }
        PredictiveFilter mailet = predictive("with_model");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (gauge("shaping_filter_model_age_seconds") < 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        long age = gauge("shaping_filter_model_age_seconds");
        assertThat(age).isBetween(0L, 60L);

        for (int i = 0; i < 3; i++) {
            mailet.service(mail());
        }
        assertThat(count("shaping_filter_predictive_spam_verdicts") + count("shaping_filter_predictive_ham_verdicts")).isEqualTo(3);
        assertThat(count("shaping_filter_predictive_not_run_verdicts")).isZero();
    }

    private void awaitGauge(String name, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (gauge(name) != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(gauge(name)).isEqualTo(expected);
    }
}
