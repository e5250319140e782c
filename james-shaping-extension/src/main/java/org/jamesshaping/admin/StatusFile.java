package org.jamesshaping.admin;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.jamesshaping.store.ManualStatus;
import org.jamesshaping.store.ReputationKey;
import org.jamesshaping.store.StatusMatch;

/**
 * Operator statuses as a text file, one entry a line, for bulk import and export:
 * <pre>
 * # address or CIDR, status (block, allow, or a class 0-9 to pin), ttl (empty: no expiry), reason (the rest of the line)
 * 203.0.113.0/24,block,12h,botnet
 * 198.51.100.25,allow,,partner MTA, since 2024
 * 192.0.2.7,7,2d,snowshoe
 * </pre>
 * Blank lines and lines starting with {@code #} are skipped. The reason is everything after the third comma, so it
 * may contain commas. An import is checked whole before anything is stored ({@link #parse}).
 */
public final class StatusFile {
    public static final String HEADER = "# address or CIDR, status (block, allow, or a class 0-9 to pin), ttl (empty: no expiry), reason";
    /** Entries one import may carry: each is a MongoDB write and a change of every server's in-memory table. */
    public static final int MAX_ENTRIES = 10_000;
    /** Errors reported for a refused file, the first ones; the count says how many there were. */
    private static final int MAX_ERRORS_SHOWN = 20;

    /** One line of a file: what to set. */
    public static final class Line {
        final int number;
        final String key;
        final ManualStatus.Value value;
        final int pinnedClass;
        final String ttl;
        final String reason;

        Line(int number, String key, ManualStatus.Value value, int pinnedClass, String ttl, String reason) {
            this.number = number;
            this.key = key;
            this.value = value;
            this.pinnedClass = pinnedClass;
            this.ttl = ttl;
            this.reason = reason;
        }
    }

    private StatusFile() {
    }

    /**
     * Every line of the file, each checked as a single entry would be (address, status, ttl, reason, width), and
     * no key twice.
     *
     * @throws IllegalArgumentException naming the lines at fault (the first {@value #MAX_ERRORS_SHOWN}) when any is
     */
    static List<Line> parse(String text, ReputationReports reports, boolean force) {
        List<Line> lines = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        Set<ReputationKey> seen = new HashSet<>();
        int errorCount = 0;
        String[] rows = text.split("\r?\n", -1);
        for (int index = 0; index < rows.length; index++) {
            String row = rows[index].strip();
            if (row.isEmpty() || row.startsWith("#")) {
                continue;
            }
            int number = index + 1;
            try {
                Line line = parseLine(number, row, reports, force);
                if (!seen.add(ReputationKey.parse(line.key))) {
                    throw new IllegalArgumentException(ReputationKey.parse(line.key).id() + " is on an earlier line too");
                }
                lines.add(line);
            } catch (IllegalArgumentException e) {
                errorCount++;
                if (errors.size() < MAX_ERRORS_SHOWN) {
                    errors.add("line " + number + ": " + e.getMessage());
                }
            }
        }
        if (errorCount > 0) {
            throw new IllegalArgumentException(errorCount + (errorCount == 1 ? " line is" : " lines are")
                + " wrong, nothing was imported: " + String.join("; ", errors) + (errorCount > errors.size() ? "; ..." : ""));
        }
        if (lines.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException("the file has " + lines.size() + " entries; at most " + MAX_ENTRIES
                + " are imported at once, nothing was imported");
        }
        return lines;
    }

    private static Line parseLine(int number, String row, ReputationReports reports, boolean force) {
        String[] fields = row.split(",", 4);
        if (fields.length < 2) {
            throw new IllegalArgumentException("expected 'address or CIDR,status[,ttl[,reason]]', got '"
                + printable(row) + "'");
        }
        String key = fields[0].strip();
        String status = fields[1].strip().toLowerCase(Locale.ROOT);
        String ttl = fields.length > 2 ? fields[2].strip() : "";
        String reason = fields.length > 3 ? fields[3].strip() : null;
        ReputationKey parsed = ReputationKey.parse(key);
        ManualStatus.Value value;
        int pinnedClass = -1;
        if (status.length() == 1 && Character.isDigit(status.charAt(0))) {
            value = ManualStatus.Value.PIN;
            pinnedClass = status.charAt(0) - '0';
        } else {
            value = ManualStatus.Value.parse(status);
            if (value == ManualStatus.Value.PIN) {
                throw new IllegalArgumentException("to pin, give the class (0 to 9) as the status");
            }
        }
        Ttl.parse(ttl);
        ReputationReports.checkReason(reason);
        reports.checkWidth(parsed, force);
        return new Line(number, parsed.id(), value, pinnedClass, ttl, reason == null || reason.isEmpty() ? null : reason);
    }

    /** The entries in force as a file {@link #parse} reads back; ttls are what remains of them at {@code now}. */
    static String format(Collection<StatusMatch> entries, Instant now) {
        StringBuilder file = new StringBuilder(HEADER).append('\n');
        for (StatusMatch match : entries) {
            ManualStatus status = match.status();
            Optional<Duration> left = status.expiresAt().map(at -> Duration.between(now, at));
            if (left.isPresent() && (left.get().isNegative() || left.get().isZero())) {
                continue;
            }
            file.append(match.key().id()).append(',')
                .append(status.pinnedClass().map(String::valueOf).orElse(status.value().asString())).append(',')
                .append(left.map(duration -> (duration.getSeconds() + (duration.getNano() > 0 ? 1 : 0)) + "s").orElse(""))
                .append(',')
                .append(printable(status.reason()))
                .append('\n');
        }
        return file.toString();
    }

    /** One line of text: a reason stored by other means may hold a line break, which would split the entry. */
    private static String printable(String text) {
        StringBuilder builder = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            builder.append(Character.isISOControl(c) ? ' ' : c);
        }
        return builder.toString();
    }
}
