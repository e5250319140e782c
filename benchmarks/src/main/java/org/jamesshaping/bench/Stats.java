package org.jamesshaping.bench;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;

/**
 * The statistics every benchmark uses, in one place so that each figure has one definition. Percentiles of
 * timings are exact (nearest rank over sorted arrays, no histogram buckets): the reports say so, and HdrHistogram
 * would trade that for memory the benchmarks do not need.
 */
public final class Stats {
    private Stats() {
    }

    /** A sorted copy; {@code values} is left as it is. */
    public static long[] sorted(long[] values) {
        long[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }

    /** Nearest rank: the smallest value that at least p% (0..100) of {@code sorted} do not exceed; -1 when empty. */
    public static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    /** The middle value, or the mean of the two middle ones; NaN when empty. */
    public static double median(double[] values) {
        double[] copy = values.clone();
        Arrays.sort(copy);
        int n = copy.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? copy[n / 2] : (copy[n / 2 - 1] + copy[n / 2]) / 2;
    }

    /**
     * Quantile q (0..1) by linear interpolation between the closest ranks (R's type 7), for small samples of ratios
     * where nearest rank would jump between values. Equals {@link #median} at 0.5 up to rounding.
     */
    public static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double position = q * (sorted.length - 1);
        int lower = (int) Math.floor(position);
        int upper = (int) Math.ceil(position);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
    }

    /** {@code own[i] / base[i]} for each i of {@code own}. */
    public static double[] ratios(double[] own, double[] base) {
        double[] ratios = new double[own.length];
        for (int i = 0; i < own.length; i++) {
            ratios[i] = own[i] / base[i];
        }
        return ratios;
    }

    /** {@code part} as a percentage of {@code whole}. */
    public static double percent(double part, double whole) {
        return 100.0 * part / whole;
    }

    /** The indexes 0 .. count - 1: every round picked once. */
    public static int[] everyRound(int count) {
        int[] all = new int[count];
        Arrays.setAll(all, i -> i);
        return all;
    }

    /**
     * {@link #percentile} of the rounds {@code picks} names (a round may be named more than once) put together,
     * without concatenating them: a binary search for the smallest time that enough sessions do not exceed, counted
     * in each sorted round. Resampling calls it a thousand times, on hundreds of thousands of sessions.
     */
    public static long pooledPercentile(long[][] sortedRounds, int[] picks, double p) {
        long total = 0;
        long low = Long.MAX_VALUE;
        long high = Long.MIN_VALUE;
        for (int pick : picks) {
            long[] round = sortedRounds[pick];
            total += round.length;
            if (round.length > 0) {
                low = Math.min(low, round[0]);
                high = Math.max(high, round[round.length - 1]);
            }
        }
        if (total == 0) {
            return -1;
        }
        long rank = Math.min(total, Math.max(1, (long) Math.ceil(p / 100.0 * total)));
        while (low < high) {
            long middle = low + (high - low) / 2;
            long atMost = 0;
            for (int pick : picks) {
                atMost += countAtMost(sortedRounds[pick], middle);
            }
            if (atMost >= rank) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        return low;
    }

    /** How many values of {@code sorted} are at most {@code value}. */
    static int countAtMost(long[] sorted, long value) {
        int low = 0;
        int high = sorted.length;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (sorted[middle] <= value) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }

    /**
     * The 5th and 95th percentiles of the pooled p-th percentile ratio of {@code own} over {@code base} when the
     * rounds are drawn with replacement (a bootstrap over rounds). Round r of both is drawn together: they ran next
     * to each other, so what the machine did meanwhile stays paired.
     */
    public static double[] pooledRatioInterval(long[][] own, long[][] base, double p, int resamples, Random random) {
        int rounds = Math.min(own.length, base.length);
        double[] ratios = new double[resamples];
        int[] picks = new int[rounds];
        for (int i = 0; i < resamples; i++) {
            for (int j = 0; j < rounds; j++) {
                picks[j] = random.nextInt(rounds);
            }
            ratios[i] = pooledPercentile(own, picks, p) / (double) pooledPercentile(base, picks, p);
        }
        return new double[] {quantile(ratios, 0.05), quantile(ratios, 0.95)};
    }

    /**
     * Area under the ROC curve of {@code scores} against {@code positive} (Mann-Whitney: the rank sum of the
     * positives, tied scores given their average rank, so a tie counts half).
     */
    public static double areaUnderRoc(double[] scores, boolean[] positive) {
        double[][] pairs = new double[scores.length][];
        int positives = 0;
        for (int i = 0; i < scores.length; i++) {
            pairs[i] = new double[] {scores[i], positive[i] ? 1 : 0};
            positives += positive[i] ? 1 : 0;
        }
        int negatives = scores.length - positives;
        Arrays.sort(pairs, Comparator.comparingDouble(pair -> pair[0]));
        double rankSum = 0;
        int i = 0;
        while (i < pairs.length) {
            int j = i;
            while (j < pairs.length && pairs[j][0] == pairs[i][0]) {
                j++;
            }
            double averageRank = (i + 1 + j) / 2.0;
            for (int k = i; k < j; k++) {
                if (pairs[k][1] == 1) {
                    rankSum += averageRank;
                }
            }
            i = j;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }
}
