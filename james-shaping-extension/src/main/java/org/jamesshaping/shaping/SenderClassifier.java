package org.jamesshaping.shaping;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.jamesshaping.reputation.ManualStatus;
import org.jamesshaping.reputation.ReputationClassifier;
import org.jamesshaping.reputation.ReputationService;

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
    private static final int MAX_REUSED = 100_000;

    /**
     * The decisions made while {@link ReputationService#changes()} stays at {@code changes}, for at most a second
     * from {@code sinceNanos}; replaced as a whole when either runs out. A plain map read per connection and
     * command, instead of a bounded cache with per-entry ages.
     */
    static final class Reusable {
        final long changes;
        final long sinceNanos;
        final ConcurrentHashMap<InetAddress, ClassDecision> decisions = new ConcurrentHashMap<>();

        Reusable(long changes, long sinceNanos) {
            this.changes = changes;
            this.sinceNanos = sinceNanos;
        }

        boolean validFor(long changesNow, long nowNanos) {
            return changes == changesNow && nowNanos - sinceNanos < REUSE_NANOS;
        }
    }

    private final ReputationService reputation;
    /** {@link System#nanoTime}, or a test's clock. */
    private final LongSupplier nanoClock;
    private volatile Reusable reusable;
    private volatile ReputationClassifier classifier = new ReputationClassifier(new ReputationClassifier.Settings());

    @Inject
    public SenderClassifier(ReputationService reputation) {
        this(reputation, System::nanoTime);
    }

    SenderClassifier(ReputationService reputation, LongSupplier nanoClock) {
        this.reputation = reputation;
        this.nanoClock = nanoClock;
        this.reusable = new Reusable(Long.MIN_VALUE, nanoClock.getAsLong());
    }

    void configure(ReputationClassifier.Settings settings) {
        this.classifier = new ReputationClassifier(settings);
        reusable = new Reusable(Long.MIN_VALUE, nanoClock.getAsLong());
    }

    public ReputationClassifier classifier() {
        return classifier;
    }

    private static String entry(ReputationService.StatusMatch match) {
        return " by the operator entry for " + match.key() + ": " + match.status().reason();
    }

    /** The window decisions are reused in now: a caller that keeps it can ask {@link #stillCurrent} later. */
    Reusable window() {
        return reusable;
    }

    /**
     * Whether a decision taken while {@code window} was current still stands as it would be reused: that window is
     * still the current one and still open. A connection asks this before deciding again at HELO/EHLO and MAIL
     * FROM, and skips the lookup of its address while nothing has changed.
     */
    boolean stillCurrent(Reusable window) {
        return window != null && window == reusable && window.validFor(reputation.changes(), nanoClock.getAsLong());
    }

    public ClassDecision classify(InetAddress address) {
        // Read before classifying: a change during it makes the next call classify again.
        long changes = reputation.changes();
        long now = nanoClock.getAsLong();
        Reusable current = reusable;
        if (!current.validFor(changes, now)) {
            // Threads racing here may each install a new one: only reuse is lost, never correctness.
            current = new Reusable(changes, now);
            reusable = current;
        }
        ClassDecision known = current.decisions.get(address);
        if (known != null) {
            return known;
        }
        ClassDecision decision = classify(reputation.sender(address));
        if (current.decisions.size() < MAX_REUSED) {
            current.decisions.put(address, decision);
        }
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
                    return ClassDecision.blockedByOperator(manual.reason(), () -> List.of("blocked" + entry(match)));
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
