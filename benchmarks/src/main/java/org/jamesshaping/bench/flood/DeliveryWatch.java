package org.jamesshaping.bench.flood;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

/**
 * End-to-end delivery of legitimate mail: each legitimate recipient's INBOX message count, polled through WebAdmin
 * every {@link #POLL_MILLIS} ms, gives the time its k-th message arrived, matched to the k-th message the load tool
 * had accepted for it (mail to one recipient from one sender, one session after the other, arrives in order up to
 * the spooler's parallelism). Resolution: the poll interval.
 */
final class DeliveryWatch {
    static final int POLL_MILLIS = 500;

    /** Delivery delays of the accepted messages, and how many never arrived. */
    static final class Delays {
        final Histogram millis;
        final long delivered;
        final long undelivered;

        Delays(Histogram millis, long delivered, long undelivered) {
            this.millis = millis;
            this.delivered = delivered;
            this.undelivered = undelivered;
        }
    }

    private final ServerWatch watch;
    private final List<String> users;
    /** Per user: [nanoTime of the poll, count] each time the count grew. */
    private final Map<String, List<long[]>> arrivals = new HashMap<>();
    private final Map<String, Long> counts = new HashMap<>();
    private Thread thread;
    private volatile boolean stop;

    DeliveryWatch(ServerWatch watch, List<String> users) {
        this.watch = watch;
        this.users = users;
        for (String user : users) {
            arrivals.put(user, new CopyOnWriteArrayList<>());
            counts.put(user, 0L);
        }
    }

    void start() {
        thread = new Thread(() -> {
            while (!stop) {
                long next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS);
                for (String user : users) {
                    long count = watch.inboxCount(user);
                    synchronized (this) {
                        if (count > counts.get(user)) {
                            counts.put(user, count);
                            arrivals.get(user).add(new long[] {System.nanoTime(), count});
                        }
                    }
                }
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    try {
                        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(wait));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }, "probe-delivery");
        thread.setDaemon(true);
        thread.start();
    }

    void stop() throws InterruptedException {
        stop = true;
        thread.join(30_000);
    }

    synchronized boolean allDelivered(List<LegitSenders.Transaction> accepted) {
        Map<String, Long> expected = new HashMap<>();
        accepted.forEach(transaction -> expected.merge(transaction.recipient, 1L, Long::sum));
        return expected.entrySet().stream().allMatch(entry -> counts.getOrDefault(entry.getKey(), 0L) >= entry.getValue());
    }

    synchronized Delays delays(List<LegitSenders.Transaction> accepted) {
        Histogram millis = new Histogram(TimeUnit.HOURS.toMillis(1), 3);
        long delivered = 0;
        long undelivered = 0;
        Map<String, List<LegitSenders.Transaction>> byUser = new HashMap<>();
        for (LegitSenders.Transaction transaction : accepted) {
            byUser.computeIfAbsent(transaction.recipient, user -> new ArrayList<>()).add(transaction);
        }
        for (Map.Entry<String, List<LegitSenders.Transaction>> entry : byUser.entrySet()) {
            List<LegitSenders.Transaction> sent = entry.getValue();
            sent.sort(Comparator.comparingLong(transaction -> transaction.acceptedNanos));
            List<long[]> seen = arrivals.getOrDefault(entry.getKey(), List.of());
            int arrival = 0;
            for (int k = 0; k < sent.size(); k++) {
                while (arrival < seen.size() && seen.get(arrival)[1] < k + 1) {
                    arrival++;
                }
                if (arrival == seen.size()) {
                    undelivered += sent.size() - k;
                    break;
                }
                long delay = TimeUnit.NANOSECONDS.toMillis(seen.get(arrival)[0] - sent.get(k).acceptedNanos);
                millis.recordValue(Math.max(0, Math.min(delay, millis.getHighestTrackableValue())));
                delivered++;
            }
        }
        return new Delays(millis, delivered, undelivered);
    }
}
