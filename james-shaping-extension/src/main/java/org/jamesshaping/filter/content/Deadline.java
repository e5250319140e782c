package org.jamesshaping.filter.content;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A filter's time budget for one message, checked cooperatively inside the extraction and fingerprinting loops:
 * past it, {@link #check()} throws {@link Exceeded} and the filter gives up on the message (the mail goes on).
 * Checks are cheap (one clock read), and the loops call them every few thousand characters or shingles.
 */
public final class Deadline {
    /** No budget: {@link #check()} never throws. */
    public static final Deadline NONE = new Deadline(() -> 0L, Long.MAX_VALUE);

    /** Thrown when the budget is spent; unchecked so that it crosses the loops without changing their signatures. */
    public static final class Exceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Exceeded(long budgetNanos) {
            super("time budget of " + Duration.ofNanos(budgetNanos).toMillis() + " ms spent", null, false, false);
        }
    }

    private final LongSupplier nanoClock;
    private final long budgetNanos;
    private final long start;

    private Deadline(LongSupplier nanoClock, long budgetNanos) {
        this.nanoClock = nanoClock;
        this.budgetNanos = budgetNanos;
        this.start = nanoClock.getAsLong();
    }

    /** A budget starting now on {@code nanoClock} ({@code System::nanoTime} outside tests). */
    public static Deadline after(Duration budget, LongSupplier nanoClock) {
        long nanos;
        try {
            nanos = budget.toNanos();
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE;
        }
        return new Deadline(nanoClock, nanos);
    }

    /** @throws Exceeded once the budget is spent */
    public void check() {
        if (budgetNanos != Long.MAX_VALUE && nanoClock.getAsLong() - start > budgetNanos) {
            throw new Exceeded(budgetNanos);
        }
    }
}
