package org.jamesshaping.shaping;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.jamesshaping.runtime.LogText;
import org.jamesshaping.runtime.Scheduler;
import org.jamesshaping.scoring.ClassDecision;
import org.jamesshaping.scoring.ReputationClassifier;
import org.jamesshaping.scoring.Scoring;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.scoring.Standing;
import org.jamesshaping.store.ManualStatus;
import org.jamesshaping.store.ReputationKey;
import org.jamesshaping.store.SenderReputation;
import org.jamesshaping.store.SenderView;
import org.jamesshaping.store.StatusMatch;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Decides a sender's class from what is in memory: operator statuses first (allow: 0, block: 9, pin: the
 * pinned class), then reputation, weighed by the James's one {@link Scoring}. Never calls MongoDB, so it is safe
 * on the SMTP path; WebAdmin and the CLI use the same instance to explain a class.
 *
 * <p>An address's decision is reused, for at most a second, while {@link SenderReputation#changes()} has not
 * moved, that is while nothing happened that could make any sender look worse (a signal against a sender, a
 * record read from MongoDB with more against a sender, an operator status). On clean traffic that turns the
 * three classifications of each connection (connect, HELO/EHLO, MAIL FROM), and those of the next connections
 * from the same address, into one per address and second; a sender turning bad is re-classified at its next
 * command as before.</p>
 *
 * <p>Once a shaper runs, the store thread opens each next window before the current one ends, with fresh decisions
 * for the addresses connections used in it ({@link #renewAhead}): a regular sender's connections then find their
 * decision made instead of one of them, every second, paying for the whole classification on the SMTP path.</p>
 */
@Singleton
public class SenderClassifier {
    private static final long REUSE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int MAX_REUSED = 100_000;
    /**
     * Age of a window at which {@link #renewAhead} opens the next one: well before it ends, checked at each tick
     * of the store thread ({@link Scheduler#TICK}, 100 ms).
     */
    static final long RENEW_AT_NANOS = TimeUnit.MILLISECONDS.toNanos(600);
    /**
     * Addresses decided ahead per window, at most. A server that sees more distinct addresses a second decides
     * the others on the SMTP path, as without renewal; the store thread's work stays bounded.
     */
    static final int MAX_RENEWED = 10_000;
    /** Addresses and subnets whose standing is remembered, at most; past it the oldest may count once more in their network. */
    private static final int MAX_STANDINGS = 200_000;

    /**
     * The decisions made while {@link SenderReputation#changes()} stays at {@code changes}, for at most a second
     * from {@code sinceNanos}; replaced as a whole when either runs out. A plain map read per connection and
     * command, instead of a bounded cache with per-entry ages. Connections keep its {@link #id}, never the window:
     * one held for minutes would keep every decision of that second reachable.
     */
    static final class Reusable {
        private static final AtomicLong IDS = new AtomicLong();

        final long id = IDS.incrementAndGet();
        final long changes;
        final long sinceNanos;
        final ConcurrentHashMap<InetAddress, Reused> decisions = new ConcurrentHashMap<>();

        Reusable(long changes, long sinceNanos) {
            this.changes = changes;
            this.sinceNanos = sinceNanos;
        }

        boolean validFor(long changesNow, long nowNanos) {
            return changes == changesNow && nowNanos - sinceNanos < REUSE_NANOS;
        }
    }

    /** A decision in a window, and whether a connection read it: only decisions in use are renewed. */
    static final class Reused {
        final ClassDecision decision;
        volatile boolean used;

        Reused(ClassDecision decision, boolean used) {
            this.decision = decision;
            this.used = used;
        }
    }

    private final SenderReputation reputation;
    private final Scheduler scheduler;
    /** {@link System#nanoTime}, or a test's clock. */
    private final LongSupplier nanoClock;
    private volatile Reusable reusable;
    private final Scoring scoring;
    /**
     * The standing this server last counted each address under in its network, so that an address counts once
     * however often it is judged. Kept a half-life: a standing counted again after that decays to about the same.
     */
    private final Cache<ReputationKey, Standing> standings;
    private final AtomicBoolean renewing = new AtomicBoolean();

    @Inject
    public SenderClassifier(SenderReputation reputation, Scoring scoring, Scheduler scheduler) {
        this(reputation, scoring, scheduler, System::nanoTime);
    }

    SenderClassifier(SenderReputation reputation, Scoring scoring, Scheduler scheduler, LongSupplier nanoClock) {
        this.reputation = reputation;
        this.scoring = scoring;
        this.standings = Caffeine.newBuilder().maximumSize(MAX_STANDINGS).expireAfterWrite(reputation.halfLife()).build();
        this.scheduler = scheduler;
        this.nanoClock = nanoClock;
        this.reusable = new Reusable(Long.MIN_VALUE, nanoClock.getAsLong());
    }

    public ReputationClassifier classifier() {
        return scoring.classifier();
    }

    /**
     * Starts {@link #renewAhead} on the reputation store's thread, once however many SMTP servers configure a
     * shaper. Without a shaper nothing on the SMTP path reads the windows, and nothing renews them.
     */
    public void startRenewing() {
        if (renewing.compareAndSet(false, true)) {
            scheduler.onEachTick("decide regular senders' classes ahead", this::renewAhead);
        }
    }

    /**
     * Opens the next window when the current one is {@link #RENEW_AT_NANOS} old or has ended (the store's
     * {@link SenderReputation#changes()} moved), filled with fresh decisions for the addresses that connections
     * used in the current one. Runs off the SMTP path, on the store thread; a window that ends early is renewed
     * at the next check, and until then the SMTP path decides and fills one itself, as it always may.
     *
     * <p>Racing the SMTP path is harmless: the changes are read before deciding, so a window built while they
     * moved is already over when installed; one that replaces a window the SMTP path just opened loses that
     * window's reuse, never a decision.</p>
     */
    void renewAhead() {
        Reusable current = reusable;
        long changes = reputation.changes();
        long now = nanoClock.getAsLong();
        if (current.validFor(changes, now + REUSE_NANOS - RENEW_AT_NANOS)) {
            return;
        }
        Reusable next = new Reusable(changes, now);
        for (Map.Entry<InetAddress, Reused> entry : current.decisions.entrySet()) {
            if (next.decisions.size() >= MAX_RENEWED) {
                break;
            }
            if (entry.getValue().used) {
                next.decisions.put(entry.getKey(), new Reused(classify(reputation.sender(entry.getKey())), false));
            }
        }
        reusable = next;
    }

    private static String entry(StatusMatch match) {
        // The reason is an operator's free text and goes into log lines: escaped.
        return " by the operator entry for " + match.key() + ": " + LogText.escape(match.status().reason());
    }

    /** The window decisions are reused in now. */
    Reusable window() {
        return reusable;
    }

    /** The id of the window decisions are reused in now: a caller that keeps it can ask {@link #stillCurrent} later. */
    public long windowId() {
        return reusable.id;
    }

    /**
     * Whether a decision taken while the window {@code windowId} was current still stands as it would be reused: that
     * window is still the current one and still open. A connection asks this before deciding again at HELO/EHLO and
     * MAIL FROM, and skips the lookup of its address while nothing has changed. Ids start at 1: 0 is no window.
     */
    public boolean stillCurrent(long windowId) {
        Reusable current = reusable;
        return current.id == windowId && current.validFor(reputation.changes(), nanoClock.getAsLong());
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
        Reused known = current.decisions.get(address);
        if (known != null) {
            if (!known.used) {
                known.used = true;
            }
            return known.decision;
        }
        ClassDecision decision = classify(reputation.sender(address));
        if (current.decisions.size() < MAX_REUSED) {
            current.decisions.put(address, new Reused(decision, true));
        }
        return decision;
    }

    public ClassDecision classify(SenderView view) {
        Optional<StatusMatch> status = view.status();
        if (status.isPresent()) {
            ManualStatus manual = status.get().status();
            StatusMatch match = status.get();
            switch (manual.value()) {
                case ALLOW:
                    return new ClassDecision(0, () -> List.of("allowed" + entry(match)), true);
                case BLOCK:
                    return ClassDecision.blockedByOperator(manual.reason(), () -> List.of("blocked" + entry(match)));
                default:
                    return new ClassDecision(manual.pinnedClass().orElse(3), () -> List.of("pinned" + entry(match)), false);
            }
        }
        ReputationClassifier.Judgement judgement = scoring.classifier().judge(view.address(), view.subnet(), view.wide());
        Standing before = countStanding(view.address().key(), judgement.standing());
        // The subnet as its counts are once this address is counted under its standing now: its own standing, for
        // the wide network. Judged here, at its addresses' judgements: a bot that leaves its /24 has counted it. Not
        // from a record not read yet, whose empty counts would take back a standing counted before.
        if (view.subnet().isLoaded()) {
            double bad = view.subnet().decayed(Signal.BAD_ADDRESS) + change(before, judgement.standing(), Standing.BAD);
            double good = view.subnet().decayed(Signal.GOOD_ADDRESS) + change(before, judgement.standing(), Standing.GOOD);
            countStanding(view.subnet().key(), ReputationClassifier.networkStanding(bad, good));
        }
        boolean loaded = view.address().isLoaded();
        // The figures only, not the judgement: it holds both snapshots, and decisions outlive them in connections.
        ReputationClassifier.Figures figures = judgement.figures();
        return new ClassDecision(judgement.level(), () -> {
            List<String> reasons = new ArrayList<>(figures.reasons());
            if (!loaded) {
                reasons.add("record not read from MongoDB yet");
            }
            return reasons;
        }, false);
    }

    private static int change(Standing before, Standing now, Standing counted) {
        return (now == counted ? 1 : 0) - (before == counted ? 1 : 0);
    }

    /**
     * Tells the store when a key's standing of its own (an address's, in its subnet; a subnet's, in its wide network)
     * changed since this server last counted it; returns the standing it was counted under before.
     */
    private Standing countStanding(ReputationKey address, Standing now) {
        if (now == Standing.NEUTRAL && standings.getIfPresent(address) == null) {
            return Standing.NEUTRAL;
        }
        Standing[] before = {Standing.NEUTRAL};
        standings.asMap().compute(address, (key, old) -> {
            before[0] = old == null ? Standing.NEUTRAL : old;
            return now == Standing.NEUTRAL ? null : now;
        });
        if (before[0] != now) {
            reputation.standingChanged(address, before[0], now);
        }
        return before[0];
    }
}
