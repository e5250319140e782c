package org.jamesshaping.admin;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.jamesshaping.runtime.LogText;
import org.jamesshaping.scoring.ClassDecision;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.shaping.SenderClassifier;
import org.jamesshaping.store.ManualStatus;
import org.jamesshaping.store.ReputationKey;
import org.jamesshaping.store.ReputationSnapshot;
import org.jamesshaping.store.ReputationStore;
import org.jamesshaping.store.SenderView;
import org.jamesshaping.store.StatusMatch;

/**
 * The operator-facing view of reputation, as plain maps and lists that WebAdmin and JMX both render to the same
 * JSON. All calls read MongoDB and may block: never call them from SMTP code.
 */
public class ReputationReports {
    public static final int MAX_LIMIT = 1000;
    /** The longest reason an operator may give: it goes on the wire in the 554 reply and into log lines. */
    public static final int MAX_REASON_LENGTH = 200;

    /** Ranking orders for {@link #top}. */
    public enum Sort {
        SCORE, LAST_SEEN;

        public static Sort parse(String text) {
            if (text == null || text.isBlank() || text.equalsIgnoreCase("score")) {
                return SCORE;
            }
            if (text.equalsIgnoreCase("lastSeen") || text.equalsIgnoreCase("last")) {
                return LAST_SEEN;
            }
            throw new IllegalArgumentException("sort must be 'score' or 'lastSeen', got '" + text + "'");
        }
    }

    private final ReputationStore reputation;
    private final SenderClassifier classifier;
    private final AdminSettings settings;

    @Inject
    public ReputationReports(ReputationStore reputation, SenderClassifier classifier, AdminSettings settings) {
        this.reputation = reputation;
        this.classifier = classifier;
        this.settings = settings;
    }

    /** Whether anything is known about a key: a record, its subnet's, or a status applying to it. */
    public static boolean isKnown(Map<String, Object> report) {
        return Boolean.TRUE.equals(report.get("known"));
    }

    public Map<String, Object> lookup(String ipOrCidr) {
        ReputationKey key = ReputationKey.parse(ipOrCidr);
        ReputationSnapshot own = reputation.lookup(key);
        Optional<ReputationSnapshot> subnet = key.isSingleAddress()
            ? Optional.of(reputation.lookup(ReputationKey.subnetOf(ReputationKey.parseAddress(key.id()))))
            : Optional.empty();
        Optional<ReputationSnapshot> wide = key.isSingleAddress()
            ? Optional.of(reputation.lookup(ReputationKey.wideOf(ReputationKey.parseAddress(key.id()))))
            : Optional.empty();
        Optional<StatusMatch> status = reputation.effectiveStatus(key);

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("key", key.id());
        report.put("kind", key.kind());
        report.put("known", own.isKnown() || subnet.map(ReputationSnapshot::isKnown).orElse(false) || status.isPresent());
        if (subnet.isPresent()) {
            SenderView view = new SenderView(own, subnet.get(), wide.get(), status);
            ClassDecision decision = classifier.classify(view);
            report.put("class", decision.level());
            report.put("classReasons", decision.reasons());
            report.put("classContributions", classifier.classifier().judge(own, subnet.get(), wide.get()).contributions());
        } else {
            report.put("class", status.flatMap(match -> match.status().pinnedClass()).orElse(null));
        }
        report.put("effectiveStatus", status.map(match -> match.status().value().asString()).orElse("none"));
        report.put("why", why(key, status));
        report.put("status", status.map(ReputationReports::status).orElse(null));
        report.put("record", record(own));
        subnet.ifPresent(snapshot -> report.put("subnet", record(snapshot)));
        wide.ifPresent(snapshot -> report.put("wideNetwork", record(snapshot)));
        return report;
    }

    private static String why(ReputationKey key, Optional<StatusMatch> status) {
        if (status.isEmpty()) {
            return "no manual status applies; judged on behaviour";
        }
        StatusMatch match = status.get();
        String verb;
        switch (match.status().value()) {
            case BLOCK: verb = "blocked"; break;
            case ALLOW: verb = "allowed"; break;
            default: verb = "pinned to class " + match.status().pinnedClass().orElse(-1); break;
        }
        String where = match.key().equals(key) ? "" : " by the entry for " + match.key().id();
        return verb + where + " (" + match.status().reason() + ", set by " + match.status().setBy()
            + match.status().expiresAt().map(at -> ", until " + at).orElse(", no expiry") + ")";
    }

    public List<Map<String, Object>> top(int limit, Sort sort) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
        Comparator<ReputationSnapshot> order = sort == Sort.SCORE
            ? Comparator.comparingDouble(this::badness).reversed()
            : Comparator.comparing((ReputationSnapshot snapshot) -> snapshot.tally().lastSeen(),
                Comparator.nullsLast(Comparator.reverseOrder()));
        return reputation.top(limit, order).stream()
            .map(this::record)
            .collect(Collectors.toList());
    }

    /**
     * Sets an allow or block entry. Every argument is checked before anything is stored; a network wider than
     * {@code admin.status.min.prefix.ipv4/ipv6} needs {@code force}.
     */
    public Map<String, Object> setStatus(String ipOrCidr, String status, String reason, String ttl, String setBy, boolean force) {
        ReputationKey key = ReputationKey.parse(ipOrCidr);
        ManualStatus.Value value = ManualStatus.Value.parse(status);
        if (value == ManualStatus.Value.PIN) {
            throw new IllegalArgumentException("to pin a class, give the class (0 to 9)");
        }
        Optional<Duration> duration = Ttl.parse(ttl);
        checkReason(reason);
        checkWidth(key, force);
        ManualStatus stored = reputation.setStatus(key, value, reason, duration, setBy);
        return status(new StatusMatch(key, stored));
    }

    public Map<String, Object> setStatus(String ipOrCidr, String status, String reason, String ttl, String setBy) {
        return setStatus(ipOrCidr, status, reason, ttl, setBy, false);
    }

    /** Pins an address or network to a shaping class, 0 (trusted) to 9 (blocked); checked as {@link #setStatus}. */
    public Map<String, Object> pin(String ipOrCidr, int shapingClass, String reason, String ttl, String setBy, boolean force) {
        ReputationKey key = ReputationKey.parse(ipOrCidr);
        if (shapingClass < 0 || shapingClass > 9) {
            throw new IllegalArgumentException("class must be 0 to 9, got " + shapingClass);
        }
        Optional<Duration> duration = Ttl.parse(ttl);
        checkReason(reason);
        checkWidth(key, force);
        ManualStatus stored = reputation.setStatus(key, ManualStatus.Value.PIN, shapingClass, reason, duration, setBy);
        return status(new StatusMatch(key, stored));
    }

    public Map<String, Object> pin(String ipOrCidr, int shapingClass, String reason, String ttl, String setBy) {
        return pin(ipOrCidr, shapingClass, reason, ttl, setBy, false);
    }

    /**
     * A reason is one line of at most {@value #MAX_REASON_LENGTH} characters without control characters: it is
     * sent to blocked clients and written in log lines, where a CR LF or an ANSI escape would forge a line. A tab
     * is accepted: it forges nothing (a space on the wire, {@code \t} in the log).
     */
    static void checkReason(String reason) {
        if (reason == null) {
            return;
        }
        if (reason.length() > MAX_REASON_LENGTH) {
            throw new IllegalArgumentException("reason has " + reason.length() + " characters; at most "
                + MAX_REASON_LENGTH + " are accepted");
        }
        for (int i = 0; i < reason.length(); i++) {
            char c = reason.charAt(i);
            if (LogText.isControl(c) && c != '\t') {
                throw new IllegalArgumentException(String.format("reason must be one line of text without control "
                    + "characters; found U+%04X at position %d", (int) c, i));
            }
        }
    }

    /** A status on a very wide network (0.0.0.0/0 covers relay networks and authenticated users too) must be forced. */
    void checkWidth(ReputationKey key, boolean force) {
        int min = key.isIpv4() ? settings.minPrefixIpv4() : settings.minPrefixIpv6();
        if (!force && key.prefixLength() < min) {
            String everything = key.prefixLength() == 0
                ? " covers every " + (key.isIpv4() ? "IPv4" : "IPv6") + " address (relay networks and authenticated users included);"
                : " is wider than /" + min + ";";
            throw new IllegalArgumentException(key.id() + everything + " networks wider than /" + min
                + " need force (?force=true in WebAdmin, --force in the CLI); the limit is admin.status.min.prefix."
                + (key.isIpv4() ? "ipv4" : "ipv6") + " in shaping.properties");
        }
    }

    /** An operator's verdict on a sender: counts as a reported spam or ham for the address and its subnet. */
    public void report(String ip, String verdict) {
        ReputationKey key = ReputationKey.parse(ip);
        if (!key.isSingleAddress()) {
            throw new IllegalArgumentException("reports are about one sending address, not a network: " + ip);
        }
        Signal signal;
        if ("spam".equalsIgnoreCase(verdict == null ? "" : verdict.trim())) {
            signal = Signal.REPORTED_SPAM;
        } else if ("ham".equalsIgnoreCase(verdict == null ? "" : verdict.trim())) {
            signal = Signal.REPORTED_HAM;
        } else {
            throw new IllegalArgumentException("verdict must be 'spam' or 'ham', got '" + verdict + "'");
        }
        reputation.record(ReputationKey.parseAddress(key.id()), signal);
    }

    /**
     * The operator entries in force, of one kind or all ({@code status} null), ordered by address (IPv4 first, then
     * by network, wider first) so that pages ({@code offset}, {@code limit}) stay put while entries come and go.
     */
    public List<Map<String, Object>> statuses(String status, int limit, int offset) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be 0 or more, got " + offset);
        }
        Optional<ManualStatus.Value> wanted = status == null || status.isBlank() ? Optional.empty() : Optional.of(parseKind(status));
        return reputation.activeStatuses().stream()
            .filter(match -> wanted.map(value -> match.status().value() == value).orElse(true))
            .sorted(BY_ADDRESS)
            .skip(offset)
            .limit(limit)
            .map(ReputationReports::status)
            .collect(Collectors.toList());
    }

    private static ManualStatus.Value parseKind(String status) {
        try {
            return ManualStatus.Value.parse(status);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("status must be 'block', 'allow' or 'pin', got '" + status + "'");
        }
    }

    private static final Comparator<StatusMatch> BY_ADDRESS = (left, right) -> {
        byte[] a = ReputationKey.parseAddress(left.key().id().split("/")[0]).getAddress();
        byte[] b = ReputationKey.parseAddress(right.key().id().split("/")[0]).getAddress();
        if (a.length != b.length) {
            return Integer.compare(a.length, b.length);
        }
        int byBytes = Arrays.compareUnsigned(a, b);
        return byBytes != 0 ? byBytes : Integer.compare(left.key().prefixLength(), right.key().prefixLength());
    };

    /** Every entry in force as a {@link StatusFile}. */
    public String exportStatuses() {
        return StatusFile.format(reputation.activeStatuses().stream().sorted(BY_ADDRESS).collect(Collectors.toList()), Instant.now());
    }

    /**
     * Sets every entry of a {@link StatusFile}, after checking it whole: one bad line and nothing is stored.
     * An entry already set on a key is replaced.
     */
    public Map<String, Object> importStatuses(String file, boolean force, String setBy) {
        List<StatusFile.Line> lines = StatusFile.parse(file == null ? "" : file, this, force);
        Map<String, Integer> counts = new LinkedHashMap<>();
        Map<ReputationKey, ManualStatus> statuses = new LinkedHashMap<>();
        Instant now = Instant.now();
        for (StatusFile.Line line : lines) {
            statuses.put(ReputationKey.parse(line.key),
                new ManualStatus(line.value, line.pinnedClass, line.reason, now, Ttl.parse(line.ttl).map(now::plus), setBy));
            counts.merge(line.value.asString(), 1, Integer::sum);
        }
        // One bulk write: an import of thousands of entries is one MongoDB round trip and one rebuild of the table.
        reputation.setStatuses(statuses, setBy);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("imported", lines.size());
        result.put("byStatus", counts);
        return result;
    }

    /** {@link #top} as a text table. */
    public String topTable(int limit, Sort sort) {
        List<Map<String, Object>> rows = top(limit, sort).stream().map(record -> {
            Map<String, Object> row = new LinkedHashMap<>(record);
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> counters = (Map<String, Map<String, Object>>) record.get("counters");
            row.put("counters", counters.entrySet().stream()
                .map(counter -> counter.getKey() + "=" + counter.getValue().get("total"))
                .collect(Collectors.joining(" ")));
            return row;
        }).collect(Collectors.toList());
        return TextTable.render(List.of("KEY", "SCORE", "LAST SEEN", "COUNTERS (TOTAL)"),
            List.of("key", "score", "lastSeen", "counters"), rows);
    }

    /** {@link #statuses} as a text table. */
    public String statusesTable(String status, int limit, int offset) {
        return TextTable.render(List.of("KEY", "STATUS", "CLASS", "EXPIRES", "SET BY", "REASON"),
            List.of("key", "value", "class", "expiresAt", "setBy", "reason"), statuses(status, limit, offset));
    }

    public boolean forget(String ipOrCidr) {
        return reputation.forget(ReputationKey.parse(ipOrCidr));
    }

    private static Map<String, Object> status(StatusMatch match) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("key", match.key().id());
        result.put("value", match.status().value().asString());
        match.status().pinnedClass().ifPresent(level -> result.put("class", level));
        result.put("reason", match.status().reason());
        result.put("setBy", match.status().setBy());
        result.put("setAt", match.status().setAt().toString());
        result.put("expiresAt", match.status().expiresAt().map(Instant::toString).orElse(null));
        return result;
    }

    /**
     * The same badness the classes are cut from, for the key's own signals (a network is judged as a whole), so
     * that "score" in every report means one thing.
     */
    private double badness(ReputationSnapshot snapshot) {
        return classifier.classifier().judge(snapshot, snapshot).badness();
    }

    private Map<String, Object> record(ReputationSnapshot snapshot) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("key", snapshot.key().id());
        result.put("kind", snapshot.key().kind());
        result.put("known", snapshot.isKnown());
        result.put("score", round(badness(snapshot)));
        result.put("firstSeen", Optional.ofNullable(snapshot.tally().firstSeen()).map(Instant::toString).orElse(null));
        result.put("lastSeen", Optional.ofNullable(snapshot.tally().lastSeen()).map(Instant::toString).orElse(null));
        Map<String, Object> counters = new LinkedHashMap<>();
        for (Signal signal : Signal.values()) {
            long total = snapshot.total(signal);
            if (total != 0) {
                Map<String, Object> counter = new LinkedHashMap<>();
                counter.put("total", total);
                counter.put("decayed", round(snapshot.decayed(signal)));
                counters.put(signal.field(), counter);
            }
        }
        result.put("counters", counters);
        return result;
    }

    static double round(double value) {
        return Math.round(value * 1000.0) / 1000.0;
    }
}
