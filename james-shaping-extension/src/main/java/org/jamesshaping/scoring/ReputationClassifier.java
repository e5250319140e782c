package org.jamesshaping.scoring;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;


/**
 * Turns what is known about a sender into a shaping class, 0 (trusted) to 8 (worst before blocked), the way the
 * commercial shapers bucketed senders by "how much of the mail from this address is spam?".
 *
 * <p>Each key's decayed signals are weighed into a bad and a good mass. Badness is their Bayesian average with
 * a neutral prior ({@code priorBadness} worth {@code priorStrength} events), so a new sender starts neutral and
 * one typo does not condemn it: confidence grows with volume. The neighbours' badness (the subnet without the
 * address itself) is a second prior worth at most {@code subnetWeight} events: it decides a fresh address in a
 * /24 full of bots, and is outweighed by an address's own long clean history.</p>
 */
public final class ReputationClassifier {
    /**
     * The weighed signals and their weights as parallel arrays, in ordinal order (the order the EnumMap is iterated
     * in, so masses are summed in the same order): weighing a snapshot on the SMTP path then neither iterates a
     * map nor unboxes. Immutable and replaced whole, so a weight set concurrently is seen entirely or not at all.
     */
    static final class WeightTable {
        final Signal[] signals;
        final double[] weights;

        WeightTable(Map<Signal, Double> bySignal) {
            signals = new Signal[bySignal.size()];
            weights = new double[bySignal.size()];
            int i = 0;
            for (Map.Entry<Signal, Double> weight : bySignal.entrySet()) {
                signals[i] = weight.getKey();
                weights[i] = weight.getValue();
                i++;
            }
        }
    }

    /** A class and the figures that produced it; the words and the breakdown are built only when asked for. */
    public static final class Judgement {
        private final int level;
        private final double badness;
        private final Mass own;
        private final double netBadness;
        private final double netInfluence;
        private final boolean nothingKnown;
        private final Evidence address;
        private final Evidence subnet;
        private final ReputationClassifier classifier;

        Judgement(int level, double badness, Mass own, double netBadness, double netInfluence, boolean nothingKnown,
                  Evidence address, Evidence subnet, ReputationClassifier classifier) {
            this.level = level;
            this.badness = badness;
            this.own = own;
            this.netBadness = netBadness;
            this.netInfluence = netInfluence;
            this.nothingKnown = nothingKnown;
            this.address = address;
            this.subnet = subnet;
            this.classifier = classifier;
        }

        public int level() {
            return level;
        }

        public double badness() {
            return badness;
        }

        public List<String> reasons() {
            List<String> reasons = new ArrayList<>();
            if (level == 0) {
                reasons.add("long clean history (fast lane)");
            } else if (level == 1) {
                reasons.add("clean history");
            } else if (nothingKnown) {
                reasons.add("new sender, nothing known");
            }
            reasons.add(String.format(Locale.US, "badness %.2f from %.1f bad / %.1f good own evidence and neighbours' badness %.2f "
                + "(worth %.1f events)", badness, own.bad, own.good, netBadness, netInfluence));
            return reasons;
        }

        /** Each signal's decayed count, weight and contribution, for the address and its subnet. */
        public Map<String, Object> contributions() {
            Map<String, Object> contributions = new LinkedHashMap<>();
            contributions.put("address", classifier.parts(address));
            contributions.put("subnet", classifier.parts(subnet));
            contributions.put("badness", round(badness));
            contributions.put("neighboursBadness", round(netBadness));
            contributions.put("neighboursWeight", round(netInfluence));
            return contributions;
        }
    }

    private final ScoringConfig settings;

    public ReputationClassifier(ScoringConfig settings) {
        this.settings = settings;
    }

    public ScoringConfig settings() {
        return settings;
    }

    static final class Mass {
        double bad;
        double good;

        double evidence() {
            return bad + good;
        }
    }

    private Mass mass(Evidence snapshot) {
        Mass mass = new Mass();
        WeightTable table = settings.weightTable;
        for (int i = 0; i < table.signals.length; i++) {
            double contribution = snapshot.decayed(table.signals[i]) * table.weights[i];
            if (contribution > 0) {
                mass.bad += contribution;
            } else {
                mass.good -= contribution;
            }
        }
        return mass;
    }

    private Map<String, Object> parts(Evidence snapshot) {
        Map<String, Object> parts = new LinkedHashMap<>();
        for (Map.Entry<Signal, Double> weight : settings.weights.entrySet()) {
            double count = snapshot.decayed(weight.getKey());
            if (count > 0) {
                Map<String, Object> part = new LinkedHashMap<>();
                part.put("decayed", round(count));
                part.put("weight", weight.getValue());
                part.put("contribution", round(count * weight.getValue()));
                parts.put(weight.getKey().field(), part);
            }
        }
        return parts;
    }

    public Judgement judge(Evidence address, Evidence subnet) {
        Mass own = mass(address);
        Mass net = mass(subnet);
        // The subnet includes the address itself: judge the neighbours only.
        double netBad = Math.max(0, net.bad - own.bad);
        double netGood = Math.max(0, net.good - own.good);
        double netEvidence = netBad + netGood;
        double netBadness = netEvidence > 0 ? netBad / netEvidence : settings.priorBadness;
        double netInfluence = Math.min(netEvidence, settings.subnetWeight);

        double badness = (own.bad + netInfluence * netBadness + settings.priorStrength * settings.priorBadness)
            / (own.evidence() + netInfluence + settings.priorStrength);

        int level;
        if (own.good >= settings.fastLaneGood && badness <= settings.fastLaneMaxBadness) {
            level = 0;
        } else if (own.good >= settings.trustedGood && badness <= settings.trustedMaxBadness) {
            level = 1;
        } else {
            level = 2;
            for (double threshold : settings.thresholds) {
                if (badness >= threshold) {
                    level++;
                }
            }
        }
        return new Judgement(level, badness, own, netBadness, netInfluence, own.evidence() == 0 && netEvidence == 0,
            address, subnet, this);
    }

    private static double round(double value) {
        return Math.round(value * 1000.0) / 1000.0;
    }
}
