package org.jamesshaping.admin.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A progress line on stderr, at most every 2 seconds: done/total, rate and time left; or a running count
 * when the total is unknown. stdout keeps only the result.
 */
final class ProgressLine {
    private static final long EVERY_NANOS = 2_000_000_000L;
    private final PrintWriter err;
    private final String what;
    private final String unit;
    private final long started = System.nanoTime();
    private long lastPrinted = started;

    ProgressLine(PrintWriter err, String what, String unit) {
        this.err = err;
        this.what = what;
        this.unit = unit;
    }

    void at(long done, long total) {
        long now = System.nanoTime();
        if (now - lastPrinted < EVERY_NANOS || total <= 0) {
            return;
        }
        lastPrinted = now;
        double seconds = (now - started) / 1e9;
        double rate = done / Math.max(seconds, 1e-9);
        double left = rate > 0 ? (total - done) / rate : Double.NaN;
        err.printf(Locale.ROOT, "%s: %,d of %,d %s (%.0f%%), %,.0f/s, about %.0f s left%n", what, done, total, unit,
            100.0 * done / total, rate, left);
        err.flush();
    }

    void count(long done) {
        long now = System.nanoTime();
        if (now - lastPrinted < EVERY_NANOS) {
            return;
        }
        lastPrinted = now;
        err.printf(Locale.ROOT, "%s: %,d %s, %,.0f/s%n", what, done, unit, done / ((now - started) / 1e9));
        err.flush();
    }

    void done(String summary) {
        err.printf(Locale.ROOT, "%s: %s in %.1f s%n", what, summary, (System.nanoTime() - started) / 1e9);
        err.flush();
    }
}
