package org.jamesshaping.filter.predictive;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Splits messages by time: within each group (spam and ham, or each source set) the earliest
 * {@code trainFraction} are for training and the rest for testing. Random folds drawn from one period hide what
 * happens when spam moves on; testing on later mail than any trained on shows it. Messages with no date count as
 * earliest (they are trained on, never tested); ties are broken by the order given, so the split is deterministic.
 */
public final class TimeSplit {
    /** The share of each group, oldest first, that is trained on. */
    public static final double DEFAULT_TRAIN_FRACTION = 0.7;

    private TimeSplit() {
    }

    /** {@code true} at the indices of the latest messages of each group: the test part. */
    public static <T> boolean[] latest(List<T> items, Function<T, Instant> sentAt, Function<T, ?> group, double trainFraction) {
        if (!(trainFraction > 0 && trainFraction < 1)) {
            throw new IllegalArgumentException("train fraction must be in (0, 1), got " + trainFraction);
        }
        Map<Object, List<Integer>> byGroup = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            byGroup.computeIfAbsent(group.apply(items.get(i)), ignored -> new ArrayList<>()).add(i);
        }
        boolean[] test = new boolean[items.size()];
        for (List<Integer> indices : byGroup.values()) {
            List<Integer> ordered = new ArrayList<>(indices);
            ordered.sort(Comparator.comparing((Integer i) -> {
                Instant time = sentAt.apply(items.get(i));
                return time == null ? Instant.MIN : time;
            }).thenComparing(i -> i));
            int train = (int) Math.round(trainFraction * ordered.size());
            for (int rank = train; rank < ordered.size(); rank++) {
                test[ordered.get(rank)] = true;
            }
        }
        return test;
    }
}
