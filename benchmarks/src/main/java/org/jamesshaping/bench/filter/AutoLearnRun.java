package org.jamesshaping.bench.filter;

import static org.jamesshaping.bench.filter.AutoLearnStream.AUTH_USERS;
import static org.jamesshaping.bench.filter.AutoLearnStream.PASSWORD;
import static org.jamesshaping.bench.filter.AutoLearnStream.TRAP;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
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
import org.jamesshaping.bench.filter.AutoLearnStream.Event;
import org.jamesshaping.bench.filter.AutoLearnStream.Kind;
import org.jamesshaping.bench.shaping.BenchConf;
import org.jamesshaping.bench.shaping.BenchSupport;
import org.jamesshaping.bench.shaping.JamesChild;
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
    private static final int SENDER_THREADS = 16;
    /** Spooler threads of the James under test (the sample has 20): on 2 shared cores, 20 mails in flight at once
     * make each one take long enough in wall-clock time to run past the filters' 2-second time budget. */
    private static final int SPOOLER_THREADS = 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FilterBenchmark.Prepared prepared;
    private final AutoLearnStream streams;
    /** Known-spam signatures the trap-poisoning ham added (the spamtrap processor fingerprints whatever reaches it). */
    private final java.util.Set<String> poisonFingerprints = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The James of the current part: WebAdmin calls go to it. */
    private JamesChild james;

    private AutoLearnRun(FilterBenchmark.Prepared prepared) {
        this.prepared = prepared;
        this.streams = new AutoLearnStream(prepared);
    }

    private AutoLearnFigures figures() {
        return new AutoLearnFigures(prepared, streams, poisonFingerprints, SENDER_THREADS);
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
        List<Event> stream = AutoLearnStream.everyNth(streams.training(), every);
        List<Event> testStream = AutoLearnStream.everyNth(streams.test(), every);
        if (every > 1) {
            System.out.println("  every " + every + "th message only (-Dautolearn.every): not a recorded run");
        }
        EmbeddedMongo mongo = EmbeddedMongo.inMemory().start(0);
        try {
            long started = System.nanoTime();
            Map<Kind, Map<String, Integer>> learning;
            String modelTrainings;
            int[] sentWhenFirstModel;
            try (JamesChild training = start("train", work, mongo.uri(), "10s")) {
                james = training;
                provision();
                james.pin("127.215.128.0/18", 1, "benchmark: fast-lane senders");
                james.pin("127.215.192.0/18", 3, "benchmark: test senders, shaped alike");
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
            figures().printTraining(stream, learning, modelTrainings, sentWhenFirstModel);

            // Learning off for the test part: its mail must not teach the model it is scored by.
            try (JamesChild test = start("test", work, mongo.uri(), "0")) {
                james = test;
                awaitModelLoaded();
                send(testStream, james.smtpPort, -1, new AtomicInteger(), "test");
                james.awaitSpoolEmpty(900);
                Path delivered = Files.createDirectories(work.resolve("test-delivered"));
                Map<Integer, String[]> verdicts = testVerdicts(testStream, delivered);
                Map<Integer, String[]> cliScores = classify(mongo.uri(), delivered, testStream);
                figures().printTest(testStream, verdicts, cliScores, delivered, modelTrainings, work.resolve("learned"));
            }
            System.out.printf(Locale.ROOT, "  autolearn run: %.0f s in all%n", (System.nanoTime() - started) / 1e9);
        } finally {
            mongo.stop();
        }
    }

    // ---- James ----

    private JamesChild start(String name, Path work, String mongoUri, String learnInterval) throws Exception {
        BenchConf conf = BenchConf.copyOfSample(work.resolve("conf-" + name));
        // The spamtrap of the sample's smtpserver.xml, uncommented.
        conf.replaceRegex("smtpserver.xml", "<handler class=\"org\\.jamesshaping\\.smtp\\.SpamtrapRecorder\">\\s*<spamtrap>trap@james\\.local</spamtrap>"
                + "\\s*</handler>\\s*-->",
            "-->\n            <handler class=\"org.jamesshaping.smtp.SpamtrapRecorder\"><spamtrap>" + TRAP + "</spamtrap></handler>");
        // Autolearn as the sample configures it, with its spamtrap routing and processor uncommented (TRAP is the
        // sample's trap address).
        conf.replaceRegex("mailetcontainer.xml", "<!-- Spamtrap: uncomment[^<]*", "");
        conf.replaceRegex("mailetcontainer.xml", "<processor>spamtrap</processor>\\s*</mailet>\\s*-->",
            "<processor>spamtrap</processor></mailet>");
        conf.replaceRegex("mailetcontainer.xml", "<!-- james-shaping spamtrap processor[^<]*", "");
        conf.replaceRegex("mailetcontainer.xml", "</processor>\\s*-->", "</processor>");
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
            String[] reply = james.webAdmin("PUT", "/users/" + user, "{\"password\":\"" + PASSWORD + "\"}");
            if (!reply[0].startsWith("2")) {
                throw new IllegalStateException("creating " + user + ": " + reply[0] + " " + reply[1]);
            }
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
                if (james.metric("shaping_filter_model_age_seconds") >= 0) {
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
     * Until learning has settled: a model loaded and the pending-reports gauge unchanged four times in a row (20 s,
     * two learning passes, so that a full training the last pass started has ended), at most 10 minutes. Autolearned
     * reports that came after the server's last full training stay pending: they wait for the next one.
     */
    private void awaitLearned() throws InterruptedException {
        long start = System.nanoTime();
        int unchanged = 0;
        double previous = Double.NaN;
        while (System.nanoTime() - start < TimeUnit.MINUTES.toNanos(10) && unchanged < 4) {
            double pending = james.metric("shaping_filter_pending_reports");
            double age = james.metric("shaping_filter_model_age_seconds");
            unchanged = pending == previous && age >= 0 ? unchanged + 1 : 0;
            previous = pending;
            Thread.sleep(5000);
        }
        System.out.printf(Locale.ROOT, "  waited %.0f s for learning to settle (pending now %.0f: autolearned after the last full training)%n",
            (System.nanoTime() - start) / 1e9, james.metric("shaping_filter_pending_reports"));
    }

    private void awaitModelLoaded() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (james.metric("shaping_filter_model_age_seconds") < 0) {
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
        MailRepositories repositories = new MailRepositories(james);
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
            for (JsonNode mail : repositories.mails(repository, "attributes,headers", m -> {
                if (!"queued".equals(MailRepositories.autolearnOutcome(m.path("attributes")))) {
                    return null;
                }
                Kind kind = kindBySource.get(m.path("remoteAddr").asText());
                boolean spam = trap || "known-spam".equals(MailRepositories.header(m, "X-Shaping-Verdict")) && kind != Kind.AUTHENTICATED_HAM
                    && kind != Kind.COMPROMISED_ACCOUNT && kind != Kind.FAST_LANE_HAM;
                return learned.resolve(spam ? "spam" : "ham").resolve(saved.incrementAndGet() + ".eml");
            })) {
                Kind kind = kindBySource.get(mail.path("remoteAddr").asText());
                if (kind == Kind.TRAP_POISON) {
                    poisonFingerprints.add(MailRepositories.header(mail, "X-Shaping-Fingerprint").split(";")[0].trim());
                }
                String outcome = MailRepositories.autolearnOutcome(mail.path("attributes"));
                String where = repository.substring("var/mail/".length());
                outcomes.computeIfAbsent(kind, ignored -> new TreeMap<>()).merge(where + ": " + outcome, 1, Integer::sum);
            }
        }
        return outcomes;
    }

    private void printReports() throws IOException {
        Map<String, Integer> counts = new TreeMap<>();
        for (String state : List.of("pending", "applied", "rejected")) {
            for (JsonNode report : JSON.readTree(james.webAdmin("GET", "/shaping/reports?state=" + state + "&limit=1000", null)[1])) {
                counts.merge(report.path("source").asText() + " " + report.path("label").asText() + " " + state, 1, Integer::sum);
            }
        }
        System.out.println("  training reports in MongoDB (source label state: count; at most 1000 listed per state): " + counts);
    }

    /** Test mail's X-Shaping-Verdict and X-Shaping-Score, by test event index; raw messages saved for the command line. */
    private Map<Integer, String[]> testVerdicts(List<Event> events, Path saveRawTo) throws Exception {
        MailRepositories repositories = new MailRepositories(james);
        Map<String, Integer> bySource = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            bySource.put(events.get(i).source, i);
        }
        Map<Integer, String[]> verdicts = new HashMap<>();
        for (String repository : List.of("var/mail/delivered", "var/mail/quarantine")) {
            for (JsonNode mail : repositories.mails(repository, "headers,attributes", m -> saveRawTo.resolve(m.path("remoteAddr").asText() + ".eml"))) {
                Integer index = bySource.get(mail.path("remoteAddr").asText());
                if (index != null) {
                    verdicts.put(index, new String[] {MailRepositories.header(mail, "X-Shaping-Verdict"), MailRepositories.header(mail, "X-Shaping-Score"),
                        repository.substring("var/mail/".length()), MailRepositories.autolearnOutcome(mail.path("attributes")),
                        MailRepositories.header(mail, "X-Shaping-Fingerprint").split(";")[0].trim()});
                }
            }
        }
        return verdicts;
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
}
