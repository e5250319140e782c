package org.jamesshaping.bench.flood;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jamesshaping.bench.SmtpData;
import org.jamesshaping.bench.shaping.BenchConf;
import org.jamesshaping.bench.shaping.BenchSupport;
import org.jamesshaping.bench.shaping.JamesChild;
import org.jamesshaping.bench.shaping.ProcCpu;
import org.jamesshaping.bench.shaping.StandaloneMongo;
import org.jamesshaping.testsupport.CorpusCache;

/**
 * The flood benchmark: under a spam flood, do legitimate senders keep their speed? Runs, in this order and each in
 * a new James JVM with a new MongoDB (reputation starts empty): legitimate senders alone; the same plus a flood
 * with shaping in dry run; with shaping on; and the same flood on a plain James 3.8.1 (the same configuration
 * minus the extension). This JVM is the load generator (legitimate senders on blocking sockets, the flood on one
 * selector thread), apart from James's. Method and decision rule: docs/flood-report.md, which {@link FloodReport}
 * writes with the figures and charts.
 */
public final class FloodBenchmark {
    /** The phases, in the order they run. */
    enum Phase {
        LEGIT_ONLY("legitimate only", "L", true, false, false),
        DRY_RUN("flood, shaping in dry run", "D", true, true, true),
        SHAPED("flood, shaping on", "S", true, false, true),
        PLAIN("flood, plain James 3.8.1", "P", false, false, true),
        /** Not run by default: dry run without the content-filter mailets, to see what they cost under a flood. */
        DRY_RUN_NO_FILTERS("flood, dry run, no content filters", "F", true, true, true);

        static final List<Phase> DEFAULT = List.of(LEGIT_ONLY, DRY_RUN, SHAPED, PLAIN);

        final String title;
        final String letter;
        final boolean extension;
        final boolean dryRun;
        final boolean flood;

        Phase(String title, String letter, boolean extension, boolean dryRun, boolean flood) {
            this.title = title;
            this.letter = letter;
            this.extension = extension;
            this.dryRun = dryRun;
            this.flood = flood;
        }
    }

    static final String DOMAIN = "james.local";
    static final String SPAMTRAP = "trap@james.local";
    static final String WARMUP_RECIPIENT = "warmup@james.local";
    /** Valid users the flood's messages name first (spam reaches real mailboxes too). */
    static final String[] SPAM_TARGETS = {"user1@james.local", "sales@james.local", "info@james.local"};
    /** The warm-up flood's valid user: its mailbox apart, so that the measured flood's deliveries start as cold. */
    static final String[] WARMUP_SPAM_TARGETS = {"spam-warmup@james.local"};
    private static final String HEAP = "2g";

    private FloodBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        FloodOptions options;
        try {
            options = FloodOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("flood: " + e.getMessage());
            System.err.println(FloodOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options.help) {
            System.out.println(FloodOptions.USAGE);
            return;
        }
        String machine = BenchSupport.machine();
        System.out.println("flood benchmark: " + options.describe());
        System.out.println("machine: " + machine);
        List<byte[]> hams = new ArrayList<>();
        for (String set : List.of(CorpusCache.EASY_HAM, CorpusCache.HARD_HAM)) {
            CorpusCache.load(set).forEach(message -> hams.add(SmtpData.of(message.raw())));
        }
        List<byte[]> spams = new ArrayList<>();
        CorpusCache.load(CorpusCache.SPAM).forEach(message -> spams.add(SmtpData.of(message.raw())));
        // The same order in every phase and run: each phase sends the same messages.
        Collections.shuffle(hams, new Random(22));
        Collections.shuffle(spams, new Random(23));
        System.out.printf(Locale.ROOT, "corpus: %d ham (easy-ham-1, hard-ham-1), %d spam (spam-1)%n", hams.size(), spams.size());

        Path work = BenchSupport.workDir("flood");
        List<PhaseResult> results = new ArrayList<>();
        for (int repeat = 1; repeat <= options.repeats; repeat++) {
            for (Phase phase : options.phases) {
                results.add(runPhase(options, phase, repeat, options.abusiveConnections, work, hams, spams));
            }
        }
        List<PhaseResult> capacity = new ArrayList<>();
        for (int connections : options.capacity) {
            capacity.add(runPhase(options, Phase.SHAPED, 1, connections, work, hams, spams));
        }
        FloodReport report = new FloodReport(options, machine, results, capacity);
        report.printSummary(System.out);
        if (options.writeReport) {
            Path doc = report.write(BenchSupport.root());
            System.out.println("report written: " + doc);
        }
    }

    static PhaseResult runPhase(FloodOptions options, Phase phase, int repeat, int abusiveConnections, Path work,
                                List<byte[]> hams, List<byte[]> spams) throws Exception {
        String id = phase.letter + repeat + (abusiveConnections != options.abusiveConnections ? "-" + abusiveConnections : "");
        System.out.printf(Locale.ROOT, "%n== %s (run %d, %d abusive connections) ==%n", phase.title, repeat, phase.flood ? abusiveConnections : 0);
        PhaseResult result = new PhaseResult(phase, repeat, phase.flood ? abusiveConnections : 0);
        Path phaseWork = work.resolve(id);
        Files.createDirectories(phaseWork);
        BenchConf conf = conf(phase, phaseWork);
        try (StandaloneMongo mongo = StandaloneMongo.launch(phaseWork);
             JamesChild james = JamesChild.start(id, phaseWork, conf, HEAP, mongo.uri, false,
                 options.quietLogs ? BenchSupport.quietLogback(phaseWork) : null)) {
            System.out.println("  James pid " + james.pid() + ", log " + james.log + "; MongoDB pid " + mongo.pid());
            List<String> legitUsers = new ArrayList<>();
            for (int i = 1; i <= options.legitSenders; i++) {
                legitUsers.add("legit" + i + "@" + DOMAIN);
            }
            List<String> users = new ArrayList<>(legitUsers);
            users.add(WARMUP_RECIPIENT);
            users.addAll(Arrays.asList(SPAM_TARGETS));
            users.addAll(Arrays.asList(WARMUP_SPAM_TARGETS));
            for (String user : users) {
                String[] reply = james.webAdmin("PUT", "/users/" + user, "{\"password\":\"secret\"}");
                if (!reply[0].startsWith("2") && !reply[0].equals("409")) {
                    throw new IllegalStateException("creating " + user + ": " + reply[0] + " " + reply[1]);
                }
            }
            // The delivery probe counts INBOX messages: an INBOX that does not exist yet would cost James a logged
            // stack trace at each poll.
            for (String user : legitUsers) {
                String[] reply = james.webAdmin("PUT", "/users/" + user + "/mailboxes/INBOX", "");
                if (!reply[0].startsWith("2")) {
                    throw new IllegalStateException("creating the INBOX of " + user + ": " + reply[0] + " " + reply[1]);
                }
            }
            List<String> legitSources = new ArrayList<>();
            for (int i = 1; i <= options.legitSenders; i++) {
                legitSources.add("127.50.0." + i);
            }
            LegitSenders legit = new LegitSenders(james.smtpPort, legitSources, legitUsers, hams, options.legitRate,
                options.legitTimeoutSeconds * 1000);
            legit.warmUp(options.warmupSessions, WARMUP_RECIPIENT);
            warmUpAbusivePaths(options, james, abusiveConnections, spams);
            // The store flushes each second: the senders' passed pregreet test is known before the measured sessions.
            Thread.sleep(3000);
            james.awaitSpoolEmpty(120);

            List<AbusiveFlood.Group> groups = groups(abusiveConnections);
            AbusiveFlood flood = phase.flood
                ? new AbusiveFlood(james.smtpPort, groups, spams, SPAM_TARGETS, SPAMTRAP, options.abusivePatienceSeconds,
                    options.abusiveRetryMillis, options.seconds)
                : null;
            long start = System.nanoTime();
            ServerWatch watch = new ServerWatch(james, start);
            watch.startProcessProbe();
            watch.startLagProbe();
            if (phase.extension && phase.flood) {
                watch.startClassProbe(watchedAddresses(groups), 3000);
            }
            DeliveryWatch delivery = new DeliveryWatch(watch, legitUsers);
            delivery.start();
            long serverCpu = james.cpuTicks();
            Map<Integer, ProcCpu.ThreadTicks> serverThreads = ProcCpu.threadTicks(james.pid());
            long mongoCpu = mongo.cpuTicks();
            long clientCpu = ServerWatch.ownCpuTicks();
            legit.start();
            Thread floodThread = null;
            if (flood != null) {
                floodThread = new Thread(flood, "flood");
                floodThread.setDaemon(true);
                floodThread.start();
            }
            legit.startRecording();
            long end = start + TimeUnit.SECONDS.toNanos(options.seconds);
            int second = 0;
            while (System.nanoTime() < end) {
                Thread.sleep(Math.max(1, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
                if (flood != null) {
                    result.abusiveOpen.add(flood.open.get());
                }
                if (++second % 10 == 0) {
                    System.out.printf(Locale.ROOT, "  %3d s: legit %d recorded, abusive accepted %d, open %d%n", second,
                        legit.transactions.size(), flood == null ? 0 : flood.messagesAccepted.get(), flood == null ? 0 : flood.open.get());
                }
            }
            result.seconds = (System.nanoTime() - start) / 1e9;
            legit.stop();
            if (flood != null) {
                flood.stop();
                floodThread.join(30_000);
                if (flood.failure != null) {
                    throw new IllegalStateException("the flood failed", flood.failure);
                }
            }
            result.serverCpuSeconds = (james.cpuTicks() - serverCpu) / 100.0;
            ProcCpu.groupDeltas(serverThreads, ProcCpu.threadTicks(james.pid()))
                .forEach((group, ticks) -> result.serverCpuByThreads.put(group, ticks / 100.0));
            result.mongoCpuSeconds = (mongo.cpuTicks() - mongoCpu) / 100.0;
            result.clientCpuSeconds = (ServerWatch.ownCpuTicks() - clientCpu) / 100.0;
            result.spoolBacklog = james.spoolSize();
            result.serverThreadsEnd = james.osThreads();
            result.serverRssEndKb = james.rssKb();
            result.serverHeapUsedKb = heapUsedKb(james);

            for (LegitSenders.Transaction transaction : legit.transactions) {
                switch (transaction.outcome) {
                    case LegitSenders.ACCEPTED:
                        result.legitAccepted++;
                        result.legitLatencyPoints.add(new double[] {(transaction.startNanos - start) / 1e9, transaction.latencyNanos / 1e6});
                        break;
                    case LegitSenders.TIMED_OUT:
                        result.legitTimedOut++;
                        break;
                    default:
                        result.legitFailed++;
                }
            }
            result.legitLatencyMicros = legit.latencyMicros;
            legit.failures.stream().limit(5).forEach(result.legitFailureSamples::add);
            if (flood != null) {
                result.abusiveAccepted = flood.messagesAccepted.get();
                result.abusiveBytes = flood.bytesAccepted.get();
                result.abusiveRefused = flood.messagesRefused.get();
                result.abusiveRcptAccepted = flood.recipientsAccepted.get();
                result.abusiveRcptRejected = flood.recipientsRejected.get();
                result.abusiveConnectionsOpened = flood.connectionsOpened.get();
                result.abusiveGaveUp = flood.gaveUp.get();
                result.abusiveClosedByServer = flood.closedByServer.get();
                result.abusiveRefusedAtGreeting = flood.refusedAtConnect.get();
                result.abusiveConnectFailures = flood.connectFailures.get();
                result.abusiveAddressesUsed = flood.sourcesUsed.size();
                int seconds = (int) Math.ceil(result.seconds);
                result.abusiveAcceptedPerSecond = new long[Math.min(seconds, flood.acceptedPerSecond.length())];
                for (int i = 0; i < result.abusiveAcceptedPerSecond.length; i++) {
                    result.abusiveAcceptedPerSecond[i] = flood.acceptedPerSecond.get(i);
                }
                for (AbusiveFlood.Group group : groups) {
                    result.abusiveAcceptedByGroup.put(group.name, group.accepted.get());
                }
            }

            // Legitimate mail accepted must reach its mailbox: wait for it (the spool may hold the flood's backlog).
            long drainStart = System.nanoTime();
            long drainEnd = drainStart + TimeUnit.SECONDS.toNanos(options.drainSeconds);
            List<LegitSenders.Transaction> accepted = new ArrayList<>(legit.allAccepted);
            while (System.nanoTime() < drainEnd && !delivery.allDelivered(accepted)) {
                Thread.sleep(250);
            }
            result.drainSeconds = (System.nanoTime() - drainStart) / 1e9;
            delivery.stop();
            watch.stop();
            DeliveryWatch.Delays delays = delivery.delays(accepted);
            result.deliveryDelayMillis = delays.millis;
            result.legitDelivered = delays.delivered;
            result.legitUndelivered = delays.undelivered;
            result.serverThreadsMax = Math.max(watch.maxThreads, result.serverThreadsEnd);
            result.serverRssMaxKb = Math.max(watch.maxRssKb, result.serverRssEndKb);
            result.clientLagMicros = watch.lagMicros;
            result.classes = watch.classes;
            result.secondsToShaped = new LinkedHashMap<>(watch.secondsToShaped);
            FloodReport.printPhase(System.out, result);
        }
        return result;
    }

    /**
     * The same flood from networks the measured one never uses (127.70-74.0.0/24, other /16s: no neighbour of a
     * measured sender), for a few seconds, in every phase alike: without it James's JIT compiles the flood's code
     * paths while the measured legitimate senders wait for a core, which a server that has run a while has done.
     * The measured abusive addresses still start unknown.
     */
    private static void warmUpAbusivePaths(FloodOptions options, JamesChild james, int connections, List<byte[]> spams) throws Exception {
        if (options.abusiveWarmupSeconds == 0) {
            return;
        }
        AbusiveFlood warmup = new AbusiveFlood(james.smtpPort, groups(connections, 70), spams, WARMUP_SPAM_TARGETS, SPAMTRAP,
            options.abusivePatienceSeconds, options.abusiveRetryMillis, options.abusiveWarmupSeconds);
        Thread thread = new Thread(warmup, "flood-warmup");
        thread.setDaemon(true);
        thread.start();
        Thread.sleep(TimeUnit.SECONDS.toMillis(options.abusiveWarmupSeconds));
        warmup.stop();
        thread.join(30_000);
        if (warmup.failure != null) {
            throw new IllegalStateException("the warm-up flood failed", warmup.failure);
        }
        System.out.printf(Locale.ROOT, "  abusive warm-up: %d s, %d messages accepted from %d addresses of 127.70-74.0.0/24%n",
            options.abusiveWarmupSeconds, warmup.messagesAccepted.get(), warmup.sourcesUsed.size());
    }

    /** The sample configuration for the phase, with trap@james.local as a spamtrap for the extension's phases. */
    static BenchConf conf(Phase phase, Path phaseWork) throws Exception {
        BenchConf conf = BenchConf.copyOfSample(phaseWork.resolve("conf"));
        if (!phase.extension) {
            return conf.withoutExtension();
        }
        conf.replace("smtpserver.xml", "<!-- Spamtrap addresses:", "<handler class=\"org.jamesshaping.smtp.SpamtrapRecorder\">"
            + "<spamtrap>" + SPAMTRAP + "</spamtrap></handler>\n            <!-- Spamtrap addresses:");
        if (phase.dryRun) {
            conf.replace("smtpserver.xml", "<dryRun>false</dryRun>", "<dryRun>true</dryRun>");
        }
        return phase == Phase.DRY_RUN_NO_FILTERS ? conf.withoutContentFilters() : conf;
    }

    /**
     * The abusive senders, each kind on a /24 of its own outside the integration tests' 127.0.0.0/16: a bulk
     * sender on 10 addresses, a botnet rotating over 250, early talkers, blind pipeliners, spamtrap hitters.
     */
    static List<AbusiveFlood.Group> groups(int connections) {
        return groups(connections, 60);
    }

    /** The kinds on 127.{base}.0.0/24 .. 127.{base+4}.0.0/24. */
    static List<AbusiveFlood.Group> groups(int connections, int base) {
        List<AbusiveFlood.Group> groups = new ArrayList<>();
        groups.add(new AbusiveFlood.Group("bulk", AbusiveFlood.Style.LOCKSTEP, addresses("127." + base + ".0.", 10), connections * 30 / 100));
        groups.add(new AbusiveFlood.Group("botnet", AbusiveFlood.Style.ROTATING, addresses("127." + (base + 1) + ".0.", 250), connections * 30 / 100));
        groups.add(new AbusiveFlood.Group("talker", AbusiveFlood.Style.EARLY_TALKER, addresses("127." + (base + 2) + ".0.", 10), connections * 10 / 100));
        groups.add(new AbusiveFlood.Group("pipeliner", AbusiveFlood.Style.PIPELINER, addresses("127." + (base + 3) + ".0.", 10), connections * 15 / 100));
        int rest = connections - groups.stream().mapToInt(group -> group.connections).sum();
        groups.add(new AbusiveFlood.Group("trapper", AbusiveFlood.Style.SPAMTRAP, addresses("127." + (base + 4) + ".0.", 10), rest));
        return groups;
    }

    private static String[] addresses(String prefix, int count) {
        String[] addresses = new String[count];
        for (int i = 0; i < count; i++) {
            addresses[i] = prefix + (i + 1);
        }
        return addresses;
    }

    /** The first five addresses of each kind: whose class the report follows (a WebAdmin call each, every 3 s). */
    static List<String> watchedAddresses(List<AbusiveFlood.Group> groups) {
        List<String> watched = new ArrayList<>();
        for (AbusiveFlood.Group group : groups) {
            watched.addAll(Arrays.asList(group.addresses).subList(0, Math.min(5, group.addresses.length)));
        }
        return watched;
    }

    private static long heapUsedKb(JamesChild james) {
        try {
            Matcher matcher = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K").matcher(james.jcmd("GC.heap_info"));
            return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
        } catch (Exception e) {
            return -1;
        }
    }
}
