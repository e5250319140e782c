package org.jamesshaping.shaping;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.jamesshaping.reputation.ManualStatus;
import org.jamesshaping.reputation.ReputationClassifier;
import org.jamesshaping.reputation.ReputationService;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Decides a sender's class from what is in memory: operator statuses first (allow: 0, block: 9, pin: the
 * pinned class), then reputation. Never calls MongoDB, so it is safe on the SMTP path. The weights come from the
 * TrafficShaper handler's configuration; WebAdmin and the CLI use the same instance to explain a class.
 *
 * <p>An address's decision is reused, for at most a second, while {@link ReputationService#changes()} has not
 * moved, that is while nothing happened that could make any sender look worse (a signal against a sender, a
 * record read from MongoDB, an operator status). On clean traffic that turns the three classifications of each
 * connection (connect, HELO/EHLO, MAIL FROM), and those of the next connections from the same address, into one
 * per address and second; a sender turning bad is re-classified at its next command as before.</p>
 */
@Singleton
public class SenderClassifier {
    private static final long REUSE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final class Remembered {
        final ClassDecision decision;
        final long changes;
        final long atNanos;

        Remembered(ClassDecision decision, long changes, long atNanos) {
            this.decision = decision;
            this.changes = changes;
            this.atNanos = atNanos;
        }
    }

    private final ReputationService reputation;
    private final Cache<InetAddress, Remembered> recent = Caffeine.newBuilder().maximumSize(100_000).build();
    private volatile ReputationClassifier classifier = new ReputationClassifier(new ReputationClassifier.Settings());

    @Inject
    public SenderClassifier(ReputationService reputation) {
        this.reputation = reputation;
    }

    void configure(ReputationClassifier.Settings settings) {
        this.classifier = new ReputationClassifier(settings);
        recent.invalidateAll();
    }

    public ReputationClassifier classifier() {
        return classifier;
    }

    private static String entry(ReputationService.StatusMatch match) {
        return " by the operator entry for " + match.key() + ": " + match.status().reason();
    }

    public ClassDecision classify(InetAddress address) {
        // Read before classifying: a change during it makes the next call classify again.
        long changes = reputation.changes();
        long now = System.nanoTime();
        Remembered remembered = recent.getIfPresent(address);
        if (remembered != null && remembered.changes == changes && now - remembered.atNanos < REUSE_NANOS) {
            return remembered.decision;
        }
        ClassDecision decision = classify(reputation.sender(address));
        recent.put(address, new Remembered(decision, changes, now));
        return decision;
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
