package org.jamesshaping.bench.flood;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.HdrHistogram.Histogram;
import org.jamesshaping.bench.shaping.JamesChild;
import org.jamesshaping.bench.shaping.ProcCpu;

/**
 * What the load tool watches while a phase runs, each on a thread of its own: the server's RSS and threads from
 * /proc, the class the server gives each watched abusive address (WebAdmin {@code /shaping/reputation/{ip}}),
 * the legitimate mail reaching the mailboxes (WebAdmin message counts) and the load tool's own scheduling lag.
 */
final class ServerWatch {
    private static final Pattern CLASS = Pattern.compile("\"class\"\\s*:\\s*(\\d+)");
    private static final Pattern COUNT = Pattern.compile("(\\d+)");

    private final JamesChild james;
    private final long startNanos;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stop;

    long maxRssKb;
    long maxThreads;
    /** Per watched address: [second since start, class] samples; class -1 while the server knows nothing of it. */
    final Map<String, List<int[]>> classes = new LinkedHashMap<>();
    /** Per watched address: seconds from the start until its class was 4 or more (shaped), or absent. */
    final Map<String, Double> secondsToShaped = Collections.synchronizedMap(new LinkedHashMap<>());
    /** The load tool's oversleep when it parks for 10 ms, in microseconds. */
    final Histogram lagMicros = new Histogram(TimeUnit.MINUTES.toMicros(1), 3);

    ServerWatch(JamesChild james, long startNanos) {
        this.james = james;
        this.startNanos = startNanos;
    }

    double seconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    void startProcessProbe() {
        spawn("probe-proc", () -> {
            try {
                maxRssKb = Math.max(maxRssKb, james.rssKb());
                maxThreads = Math.max(maxThreads, james.osThreads());
            } catch (Exception e) {
                // the process ended: the phase reports it
            }
        }, 1000);
    }

    void startLagProbe() {
        Thread thread = new Thread(() -> {
            while (!stop) {
                long before = System.nanoTime();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                long over = (System.nanoTime() - before) / 1000 - 10_000;
                synchronized (lagMicros) {
                    lagMicros.recordValue(Math.max(0, Math.min(over, lagMicros.getHighestTrackableValue())));
                }
            }
        }, "probe-lag");
        thread.setDaemon(true);
        thread.start();
        threads.add(thread);
    }

    void startClassProbe(List<String> addresses, int everyMillis) {
        for (String address : addresses) {
            classes.put(address, Collections.synchronizedList(new ArrayList<>()));
        }
        spawn("probe-class", () -> {
            for (String address : addresses) {
                int level = classOf(address);
                int second = (int) Math.round(seconds());
                classes.get(address).add(new int[] {second, level});
                if (level >= 4 && !secondsToShaped.containsKey(address)) {
                    secondsToShaped.put(address, seconds());
                }
            }
        }, everyMillis);
    }

    int classOf(String address) {
        try {
            String[] reply = james.webAdmin("GET", "/shaping/reputation/" + address, null);
            if (!"200".equals(reply[0])) {
                return -1;
            }
            Matcher matcher = CLASS.matcher(reply[1]);
            return matcher.find() ? Integer.parseInt(matcher.group(1)) : -1;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** Messages in the user's INBOX, or -1 (no INBOX yet, or no answer). */
    long inboxCount(String user) {
        try {
            String[] reply = james.webAdmin("GET", "/users/" + user + "/mailboxes/INBOX/messageCount", null);
            Matcher matcher = COUNT.matcher(reply[1]);
            return "200".equals(reply[0]) && matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    void spawn(String name, Runnable probe, int everyMillis) {
        Thread thread = new Thread(() -> {
            while (!stop) {
                long next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(everyMillis);
                probe.run();
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        threads.add(thread);
    }

    void stop() throws InterruptedException {
        stop = true;
        for (Thread thread : threads) {
            thread.join(30_000);
        }
    }

    static long ownCpuTicks() {
        try {
            return ProcCpu.cpuTicks(ProcessHandle.current().pid());
        } catch (Exception e) {
            return -1;
        }
    }
}
