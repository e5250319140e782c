package org.jamesshaping.bench.filter;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jamesshaping.filter.predictive.TimeSplit;

/**
 * What the autolearn run sends: the time split's training part as one date-ordered stream of every kind of sender
 * (trap spam, users' spam, fast-lane and authenticated ham, the two attacks), and its test part, each message with
 * its client address, envelope sender, recipients and credentials. Client addresses are listed in {@link AutoLearnRun}.
 */
final class AutoLearnStream {
    static final String TRAP = "trap@james.local";
    static final String USER = "user1@james.local";
    static final String PASSWORD = "bench-password";
    static final int AUTH_USERS = 10;
    static final int POISON_MESSAGES = 60;
    private static final Pattern ADDRESS = Pattern.compile("([A-Za-z0-9._%+=-]{1,64}@[A-Za-z0-9-]{1,63}(\\.[A-Za-z0-9-]{1,63})*\\.[A-Za-z]{2,})");

    /** What a message of the stream is, and so how it is sent and what autolearn may do with it. */
    enum Kind {
        TRAP_SPAM("spam to the spamtrap", true),
        TRAP_AND_USER_SPAM("spam to the spamtrap and a user", true),
        USER_SPAM("spam to a user only", true),
        FAST_LANE_HAM("ham from fast-lane senders (class 1)", false),
        AUTHENTICATED_HAM("ham from authenticated users (submission, AUTH)", false),
        TRAP_POISON("attack: ham to the spamtrap, one /24, many senders", false),
        COMPROMISED_ACCOUNT("attack: spam submitted by one authenticated account", true);

        final String description;
        final boolean spam;

        Kind(String description, boolean spam) {
            this.description = description;
            this.spam = spam;
        }
    }

    /** One message to send: what it is, from where, by whom, to whom. */
    static final class Event {
        final Kind kind;
        final int corpusIndex;
        final Instant date;
        final String source;
        final String sender;
        final List<String> recipients;
        final String[] auth;
        CorpusSmtp.Outcome outcome;

        Event(Kind kind, int corpusIndex, Instant date, String source, String sender, List<String> recipients, String[] auth) {
            this.kind = kind;
            this.corpusIndex = corpusIndex;
            this.date = date;
            this.source = source;
            this.sender = sender;
            this.recipients = recipients;
            this.auth = auth;
        }
    }

    private final FilterBenchmark.Prepared prepared;
    private final boolean[] test;

    AutoLearnStream(FilterBenchmark.Prepared prepared) {
        this.prepared = prepared;
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < prepared.corpus.size(); i++) {
            indices.add(i);
        }
        // The same split as FilterBenchmark's time split: each set's earliest 70% by date trained on.
        this.test = TimeSplit.latest(indices, prepared.dates::get, i -> prepared.corpus.get(i).set(), TimeSplit.DEFAULT_TRAIN_FRACTION);
    }

    /** Whether a corpus message is in the test part (the time split's latest 30% of its set). */
    boolean inTestPart(int index) {
        return test[index];
    }

    private List<Integer> byDate(boolean spam, boolean testPart) {
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < prepared.corpus.size(); i++) {
            if (prepared.corpus.get(i).spam() == spam && test[i] == testPart) {
                indices.add(i);
            }
        }
        indices.sort(Comparator.comparing((Integer i) -> prepared.dates.get(i) == null ? Instant.MIN : prepared.dates.get(i))
            .thenComparing(i -> i));
        return indices;
    }

    /** The training part as a date-ordered stream of events of every kind. */
    List<Event> training() {
        List<Event> events = new ArrayList<>();
        List<Integer> spam = byDate(true, false);
        int[] counters = new int[Kind.values().length];
        for (int k = 0; k < spam.size(); k++) {
            int index = spam.get(k);
            Kind kind = k % 12 == 5 ? Kind.COMPROMISED_ACCOUNT : k % 10 == 3 ? Kind.USER_SPAM : k % 10 == 7 ? Kind.TRAP_AND_USER_SPAM : Kind.TRAP_SPAM;
            int n = counters[kind.ordinal()]++;
            String sender = envelopeSender(index, "spammer" + k + "@bulk.example");
            switch (kind) {
                case COMPROMISED_ACCOUNT:
                    events.add(new Event(kind, index, date(index), "127.215.76.10", "mallory@james.local", List.of(USER),
                        new String[] {"mallory@james.local", PASSWORD}));
                    break;
                case USER_SPAM:
                    events.add(new Event(kind, index, date(index), "127.215." + (50 + n % 10) + "." + (n / 10 + 1), sender, List.of(USER), null));
                    break;
                case TRAP_AND_USER_SPAM:
                    events.add(new Event(kind, index, date(index), "127.215." + (40 + n % 10) + "." + (n / 10 + 1), sender, List.of(TRAP, USER), null));
                    break;
                default:
                    events.add(new Event(kind, index, date(index), "127.215." + (n % 40) + "." + (n / 40 + 1), sender, List.of(TRAP), null));
            }
        }
        List<Integer> ham = byDate(false, false);
        int poisonEvery = Math.max(1, ham.size() / POISON_MESSAGES);
        int poisoned = 0;
        for (int k = 0; k < ham.size(); k++) {
            int index = ham.get(k);
            String sender = envelopeSender(index, "someone" + k + "@list.example.org");
            if (k % 20 == 0) {
                int user = counters[Kind.AUTHENTICATED_HAM.ordinal()]++ % AUTH_USERS;
                String account = String.format(Locale.ROOT, "user%02d@james.local", user + 2);
                events.add(new Event(Kind.AUTHENTICATED_HAM, index, date(index), "127.215." + (64 + user) + ".10", account, List.of(USER),
                    new String[] {account, PASSWORD}));
            } else {
                String domain = sender.substring(sender.indexOf('@') + 1);
                // One MTA per sending domain, as organisations and lists have: the per-/24 bound applies to each.
                String source = "127.215." + (128 + Math.floorMod(domain.hashCode(), 64)) + "." + (1 + Math.floorMod(sender.hashCode(), 250));
                events.add(new Event(Kind.FAST_LANE_HAM, index, date(index), source, sender, List.of(USER), null));
            }
            if (k % poisonEvery == poisonEvery / 2 && poisoned < POISON_MESSAGES) {
                // The same message as the ham above, sent to the trap: a spammer trying to make the model flag ham.
                events.add(new Event(Kind.TRAP_POISON, index, date(index), "127.215.63." + (poisoned + 1),
                    "promo" + poisoned + "@offers" + (poisoned % 7) + ".example", List.of(TRAP), null));
                poisoned++;
            }
        }
        events.sort(Comparator.comparing((Event event) -> event.date == null ? Instant.MIN : event.date));
        return events;
    }

    /** The test part, date-ordered, each message from an address of its own (pinned to class 3). */
    List<Event> test() {
        List<Integer> indices = new ArrayList<>(byDate(true, true));
        indices.addAll(byDate(false, true));
        indices.sort(Comparator.comparing((Integer i) -> prepared.dates.get(i) == null ? Instant.MIN : prepared.dates.get(i)).thenComparing(i -> i));
        List<Event> events = new ArrayList<>();
        for (int n = 0; n < indices.size(); n++) {
            int index = indices.get(n);
            events.add(new Event(prepared.corpus.get(index).spam() ? Kind.USER_SPAM : Kind.FAST_LANE_HAM, index, date(index),
                "127.215." + (192 + n / 250) + "." + (1 + n % 250), envelopeSender(index, "test" + n + "@example.org"), List.of(USER), null));
        }
        return events;
    }

    static List<Event> everyNth(List<Event> events, int every) {
        List<Event> kept = new ArrayList<>();
        for (int i = 0; i < events.size(); i += Math.max(1, every)) {
            kept.add(events.get(i));
        }
        return kept;
    }

    private Instant date(int index) {
        return prepared.dates.get(index);
    }

    /** The message's own From address as the envelope sender, as the sending MTA would use; a fallback without one. */
    private String envelopeSender(int index, String fallback) {
        String head = new String(prepared.raws.get(index), StandardCharsets.ISO_8859_1);
        int end = head.indexOf("\n\n");
        head = end > 0 ? head.substring(0, end) : head;
        Matcher from = Pattern.compile("(?mi)^From:(.*(?:\\n[ \\t].*)*)").matcher(head);
        if (from.find()) {
            Matcher address = ADDRESS.matcher(from.group(1));
            if (address.find()) {
                return address.group(1).toLowerCase(Locale.ROOT);
            }
        }
        return fallback;
    }
}
