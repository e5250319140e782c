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
 * one typo does not condemn it: confidence grows with volume. The neighbours (the subnet without the address
 * itself) are a second prior, counted by address: how many of them are bad and how many good on their own evidence,
 * each worth {@code neighbourAddressWeight} events, at most {@code subnetWeight} in all. Many bad neighbours put a
 * fresh address in a slow class; one does not; an address's own long clean history outweighs them.</p>
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
        private final Standing standing;
        private final Evidence address;
        private final Evidence subnet;
        private final ReputationClassifier classifier;

        Judgement(int level, double badness, Mass own, double netBadness, double netInfluence, boolean nothingKnown,
                  Standing standing, Evidence address, Evidence subnet, ReputationClassifier classifier) {
            this.standing = standing;
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

        /** What the address's own evidence says of it, for its network's counts. */
        public Standing standing() {
            return standing;
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
            contributions.put("standing", standing.name().toLowerCase(Locale.US));
            return contributions;
        }
    }

    /** The worst class the neighbours can bring a sender to: 8 refuses its mail, and that takes evidence of its own. */
    static final int NEIGHBOURS_ALONE_AT_MOST = 7;

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
            // Never below zero: a withdrawal recorded before what it withdraws has reached this copy is not evidence.
            double contribution = Math.max(0, snapshot.decayed(table.signals[i])) * table.weights[i];
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

    /**
     * Judges a sender by its own evidence and its neighbours'. Its neighbours count by address, not by mass: each
     * distinct neighbour address with a standing of its own ({@link Standing}) is worth a few events, so one noisy
     * address cannot condemn its network; and the neighbours alone never make a class that refuses mail (8 or 9).
     */
    public Judgement judge(Evidence address, Evidence subnet) {
        Mass own = mass(address);
        double prior = settings.priorStrength * settings.priorBadness;
        double ownBadness = (own.bad + prior) / (own.evidence() + settings.priorStrength);
        Standing standing = ownBadness >= settings.thresholds[3] ? Standing.BAD
            : own.good >= settings.trustedGood && ownBadness <= settings.trustedMaxBadness ? Standing.GOOD : Standing.NEUTRAL;
        // The network's counts include this address once its standing was counted: judge the neighbours only.
        double badNeighbours = Math.max(0, subnet.decayed(Signal.BAD_ADDRESS) - (standing == Standing.BAD ? 1 : 0));
        double goodNeighbours = Math.max(0, subnet.decayed(Signal.GOOD_ADDRESS) - (standing == Standing.GOOD ? 1 : 0));
        double neighbours = badNeighbours + goodNeighbours;
        double netBadness = (badNeighbours + settings.priorBadness) / (neighbours + 1);
        double netInfluence = Math.min(settings.subnetWeight, settings.neighbourAddressWeight * neighbours);

        double badness = (own.bad + netInfluence * netBadness + prior) / (own.evidence() + netInfluence + settings.priorStrength);
        int level = level(own, badness);
        if (level > NEIGHBOURS_ALONE_AT_MOST) {
            level = Math.max(NEIGHBOURS_ALONE_AT_MOST, level(own, ownBadness));
        }
        return new Judgement(level, badness, own, netBadness, netInfluence, own.evidence() == 0 && neighbours == 0,
            standing, address, subnet, this);
    }

    private int level(Mass own, double badness) {
        if (own.good >= settings.fastLaneGood && badness <= settings.fastLaneMaxBadness) {
            return 0;
        }
        if (own.good >= settings.trustedGood && badness <= settings.trustedMaxBadness) {
            return 1;
        }
        int level = 2;
        for (double threshold : settings.thresholds) {
            if (badness >= threshold) {
                level++;
            }
        }
        return level;
    }

    private static double round(double value) {
        return Math.round(value * 1000.0) / 1000.0;
    }
}
