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
        private final double wideBadness;
        private final double wideInfluence;
        private final boolean nothingKnown;
        private final Standing standing;
        private final Evidence address;
        private final Evidence subnet;
        private final Evidence wide;
        private final ReputationClassifier classifier;

        Judgement(int level, double badness, Mass own, double netBadness, double netInfluence, double wideBadness, double wideInfluence,
                  boolean nothingKnown, Standing standing, Evidence address, Evidence subnet, Evidence wide, ReputationClassifier classifier) {
            this.standing = standing;
            this.level = level;
            this.badness = badness;
            this.own = own;
            this.netBadness = netBadness;
            this.netInfluence = netInfluence;
            this.wideBadness = wideBadness;
            this.wideInfluence = wideInfluence;
            this.nothingKnown = nothingKnown;
            this.address = address;
            this.subnet = subnet;
            this.wide = wide;
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
            return figures().reasons();
        }

        /** What the words are built from, without the evidence: small enough to outlive the judgement. */
        public Figures figures() {
            return new Figures(level, badness, own.bad, own.good, netBadness, netInfluence, wideBadness, wideInfluence, nothingKnown);
        }

        /** Each signal's decayed count, weight and contribution, for the address and its subnet. */
        public Map<String, Object> contributions() {
            Map<String, Object> contributions = new LinkedHashMap<>();
            contributions.put("address", classifier.parts(address));
            contributions.put("subnet", classifier.parts(subnet));
            contributions.put("badness", round(badness));
            contributions.put("neighboursBadness", round(netBadness));
            contributions.put("neighboursWeight", round(netInfluence));
            contributions.put("wideNetwork", classifier.parts(wide));
            contributions.put("wideNetworkBadness", round(wideBadness));
            contributions.put("wideNetworkWeight", round(wideInfluence));
            contributions.put("standing", standing.name().toLowerCase(Locale.US));
            return contributions;
        }
    }

    /** The figures of a {@link Judgement} its words are made of: no evidence, no snapshot, for a decision to keep. */
    public static final class Figures {
        private final int level;
        private final double badness;
        private final double ownBad;
        private final double ownGood;
        private final double netBadness;
        private final double netInfluence;
        private final double wideBadness;
        private final double wideInfluence;
        private final boolean nothingKnown;

        Figures(int level, double badness, double ownBad, double ownGood, double netBadness, double netInfluence, double wideBadness,
                double wideInfluence, boolean nothingKnown) {
            this.level = level;
            this.badness = badness;
            this.ownBad = ownBad;
            this.ownGood = ownGood;
            this.netBadness = netBadness;
            this.netInfluence = netInfluence;
            this.wideBadness = wideBadness;
            this.wideInfluence = wideInfluence;
            this.nothingKnown = nothingKnown;
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
                + "(worth %.1f events)", badness, ownBad, ownGood, netBadness, netInfluence)
                + (wideInfluence > 0 ? String.format(Locale.US, ", prior shifted by the wide network's badness %.2f (worth %.1f)",
                    wideBadness, wideInfluence) : ""));
            return reasons;
        }
    }

    /** The worst class the neighbours can bring a sender to: 8 refuses its mail, and that takes evidence of its own. */
    static final int NEIGHBOURS_ALONE_AT_MOST = 7;
    /**
     * The worst class the wide network (the /16 or /48) can bring a sender to on its own: 6 delays and limits, 7 and
     * worse hold a sender hard, which takes more than the standings of other subnets of a provider.
     */
    static final int WIDE_ALONE_AT_MOST = 6;
    /**
     * How many neutral subnets the wide network's badness starts from: a /16 with a few bad /24s and nothing else
     * known is not yet a bad provider (its fresh addresses stay in class 3).
     */
    static final double WIDE_NEUTRAL_NETWORKS = 5;

    /** Evidence of nothing: for a sender whose wide network is not known (tests, operator reports of a network). */
    public static final Evidence NOTHING = signal -> 0;

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
        return judge(address, subnet, NOTHING);
    }

    /**
     * Judges a sender by its own evidence, its neighbours' and its wide network's. The wide network (the /16 or /48)
     * counts subnets, not addresses: each /24 or /64 with a standing of its own ({@link #networkStanding}) is worth
     * {@code wideNetworkWeight}, at most {@code wideWeight}. It shifts the neutral prior rather than adding evidence,
     * so a sender's own history outweighs it as fast as it outweighs the prior; it speaks only as far as the
     * subnet's own neighbours do not (a known /24 says more than its /16); and alone it never makes a class worse
     * than {@link #WIDE_ALONE_AT_MOST}.
     */
    public Judgement judge(Evidence address, Evidence subnet, Evidence wide) {
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

        // The wide network's counts include this subnet once its standing was counted: judge the other subnets only.
        Standing subnetStanding = networkStanding(subnet);
        double badNetworks = Math.max(0, wide.decayed(Signal.BAD_ADDRESS) - (subnetStanding == Standing.BAD ? 1 : 0));
        double goodNetworks = Math.max(0, wide.decayed(Signal.GOOD_ADDRESS) - (subnetStanding == Standing.GOOD ? 1 : 0));
        double networks = badNetworks + goodNetworks;
        double wideBadness = (badNetworks + WIDE_NEUTRAL_NETWORKS * settings.priorBadness) / (networks + WIDE_NEUTRAL_NETWORKS);
        double wideInfluence = Math.max(0, Math.min(settings.wideWeight, settings.wideNetworkWeight * networks) - netInfluence);
        double shiftedPrior = settings.priorStrength
            * (prior + wideInfluence * wideBadness) / (settings.priorStrength + wideInfluence);

        double withoutWide = (own.bad + netInfluence * netBadness + prior) / (own.evidence() + netInfluence + settings.priorStrength);
        double badness = (own.bad + netInfluence * netBadness + shiftedPrior) / (own.evidence() + netInfluence + settings.priorStrength);
        int level = level(own, badness);
        if (level > WIDE_ALONE_AT_MOST) {
            level = Math.max(WIDE_ALONE_AT_MOST, level(own, withoutWide));
        }
        if (level > NEIGHBOURS_ALONE_AT_MOST) {
            level = Math.max(NEIGHBOURS_ALONE_AT_MOST, level(own, ownBadness));
        }
        return new Judgement(level, badness, own, netBadness, netInfluence, wideBadness, wideInfluence,
            own.evidence() == 0 && neighbours == 0 && networks == 0, standing, address, subnet, wide, this);
    }

    /**
     * What a subnet's own addresses say of it, for its wide network's counts: bad when at least one of its addresses
     * is bad and more are bad than good, good when some are good and none bad. Counts decay: half an address is one
     * counted within the last half-life.
     */
    public static Standing networkStanding(Evidence subnet) {
        return networkStanding(subnet.decayed(Signal.BAD_ADDRESS), subnet.decayed(Signal.GOOD_ADDRESS));
    }

    public static Standing networkStanding(double badAddresses, double goodAddresses) {
        if (badAddresses >= 0.5 && badAddresses > goodAddresses) {
            return Standing.BAD;
        }
        return goodAddresses >= 0.5 && badAddresses < 0.5 ? Standing.GOOD : Standing.NEUTRAL;
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
