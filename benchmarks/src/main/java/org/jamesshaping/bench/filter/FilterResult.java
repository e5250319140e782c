package org.jamesshaping.bench.filter;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

import org.jamesshaping.bench.Stats;

/** Counts of one filter at one operating point over a test set, with every score kept for the ROC figures. */
final class FilterResult {
    int spam;
    int caught;
    int ham;
    int falsePositives;
    long classifyNanos;
    int classified;
    final List<double[]> scored = new ArrayList<>();

    void add(boolean isSpam, boolean flagged, double score) {
        if (isSpam) {
            spam++;
            caught += flagged ? 1 : 0;
        } else {
            ham++;
            falsePositives += flagged ? 1 : 0;
        }
        scored.add(new double[] {score, isSpam ? 1 : 0});
    }

    /** 100 * (1 - area under the ROC curve), ties counted half. */
    double oneMinusRocaPercent() {
        double[] scores = new double[scored.size()];
        boolean[] isSpam = new boolean[scored.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = scored.get(i)[0];
            isSpam[i] = scored.get(i)[1] == 1;
        }
        return 100 * (1 - Stats.areaUnderRoc(scores, isSpam));
    }

    /** Spam caught by the best threshold allowing at most {@code allowed} false positives: a point of the ROC curve, chosen after the fact. */
    String caughtAtMostFalsePositives(int allowed) {
        List<Double> hamScores = new ArrayList<>();
        List<Double> spamScores = new ArrayList<>();
        for (double[] pair : scored) {
            (pair[1] == 1 ? spamScores : hamScores).add(pair[0]);
        }
        hamScores.sort(Comparator.reverseOrder());
        double bar = hamScores.get(Math.min(allowed, hamScores.size() - 1));
        long caughtAbove = spamScores.stream().filter(score -> score > bar).count();
        return String.format(Locale.ROOT, "%d/%d (%.2f%%)", caughtAbove, spamScores.size(), Stats.percent(caughtAbove, spamScores.size()));
    }

    String caught() {
        return String.format(Locale.ROOT, "%d/%d (%.2f%%)", caught, spam, Stats.percent(caught, spam));
    }

    String falsePositives() {
        return String.format(Locale.ROOT, "%d/%d (%.2f%%)", falsePositives, ham, Stats.percent(falsePositives, ham));
    }

    String row(String name) {
        return String.format(Locale.ROOT, "| %-26s | %18s | %17s | %.3f%% | %,.0f |", name, caught(), falsePositives(),
            oneMinusRocaPercent(), classified / (classifyNanos / 1e9));
    }
}
