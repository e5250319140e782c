package org.jamesshaping.reputation;

import java.util.EnumMap;
import java.util.Map;

/**
 * How bad a sender looks, from 0 (only good signals) to 1 (only bad), over decayed counts. A prior of
 * {@value #PRIOR} neutral events keeps a handful of events from condemning, or clearing, a sender.
 */
public final class ReputationScore {
    static final double PRIOR = 4.0;
    private static final Map<Signal, Double> BAD = new EnumMap<>(Signal.class);
    private static final Map<Signal, Double> GOOD = new EnumMap<>(Signal.class);

    static {
        BAD.put(Signal.SPAM, 1.0);
        BAD.put(Signal.KNOWN_SPAM, 2.0);
        BAD.put(Signal.REPORTED_SPAM, 2.0);
        BAD.put(Signal.SPAMTRAP_HIT, 3.0);
        BAD.put(Signal.UNKNOWN_RECIPIENT, 0.5);
        BAD.put(Signal.RECIPIENT_REJECTED, 0.25);
        BAD.put(Signal.PROTOCOL_VIOLATION, 0.5);
        BAD.put(Signal.EARLY_TALK, 1.0);
        BAD.put(Signal.HELO_ANOMALY, 0.5);
        GOOD.put(Signal.HAM, 1.0);
        GOOD.put(Signal.REPORTED_HAM, 2.0);
        GOOD.put(Signal.MESSAGE_ACCEPTED, 0.25);
    }

    private ReputationScore() {
    }

    public static double of(ReputationSnapshot snapshot) {
        double bad = weighted(snapshot, BAD);
        double good = weighted(snapshot, GOOD);
        return (bad + PRIOR * 0.5) / (bad + good + PRIOR) ;
    }

    private static double weighted(ReputationSnapshot snapshot, Map<Signal, Double> weights) {
        double sum = 0;
        for (Map.Entry<Signal, Double> weight : weights.entrySet()) {
            sum += weight.getValue() * snapshot.decayed(weight.getKey());
        }
        return sum;
    }
}
