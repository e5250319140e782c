package org.jamesshaping.filter;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.dropwizard.DropWizardMetricFactory;

import com.codahale.metrics.MetricRegistry;

/**
 * The content filters' metrics, at WebAdmin's /metrics beside the shaper's: verdicts by filter and outcome, why a
 * filter did not run, the age of the predictive model in use and the operator reports it has not learned yet.
 * Every series exists from the start (at 0), so dashboards and alerts see it before the first mail.
 */
public final class FilterMetrics {
    /** Every reason a filter gives for not running ({@link Verdict#reason()}): its time budget spent, its store or its model unavailable. */
    public static List<String> notRunReasonsOf(Verdict.Filter filter) {
        return List.of("too-large", "bad-mime", "error", "timeout", filter == Verdict.Filter.FINGERPRINT ? "store-unavailable" : "no-model");
    }

    private final Map<Verdict.Filter, Map<Verdict.Outcome, Metric>> verdicts = new EnumMap<>(Verdict.Filter.class);
    private final Map<Verdict.Filter, Map<String, Metric>> notRun = new EnumMap<>(Verdict.Filter.class);

    public FilterMetrics(MetricFactory metricFactory, GaugeRegistry gauges, Supplier<Instant> oldestModelTrainedAt,
                         Supplier<Long> pendingReports, Clock clock) {
        for (Verdict.Filter filter : Verdict.Filter.values()) {
            Map<Verdict.Outcome, Metric> byOutcome = new EnumMap<>(Verdict.Outcome.class);
            for (Verdict.Outcome outcome : outcomesOf(filter)) {
                byOutcome.put(outcome, metricFactory.generate(verdictMetric(filter, outcome)));
            }
            verdicts.put(filter, byOutcome);
            Map<String, Metric> byReason = new HashMap<>();
            for (String reason : notRunReasonsOf(filter)) {
                byReason.put(reason, metricFactory.generate(notRunMetric(filter, reason)));
            }
            notRun.put(filter, byReason);
        }
        gauges.register("shaping_filter_model_age_seconds", () -> {
            Instant trainedAt = oldestModelTrainedAt.get();
            // -1: no model loaded (the predictive filter then does not run: see its no_model reason).
            return trainedAt == null ? -1L : Duration.between(trainedAt, clock.instant()).toSeconds();
        });
        gauges.register("shaping_filter_pending_reports", pendingReports::get);
    }

    /** The outcomes a filter can give: the fingerprint filter never scores spam or ham, the predictive never matches. */
    public static List<Verdict.Outcome> outcomesOf(Verdict.Filter filter) {
        return filter == Verdict.Filter.FINGERPRINT
            ? List.of(Verdict.Outcome.KNOWN_SPAM, Verdict.Outcome.UNKNOWN, Verdict.Outcome.NOT_RUN)
            : List.of(Verdict.Outcome.SPAM, Verdict.Outcome.HAM, Verdict.Outcome.NOT_RUN);
    }

    /** e.g. {@code shaping_filter_fingerprint_known_spam_verdicts}. */
    public static String verdictMetric(Verdict.Filter filter, Verdict.Outcome outcome) {
        return "shaping_filter_" + name(filter.name()) + "_" + name(outcome.header()) + "_verdicts";
    }

    /** e.g. {@code shaping_filter_predictive_not_run_no_model}. */
    public static String notRunMetric(Verdict.Filter filter, String reason) {
        return "shaping_filter_" + name(filter.name()) + "_not_run_" + name(reason);
    }

    private static String name(String text) {
        return text.toLowerCase(Locale.ROOT).replace('-', '_');
    }

    public void verdict(Verdict verdict) {
        Metric metric = verdicts.get(verdict.filter()).get(verdict.outcome());
        if (metric != null) {
            metric.increment();
        }
        if (verdict.outcome() == Verdict.Outcome.NOT_RUN) {
            Metric reason = notRun.get(verdict.filter()).get(verdict.reason().orElse("error"));
            (reason == null ? notRun.get(verdict.filter()).get("error") : reason).increment();
        }
    }

    /** Mails of this filter not run for this reason since James started (0 for a reason it never gives). */
    public long notRunCount(Verdict.Filter filter, String reason) {
        Metric metric = notRun.get(filter).get(reason);
        return metric == null ? 0 : metric.getCount();
    }

    /** Counted in a registry of its own, shown nowhere: for filters built outside James's injector (tests). */
    static FilterMetrics unregistered(Supplier<Instant> oldestModelTrainedAt, Supplier<Long> pendingReports) {
        return new FilterMetrics(new DropWizardMetricFactory(new MetricRegistry()), new NoopGaugeRegistry(),
            oldestModelTrainedAt, pendingReports, Clock.systemUTC());
    }
}
