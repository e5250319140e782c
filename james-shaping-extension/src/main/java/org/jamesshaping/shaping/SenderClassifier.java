package org.jamesshaping.shaping;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.jamesshaping.reputation.ManualStatus;
import org.jamesshaping.reputation.ReputationClassifier;
import org.jamesshaping.reputation.ReputationService;

/**
 * Decides a sender's class from what is in memory: operator statuses first (allow: 0, block: 9, pin: the
 * pinned class), then reputation. Never calls MongoDB, so it is safe on the SMTP path. The weights come from the
 * TrafficShaper handler's configuration; WebAdmin and the CLI use the same instance to explain a class.
 */
@Singleton
public class SenderClassifier {
    private final ReputationService reputation;
    private volatile ReputationClassifier classifier = new ReputationClassifier(new ReputationClassifier.Settings());

    @Inject
    public SenderClassifier(ReputationService reputation) {
        this.reputation = reputation;
    }

    void configure(ReputationClassifier.Settings settings) {
        this.classifier = new ReputationClassifier(settings);
    }

    public ReputationClassifier classifier() {
        return classifier;
    }

    private static String entry(ReputationService.StatusMatch match) {
        return " by the operator entry for " + match.key() + ": " + match.status().reason();
    }

    public ClassDecision classify(InetAddress address) {
        return classify(reputation.sender(address));
    }

    public ClassDecision classify(ReputationService.SenderView view) {
        Optional<ReputationService.StatusMatch> status = view.status();
        if (status.isPresent()) {
            ManualStatus manual = status.get().status();
            ReputationService.StatusMatch match = status.get();
            switch (manual.value()) {
                case ALLOW:
                    return new ClassDecision(0, () -> List.of("allowed" + entry(match)), true);
                case BLOCK:
                    return new ClassDecision(ShapingPolicy.BLOCKED, () -> List.of("blocked" + entry(match)), false);
                default:
                    return new ClassDecision(manual.pinnedClass().orElse(3), () -> List.of("pinned" + entry(match)), false);
            }
        }
        ReputationClassifier.Judgement judgement = classifier.judge(view.address(), view.subnet());
        boolean loaded = view.address().isLoaded();
        return new ClassDecision(judgement.level(), () -> {
            List<String> reasons = new ArrayList<>(judgement.reasons());
            if (!loaded) {
                reasons.add("record not read from MongoDB yet");
            }
            return reasons;
        }, false);
    }
}
