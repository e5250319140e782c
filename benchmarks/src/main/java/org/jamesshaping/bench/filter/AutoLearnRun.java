package org.jamesshaping.bench.filter;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jamesshaping.admin.cli.FilterTool;
import org.jamesshaping.bench.shaping.BenchConf;
import org.jamesshaping.bench.shaping.BenchSupport;
import org.jamesshaping.bench.shaping.JamesChild;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.predictive.FeatureExtractor;
import org.jamesshaping.filter.predictive.ModelTrainer;
import org.jamesshaping.filter.predictive.PredictiveModel;
import org.jamesshaping.filter.predictive.TimeSplit;
import org.jamesshaping.testsupport.CorpusCache;
import org.jamesshaping.testsupport.EmbeddedMongo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The autolearn run: a real James with the extension and the sample configuration (plus a spamtrap, the AutoLearn
 * mailets under their trusted matchers, and a repository instead of local delivery so that each mail can be read
 * back), an empty MongoDB and no model. It is fed, over real SMTP and in date order, the time split's training part
 * (spam-1, easy-ham-1, hard-ham-1 only): spam to the spamtrap, ham from fast-lane senders and authenticated users,
 * spam to users only, and two attempts to choose labels (ham sent to the trap from one /24 under many envelope
 * senders; spam submitted by one authenticated account). It then waits for the first model and for every queued
 * example to be learned, restarts James with learning off, sends the test part over SMTP and reads the verdicts
 * from the delivered mail; the delivered test mail is also scored with the command line on the learned model, and
 * a model trained by the command line's trainer on the same training part is the comparison.
 *
 * <p>Client addresses (loopback, all in 127.215.0.0/16 so that the /16 in the Received header James adds is the
 * same for every kind): spammers 127.215.0-59.x (unshaped by hand: the shaper judges them by their trap hits), the
 * trap-poisoning /24 127.215.63.0, authenticated users 127.215.64-76.x, fast-lane senders 127.215.128.0/18 (pinned
 * to class 1, the allowlisted fast lane), test senders 127.215.192.0/18 (pinned to class 3, so that the test mail's
 * verdicts do not shape the rest of the test mail: it measures the filters, not the shaper).</p>
 */
final class AutoLearnRun {
    private static final String TRAP = "trap@james.local";
    private static final String USER = "user1@james.local";
    private static final String PASSWORD = "bench-password";
    private static final int AUTH_USERS = 10;
    private static final int POISON_MESSAGES = 60;
    private static final int SENDER_THREADS = 16;
    /** Spooler threads of the James under test (the sample has 20): on 2 shared cores, 20 mails in flight at once
     * make each one take long enough in wall-clock time to run past the filters' 2-second time budget. */
    private static final int SPOOLER_THREADS = 4;
    private static final Pattern ADDRESS = Pattern.compile("([A-Za-z0-9._%+=-]{1,64}@[A-Za-z0-9-]{1,63}(\\.[A-Za-z0-9-]{1,63})*\\.[A-Za-z]{2,})");
    private static final ObjectMapper JSON = new ObjectMapper();

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
    /** Known-spam signatures the trap-poisoning ham added (the spamtrap processor fingerprints whatever reaches it). */
    private final java.util.Set<String> poisonFingerprints = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private int webAdminPort;

    private AutoLearnRun(FilterBenchmark.Prepared prepared) {
        this.prepared = prepared;
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < prepared.corpus.size(); i++) {
            indices.add(i);
        }
        // The same split as FilterBenchmark's time split: each set's earliest 70% by date trained on.
        this.test = TimeSplit.latest(indices, prepared.dates::get, i -> prepared.corpus.get(i).set(), TimeSplit.DEFAULT_TRAIN_FRACTION);
    }

    static void run(FilterBenchmark.Prepared prepared) throws Exception {
        new AutoLearnRun(prepared).run();
    }

    private void run() throws Exception {
        // The in-process MongoDB and HTTP client would log every connection.
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
            .setLevel(ch.qos.logback.classic.Level.WARN);
        System.out.println();
        System.out.println("Autolearn: a James with no model fed the time split's training part over SMTP, then scored on its test part");
        System.out.println("machine: " + BenchSupport.machine() + ", load average " + Files.readString(Path.of("/proc/loadavg")).trim());
        Path work = BenchSupport.workDir("autolearn");
        // -Dautolearn.every=N: every N-th message of each stream only, for a quick check of the run itself.
        int every = Integer.getInteger("autolearn.every", 1);
        List<Event> stream = everyNth(trainingStream(), every);
        List<Event> testStream = everyNth(testStream(), every);
        if (every > 1) {
            System.out.println("  every " + every + "th message only (-Dautolearn.every): not a recorded run");
        }
        EmbeddedMongo mongo = EmbeddedMongo.inMemory().start(0);
        try {
            long started = System.nanoTime();
            Map<Kind, Map<String, Integer>> learning;
            String modelTrainings;
            int[] sentWhenFirstModel;
            try (JamesChild james = start("train", work, mongo.uri(), "10s")) {
                webAdminPort = james.webAdminPort;
                provision();
                pin("127.215.128.0/18", 1, "benchmark: fast-lane senders");
                pin("127.215.192.0/18", 3, "benchmark: test senders, shaped alike");
                int submissionPort = submissionPort(james.log);
                AtomicInteger done = new AtomicInteger();
                AtomicLong firstModelAt = new AtomicLong(-1);
                int[][] doneByKindAtFirstModel = new int[1][];
                Thread watcher = new Thread(() -> watchForModel(done, firstModelAt, stream, doneByKindAtFirstModel), "model-watcher");
                watcher.setDaemon(true);
                watcher.start();
                long sending = System.nanoTime();
                send(stream, james.smtpPort, submissionPort, done, "training");
                double sendSeconds = (System.nanoTime() - sending) / 1e9;
                long spoolMillis = james.awaitSpoolEmpty(900);
                System.out.printf(Locale.ROOT, "  training stream sent in %.0f s (spool empty %.0f s later)%n", sendSeconds, spoolMillis / 1e3);
                awaitLearned();
                watcher.interrupt();
                sentWhenFirstModel = doneByKindAtFirstModel[0];
                modelTrainings = modelTrainingLines(james.log);
                learning = learningOutcomes(stream, work.resolve("learned"));
                printReports();
            }
            printTraining(stream, learning, modelTrainings, sentWhenFirstModel);

            // Learning off for the test part: its mail must not teach the model it is scored by.
            try (JamesChild james = start("test", work, mongo.uri(), "0")) {
                webAdminPort = james.webAdminPort;
                awaitModelLoaded();
                send(testStream, james.smtpPort, -1, new AtomicInteger(), "test");
                james.awaitSpoolEmpty(900);
                Path delivered = Files.createDirectories(work.resolve("test-delivered"));
                Map<Integer, String[]> verdicts = testVerdicts(testStream, delivered);
                Map<Integer, String[]> cliScores = classify(mongo.uri(), delivered, testStream);
                printTest(testStream, verdicts, cliScores, delivered, modelTrainings, work.resolve("learned"));
            }
            System.out.printf(Locale.ROOT, "  autolearn run: %.0f s in all%n", (System.nanoTime() - started) / 1e9);
        } finally {
            mongo.stop();
        }
    }

    // ---- the streams ----

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
    private List<Event> trainingStream() {
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
    private List<Event> testStream() {
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

    private static List<Event> everyNth(List<Event> events, int every) {
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

    // ---- James ----

    private JamesChild start(String name, Path work, String mongoUri, String learnInterval) throws Exception {
        BenchConf conf = BenchConf.copyOfSample(work.resolve("conf-" + name));
        // The spamtrap of the sample's smtpserver.xml, uncommented.
        conf.replaceRegex("smtpserver.xml", "<handler class=\"org\\.jamesshaping\\.smtp\\.SpamtrapRecorder\">\\s*<spamtrap>trap@james\\.local</spamtrap>"
                + "\\s*</handler>\\s*-->",
            "-->\n            <handler class=\"org.jamesshaping.smtp.SpamtrapRecorder\"><spamtrap>" + TRAP + "</spamtrap></handler>");
        // Autolearn as docs/filters.md places it: mail to the trap, from authenticated users, from the fast lane, known spam.
        conf.replace("mailetcontainer.xml", "<mailet match=\"from-outside\" class=\"org.jamesshaping.filter.mailet.FingerprintFilter\">",
            "<mailet match=\"RecipientIs=" + TRAP + "\" class=\"ToProcessor\"><processor>spamtrap</processor></mailet>\n"
                + "            <mailet match=\"SMTPAuthSuccessful\" class=\"org.jamesshaping.filter.mailet.AutoLearn\"><as>ham</as></mailet>\n"
                + "            <mailet match=\"from-outside\" class=\"org.jamesshaping.filter.mailet.FingerprintFilter\">");
        String quarantine = "<mailet match=\"org.jamesshaping.filter.mailet.HasShapingVerdict=known-spam,spam\" class=\"ToProcessor\">";
        conf.replace("mailetcontainer.xml", quarantine,
            "<mailet match=\"org.jamesshaping.filter.mailet.HasShapingVerdict=known-spam\" class=\"org.jamesshaping.filter.mailet.AutoLearn\"><as>spam</as></mailet>\n"
                + "            <mailet match=\"org.jamesshaping.filter.mailet.SenderShapingClass=0-1\" class=\"org.jamesshaping.filter.mailet.AutoLearn\"><as>ham</as></mailet>\n"
                + "            " + quarantine);
        conf.replace("mailetcontainer.xml", "<processor state=\"local-address-error\" enableJmx=\"true\">",
            "<processor state=\"spamtrap\" enableJmx=\"true\">\n"
                + "            <mailet match=\"All\" class=\"org.jamesshaping.filter.mailet.FingerprintFilter\"><reportAs>spamtrap</reportAs></mailet>\n"
                + "            <mailet match=\"All\" class=\"org.jamesshaping.filter.mailet.AutoLearn\"><as>spam</as></mailet>\n"
                + "            <mailet match=\"All\" class=\"ToRepository\"><repositoryPath>memory://var/mail/spamtrap/</repositoryPath></mailet>\n"
                + "        </processor>\n\n"
                + "        <processor state=\"local-address-error\" enableJmx=\"true\">");
        // Delivered mail kept where WebAdmin reads it back with its headers and attributes.
        conf.replace("mailetcontainer.xml", "<mailet match=\"All\" class=\"LocalDelivery\"/>",
            "<mailet match=\"All\" class=\"ToRepository\"><repositoryPath>memory://var/mail/delivered/</repositoryPath></mailet>");
        conf.replace("mailetcontainer.xml", "<threads>20</threads>", "<threads>" + SPOOLER_THREADS + "</threads>");
        conf.replace("mailetcontainer.xml", "<learnInterval>60s</learnInterval>", "<learnInterval>" + learnInterval + "</learnInterval>");
        Path logback = work.resolve("logback-autolearn.xml");
        Files.writeString(logback, "<configuration>\n"
            + "  <appender name=\"CONSOLE\" class=\"ch.qos.logback.core.ConsoleAppender\">\n"
            + "    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>\n"
            + "  </appender>\n"
            + "  <logger name=\"org.jamesshaping.filter\" level=\"INFO\"/>\n"
            + "  <root level=\"WARN\"><appender-ref ref=\"CONSOLE\"/></root>\n"
            + "</configuration>\n");
        return JamesChild.start(name, work, conf, "1g", mongoUri, false, logback);
    }

    private void provision() {
        List<String> users = new ArrayList<>(List.of(TRAP, "mallory@james.local"));
        for (int user = 0; user < AUTH_USERS; user++) {
            users.add(String.format(Locale.ROOT, "user%02d@james.local", user + 2));
        }
        for (String user : users) {
            String[] reply = webAdmin("PUT", "/users/" + user, "{\"password\":\"" + PASSWORD + "\"}", null);
            if (!reply[0].startsWith("2")) {
                throw new IllegalStateException("creating " + user + ": " + reply[0] + " " + reply[1]);
            }
        }
    }

    private void pin(String network, int level, String reason) {
        String[] reply = webAdmin("PUT", "/shaping/reputation/" + network + "/status", "{\"class\":" + level + ",\"reason\":\"" + reason + "\"}", null);
        if (!"204".equals(reply[0])) {
            throw new IllegalStateException("pinning " + network + ": " + reply[0] + " " + reply[1]);
        }
    }

    /** The implicit-TLS submission port, from the launcher's banner in James's log. */
    private static int submissionPort(Path log) throws IOException {
        Matcher matcher = Pattern.compile("Submission\\s+[0-9.]+:\\d+ \\(STARTTLS\\) and [0-9.]+:(\\d+) \\(TLS\\)").matcher(Files.readString(log));
        if (!matcher.find()) {
            throw new IllegalStateException("no submission port in " + log);
        }
        return Integer.parseInt(matcher.group(1));
    }

    private void send(List<Event> events, int smtpPort, int submissionPort, AtomicInteger done, String what) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(SENDER_THREADS);
        long start = System.nanoTime();
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < SENDER_THREADS; t++) {
            workers.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < events.size(); i = next.getAndIncrement()) {
                    Event event = events.get(i);
                    event.outcome = CorpusSmtp.send(event.source, event.auth != null ? submissionPort : smtpPort, event.auth, event.sender,
                        event.recipients, prepared.raws.get(event.corpusIndex));
                    int sent = done.incrementAndGet();
                    if (sent % 250 == 0) {
                        System.out.printf(Locale.ROOT, "  %s: %d/%d sent (%.0f s)%n", what, sent, events.size(), (System.nanoTime() - start) / 1e9);
                    }
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get();
        }
        pool.shutdown();
    }

    /** Notes how many messages of each kind had been sent when the first model was loaded. */
    private void watchForModel(AtomicInteger done, AtomicLong firstModelAt, List<Event> stream, int[][] doneByKind) {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                if (metric("shaping_filter_model_age_seconds") >= 0) {
                    firstModelAt.set(done.get());
                    int[] counts = new int[Kind.values().length + 1];
                    for (Event event : stream) {
                        if (event.outcome != null) {
                            counts[event.kind.ordinal()]++;
                            counts[Kind.values().length]++;
                        }
                    }
                    doneByKind[0] = counts;
                    return;
                }
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // James busy: ask again.
            }
        }
    }

    /**
     * Until every queued example is learned (the pending-reports gauge at 0 four times in a row, 20 s: two learning
     * passes, so that a retraining the last pass started has ended), at most 10 minutes.
     */
    private void awaitLearned() throws InterruptedException {
        long start = System.nanoTime();
        int zeros = 0;
        while (System.nanoTime() - start < TimeUnit.MINUTES.toNanos(10) && zeros < 4) {
            double pending = metric("shaping_filter_pending_reports");
            double age = metric("shaping_filter_model_age_seconds");
            zeros = pending == 0 && age >= 0 ? zeros + 1 : 0;
            Thread.sleep(5000);
        }
        System.out.printf(Locale.ROOT, "  waited %.0f s for the queued examples to be learned (pending now %.0f)%n",
            (System.nanoTime() - start) / 1e9, metric("shaping_filter_pending_reports"));
    }

    private void awaitModelLoaded() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (metric("shaping_filter_model_age_seconds") < 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the test James did not load the learned model");
            }
            Thread.sleep(1000);
        }
    }

    /** The server's full trainings of its model (ModelBootstrap's log lines: the first model, then each retraining), one a line. */
    private static String modelTrainingLines(Path log) throws IOException {
        List<String> trainings = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            for (String marker : List.of("First predictive model trained on", "Predictive model trained again")) {
                int at = line.indexOf(marker);
                if (at >= 0) {
                    trainings.add(line.substring(0, 12) + " " + line.substring(at));
                }
            }
        }
        return trainings.isEmpty() ? "(no first-model line in " + log + ")" : String.join("\n    ", trainings);
    }

    /** Per kind, how many mails ended with each autolearn outcome (the mail attribute), read from the repositories. */
    private Map<Kind, Map<String, Integer>> learningOutcomes(List<Event> stream, Path learned) throws Exception {
        Map<String, Kind> kindBySource = new HashMap<>();
        for (Event event : stream) {
            kindBySource.put(event.source, event.kind);
        }
        Files.createDirectories(learned.resolve("spam"));
        Files.createDirectories(learned.resolve("ham"));
        AtomicInteger saved = new AtomicInteger();
        Map<Kind, Map<String, Integer>> outcomes = new EnumMap<>(Kind.class);
        for (String repository : List.of("var/mail/spamtrap", "var/mail/delivered", "var/mail/quarantine")) {
            // Each mail autolearn queued, as delivered, under the label it was queued with: what a full retraining would read.
            boolean trap = repository.endsWith("spamtrap");
            for (JsonNode mail : mails(repository, "attributes,headers", m -> {
                if (!"queued".equals(autolearnOutcome(m.path("attributes")))) {
                    return null;
                }
                Kind kind = kindBySource.get(m.path("remoteAddr").asText());
                boolean spam = trap || "known-spam".equals(header(m, "X-Shaping-Verdict")) && kind != Kind.AUTHENTICATED_HAM
                    && kind != Kind.COMPROMISED_ACCOUNT && kind != Kind.FAST_LANE_HAM;
                return learned.resolve(spam ? "spam" : "ham").resolve(saved.incrementAndGet() + ".eml");
            })) {
                Kind kind = kindBySource.get(mail.path("remoteAddr").asText());
                if (kind == Kind.TRAP_POISON) {
                    poisonFingerprints.add(header(mail, "X-Shaping-Fingerprint").split(";")[0].trim());
                }
                String outcome = autolearnOutcome(mail.path("attributes"));
                String where = repository.substring("var/mail/".length());
                outcomes.computeIfAbsent(kind, ignored -> new TreeMap<>()).merge(where + ": " + outcome, 1, Integer::sum);
            }
        }
        return outcomes;
    }

    private static String autolearnOutcome(JsonNode attributes) {
        String text = attributes.toString();
        int at = text.indexOf("org.jamesshaping.filter.autolearn");
        if (at < 0) {
            return "not learned (no trusted signal)";
        }
        String rest = text.substring(at, Math.min(text.length(), at + 200));
        for (String outcome : List.of("over-sender-limit", "over-network-limit", "queued", "failed")) {
            if (rest.contains(outcome)) {
                return outcome;
            }
        }
        return rest;
    }

    /** Every mail of a repository, with the additional fields asked; raw messages saved into {@code saveRawTo} when given. */
    private List<JsonNode> mails(String repository, String fields, java.util.function.Function<JsonNode, Path> saveRawTo) throws Exception {
        String base = "/mailRepositories/" + URLEncoder.encode(repository, StandardCharsets.UTF_8) + "/mails";
        String[] keys = webAdmin("GET", base + "?limit=100000", null, null);
        if ("404".equals(keys[0])) {
            return List.of();
        }
        List<JsonNode> mails = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<JsonNode>> pending = new ArrayList<>();
            for (JsonNode key : JSON.readTree(keys[1])) {
                String path = base + "/" + URLEncoder.encode(key.asText(), StandardCharsets.UTF_8);
                pending.add(pool.submit(() -> {
                    JsonNode mail = JSON.readTree(webAdmin("GET", path + "?additionalFields=" + fields, null, null)[1]);
                    Path target = saveRawTo == null ? null : saveRawTo.apply(mail);
                    if (target != null) {
                        Files.write(target, webAdminBytes(path));
                    }
                    return mail;
                }));
            }
            for (Future<JsonNode> mail : pending) {
                mails.add(mail.get());
            }
        } finally {
            pool.shutdown();
        }
        return mails;
    }

    private void printReports() throws IOException {
        Map<String, Integer> counts = new TreeMap<>();
        for (String state : List.of("pending", "applied", "rejected")) {
            for (JsonNode report : JSON.readTree(webAdmin("GET", "/shaping/reports?state=" + state + "&limit=1000", null, null)[1])) {
                counts.merge(report.path("source").asText() + " " + report.path("label").asText() + " " + state, 1, Integer::sum);
            }
        }
        System.out.println("  training reports in MongoDB (source label state: count; at most 1000 listed per state): " + counts);
    }

    /** Test mail's X-Shaping-Verdict and X-Shaping-Score, by test event index; raw messages saved for the command line. */
    private Map<Integer, String[]> testVerdicts(List<Event> events, Path saveRawTo) throws Exception {
        Map<String, Integer> bySource = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            bySource.put(events.get(i).source, i);
        }
        Map<Integer, String[]> verdicts = new HashMap<>();
        for (String repository : List.of("var/mail/delivered", "var/mail/quarantine")) {
            for (JsonNode mail : mails(repository, "headers,attributes", m -> saveRawTo.resolve(m.path("remoteAddr").asText() + ".eml"))) {
                Integer index = bySource.get(mail.path("remoteAddr").asText());
                if (index != null) {
                    verdicts.put(index, new String[] {header(mail, "X-Shaping-Verdict"), header(mail, "X-Shaping-Score"),
                        repository.substring("var/mail/".length()), autolearnOutcome(mail.path("attributes")),
                        header(mail, "X-Shaping-Fingerprint").split(";")[0].trim()});
                }
            }
        }
        return verdicts;
    }

    private static String header(JsonNode mail, String name) {
        JsonNode headers = mail.path("headers");
        for (java.util.Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (entry.getKey().equalsIgnoreCase(name)) {
                JsonNode value = entry.getValue();
                return (value.isArray() ? value.get(0).asText() : value.asText()).trim();
            }
        }
        return "";
    }

    /** The command line's scores ({@code filter classify --mongo-uri}: the learned model) of the delivered test mail. */
    private Map<Integer, String[]> classify(String mongoUri, Path delivered, List<Event> events) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = FilterTool.run(new String[] {"classify", "--mongo-uri", mongoUri, "--threads", "2", delivered.toString()},
            new PrintWriter(out), new PrintWriter(err));
        if (code != 0) {
            System.out.println("  filter classify exited " + code + ": " + err.toString().trim());
        }
        Map<String, Integer> bySource = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            bySource.put(events.get(i).source, i);
        }
        Map<Integer, String[]> scores = new HashMap<>();
        for (String line : out.toString().split("\n")) {
            String[] columns = line.split("\t");
            if (columns.length >= 3 && !"not-run".equals(columns[1])) {
                String file = Path.of(columns[0]).getFileName().toString().replace(".eml", "");
                Integer index = bySource.get(file);
                if (index != null) {
                    scores.put(index, new String[] {columns[1], columns[2].trim()});
                }
            }
        }
        return scores;
    }

    // ---- printing ----

    private void printTraining(List<Event> stream, Map<Kind, Map<String, Integer>> learning, String modelTrainings, int[] atFirstModel) {
        System.out.println("  training stream (the time split's earliest 70%, date order, " + SENDER_THREADS + " senders at once):");
        System.out.println("| kind | sent | accepted (250) | refused at SMTP | where it went: autolearn outcome |");
        System.out.println("|---|---|---|---|---|");
        for (Kind kind : Kind.values()) {
            int sent = 0;
            int accepted = 0;
            Map<String, Integer> refused = new TreeMap<>();
            for (Event event : stream) {
                if (event.kind == kind) {
                    sent++;
                    if (event.outcome.accepted()) {
                        accepted++;
                    } else {
                        refused.merge(event.outcome.toString(), 1, Integer::sum);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %s | %s |%n", kind.description, sent, accepted, refused.isEmpty() ? "0" : refused,
                learning.getOrDefault(kind, Map.of()));
        }
        if (learning.containsKey(null)) {
            System.out.println("  mails from no address of the stream: " + learning.get(null));
        }
        System.out.println("  model trainings (the first model, then each full retraining on the kept reports):\n    " + modelTrainings);
        if (atFirstModel != null) {
            StringBuilder line = new StringBuilder("  sent when the first model was loaded: " + atFirstModel[Kind.values().length] + " messages (");
            for (Kind kind : Kind.values()) {
                line.append(kind.name().toLowerCase(Locale.ROOT)).append(' ').append(atFirstModel[kind.ordinal()]).append(kind.ordinal() < Kind.values().length - 1 ? ", " : ")");
            }
            System.out.println(line);
        } else {
            System.out.println("  no model was loaded during the training stream");
        }
    }

    private void printTest(List<Event> events, Map<Integer, String[]> verdicts, Map<Integer, String[]> cliScores, Path delivered,
                           String modelTrainings, Path learned) throws Exception {
        FilterResult server = new FilterResult();
        FilterResult predictiveHeader = new FilterResult();
        FilterResult learnedCli = new FilterResult();
        Map<String, Integer> verdictCounts = new TreeMap<>();
        int missing = 0;
        double threshold = Double.NaN;
        for (int i = 0; i < events.size(); i++) {
            boolean spam = prepared.corpus.get(events.get(i).corpusIndex).spam();
            String[] verdict = verdicts.get(i);
            if (verdict == null) {
                missing++;
                continue;
            }
            verdictCounts.merge((spam ? "spam -> " : "ham -> ") + verdict[0] + " (" + verdict[2] + ")", 1, Integer::sum);
            boolean flagged = verdict[0].equals("spam") || verdict[0].equals("known-spam");
            double score = parse(verdict[1]);
            server.add(spam, flagged, score);
            if (verdict[0].equals("spam") || verdict[0].equals("ham")) {
                predictiveHeader.add(spam, verdict[0].equals("spam"), score);
            }
        }
        Map<String, Integer> refused = new TreeMap<>();
        for (Event event : events) {
            if (!event.outcome.accepted()) {
                refused.merge((prepared.corpus.get(event.corpusIndex).spam() ? "spam " : "ham ") + event.outcome, 1, Integer::sum);
            }
        }
        System.out.println("  test part (the time split's latest 30%), sent over SMTP to James with learning off: " + events.size()
            + " messages, refused at SMTP: " + (refused.isEmpty() ? "none" : refused));
        System.out.println("  verdicts (label -> X-Shaping-Verdict (repository)): " + verdictCounts + (missing > 0 ? ", not found: " + missing : ""));
        Map<String, Long> autolearnedInTest = new LinkedHashMap<>();
        for (String[] verdict : verdicts.values()) {
            autolearnedInTest.merge(verdict[3], 1L, Long::sum);
        }
        System.out.println("  autolearn outcomes of test mail (queued ones stay pending: learning is off): " + autolearnedInTest);
        List<String> falsePositives = new ArrayList<>();
        for (Map.Entry<Integer, String[]> entry : new TreeMap<>(verdicts).entrySet()) {
            String[] verdict = entry.getValue();
            if (!prepared.corpus.get(events.get(entry.getKey()).corpusIndex).spam() && !verdict[0].equals("ham")) {
                falsePositives.add(prepared.corpus.get(events.get(entry.getKey()).corpusIndex).path().getFileName() + " " + verdict[0] + " "
                    + verdict[1] + (verdict[0].equals("known-spam") ? poisonFingerprints.contains(verdict[4])
                    ? " (a signature the trap-poisoning ham added)" : " (signature " + verdict[4] + ")" : ""));
            }
        }
        System.out.println("  false positives of the server: " + falsePositives);

        // The command line's training on the same training part, as FilterBenchmark's time split (the shipped rule).
        ModelTrainer trainer = FilterBenchmark.trainer();
        List<ModelTrainer.Example> training = new ArrayList<>();
        for (int i = 0; i < prepared.corpus.size(); i++) {
            if (!test[i]) {
                training.add(prepared.example(i));
            }
        }
        double cliThreshold = trainer.tune(training, ModelTrainer.DEFAULT_TARGET_FALSE_POSITIVE_RATE, ModelTrainer.DEFAULT_THRESHOLD_MARGIN)
            .map(ModelTrainer.Tuning::threshold).orElse(PredictiveModel.DEFAULT_THRESHOLD);
        PredictiveModel cliModel = trainer.train(training, cliThreshold);
        FeatureExtractor cliFeatures = cliModel.featureExtractor();
        ContentExtractor extractor = new ContentExtractor(ContentLimits.DEFAULT);
        FilterResult cliOnFiles = new FilterResult();
        FilterResult cliOnDelivered = new FilterResult();
        for (int i = 0; i < events.size(); i++) {
            int index = events.get(i).corpusIndex;
            boolean spam = prepared.corpus.get(index).spam();
            double onFile = cliModel.score(cliFeatures.features(extractor.extract(prepared.raws.get(index))));
            cliOnFiles.add(spam, onFile >= cliThreshold, onFile);
            Path file = delivered.resolve(events.get(i).source + ".eml");
            if (Files.exists(file)) {
                double onDelivered = cliModel.score(cliFeatures.features(extractor.extract(Files.readAllBytes(file))));
                cliOnDelivered.add(spam, onDelivered >= cliThreshold, onDelivered);
            }
            String[] learnedScore = cliScores.get(i);
            if (learnedScore != null) {
                learnedCli.add(spam, "spam".equals(learnedScore[1]), Double.parseDouble(learnedScore[0]));
            }
        }
        // The last full training's threshold (ModelBootstrap's log lines); learning reports one by one never changes it.
        Matcher logged = Pattern.compile("threshold ([0-9.]+)").matcher(modelTrainings);
        while (logged.find()) {
            threshold = Double.parseDouble(logged.group(1));
        }
        // What a full retraining on the autolearned examples gives (filter train's trainer, as retrain --from-reports).
        List<ModelTrainer.Example> autolearned = new ArrayList<>();
        FeatureExtractor trainerFeatures = new FeatureExtractor(trainer.dimensionBits());
        int[] learnedCounts = new int[2];
        for (String label : List.of("spam", "ham")) {
            try (java.util.stream.Stream<Path> files = Files.list(learned.resolve(label))) {
                for (Path file : (Iterable<Path>) files.sorted()::iterator) {
                    org.jamesshaping.filter.content.MessageContent content = extractor.extract(Files.readAllBytes(file));
                    autolearned.add(new ModelTrainer.Example(trainerFeatures.features(content), label.equals("spam"),
                        org.jamesshaping.filter.predictive.MessageDates.sentAt(content).orElse(null)));
                    learnedCounts[label.equals("spam") ? 0 : 1]++;
                }
            }
        }
        double retrainedThreshold = trainer.tune(autolearned, ModelTrainer.DEFAULT_TARGET_FALSE_POSITIVE_RATE, ModelTrainer.DEFAULT_THRESHOLD_MARGIN)
            .map(ModelTrainer.Tuning::threshold).orElse(PredictiveModel.DEFAULT_THRESHOLD);
        PredictiveModel retrained = trainer.train(autolearned, retrainedThreshold);
        FeatureExtractor retrainedFeatures = retrained.featureExtractor();
        FilterResult retrainedOnDelivered = new FilterResult();
        for (int i = 0; i < events.size(); i++) {
            Path file = delivered.resolve(events.get(i).source + ".eml");
            if (Files.exists(file)) {
                double score = retrained.score(retrainedFeatures.features(extractor.extract(Files.readAllBytes(file))));
                retrainedOnDelivered.add(prepared.corpus.get(events.get(i).corpusIndex).spam(), score >= retrainedThreshold, score);
            }
        }
        System.out.println("| model, scored on | threshold | spam caught | false positives | 1-ROCA | ROC, after the fact: caught at <= 1 FP, <= 4 FP |");
        System.out.println("|---|---|---|---|---|---|");
        System.out.printf(Locale.ROOT, "| autolearned, the server's verdicts (fingerprint known-spam or predictive spam) | %s | %s | %s | - | - |%n",
            fmt(threshold), server.caught(), server.falsePositives());
        row("autolearned, predictive verdicts of the mail it scored (known-spam not scored)", threshold, predictiveHeader);
        row("autolearned, filter classify on every delivered test mail", threshold, learnedCli);
        row("filter train's trainer on the " + learnedCounts[0] + " spam and " + learnedCounts[1]
            + " ham autolearn queued (as delivered), on the delivered test mail", retrainedThreshold, retrainedOnDelivered);
        row("filter train on the whole training part, on the delivered test mail", cliThreshold, cliOnDelivered);
        row("filter train on the whole training part, on the corpus files (FilterBenchmark's time split)", cliThreshold, cliOnFiles);
    }

    private static void row(String model, double threshold, FilterResult result) {
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %.3f%% | %s, %s |%n", model, fmt(threshold), result.caught(),
            result.falsePositives(), result.oneMinusRocaPercent(), result.caughtAtMostFalsePositives(1), result.caughtAtMostFalsePositives(4));
    }

    private static String fmt(double value) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%.4f", value) : "-";
    }

    private static double parse(String score) {
        try {
            return Double.parseDouble(score.split(";")[0].trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    // ---- WebAdmin ----

    private double metric(String name) {
        String body = webAdmin("GET", "/metrics", null, null)[1];
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.eE+-]+)$").matcher(body);
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : -1;
    }

    private String[] webAdmin(String method, String path, String json, String accept) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webAdminPort + path)).timeout(Duration.ofSeconds(60));
        if (accept != null) {
            request.header("Accept", accept);
        }
        if ("PUT".equals(method)) {
            request.header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json));
        } else {
            request.GET();
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new String[] {String.valueOf(response.statusCode()), response.body()};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private byte[] webAdminBytes(String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webAdminPort + path)).timeout(Duration.ofSeconds(60))
            .header("Accept", "message/rfc822").GET().build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + path + " as message/rfc822: " + response.statusCode());
        }
        return response.body();
    }
}
