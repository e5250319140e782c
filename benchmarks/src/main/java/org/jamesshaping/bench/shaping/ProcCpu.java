package org.jamesshaping.bench.shaping;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** CPU time of a process and of its threads, read from /proc: what the benchmarks charge to a James or a MongoDB. */
public final class ProcCpu {
    /** USER_HZ: the unit of /proc/PID/stat times, 100 on every Linux architecture this runs on. */
    private static final double CLOCK_TICKS_PER_SECOND = 100;

    private ProcCpu() {
    }

    /** One thread's CPU time so far, in clock ticks, and the group it is counted in. */
    public static final class ThreadTicks {
        final String group;
        final long ticks;

        ThreadTicks(String group, long ticks) {
            this.group = group;
            this.ticks = ticks;
        }
    }

    /** CPU clock ticks spent over {@code messages}, in microseconds per message. */
    static double microsPerMessage(long ticks, long messages) {
        return ticks * 1e6 / CLOCK_TICKS_PER_SECOND / messages;
    }

    /**
     * CPU time a process has used, user plus system, in clock ticks (fields 14 and 15 of /proc/PID/stat; the
     * command name before them may contain spaces, so fields are counted from its closing parenthesis).
     */
    public static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Paths.get("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields[0] is field 3 (state): utime is field 14, stime field 15.
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /**
     * CPU time used so far by each live thread of the process, by thread id, grouped by name with digits replaced
     * by N ("smtpserver-io-N"; names as Linux keeps them, 15 characters).
     */
    public static Map<Integer, ThreadTicks> threadTicks(long pid) throws IOException {
        Map<Integer, ThreadTicks> threads = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Paths.get("/proc/" + pid + "/task"))) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException threadEnded) {
                    continue;
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "N");
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                threads.put(Integer.parseInt(task.getFileName().toString()),
                    new ThreadTicks(name, Long.parseLong(fields[11]) + Long.parseLong(fields[12])));
            }
        }
        return threads;
    }

    /**
     * The CPU each group of threads used between two readings: each thread alive at the second reading counts from
     * its first reading, or from zero when it started in between. Threads that ended in between are in no group, so
     * that no group is charged minus their time (the process's time less the groups' sum is theirs).
     */
    public static Map<String, Long> groupDeltas(Map<Integer, ThreadTicks> before, Map<Integer, ThreadTicks> after) {
        Map<String, Long> deltas = new TreeMap<>();
        after.forEach((id, thread) -> {
            ThreadTicks earlier = before.get(id);
            long from = earlier != null && earlier.group.equals(thread.group) ? earlier.ticks : 0;
            deltas.merge(thread.group, thread.ticks - from, Long::sum);
        });
        return deltas;
    }

    /** Per group, the CPU time of its threads so far. */
    static Map<String, Long> byGroup(Map<Integer, ThreadTicks> threads) {
        Map<String, Long> ticks = new TreeMap<>();
        threads.values().forEach(thread -> ticks.merge(thread.group, thread.ticks, Long::sum));
        return ticks;
    }
}
