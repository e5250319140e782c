package org.jamesshaping.shaping;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.jamesshaping.runtime.Durations;
import org.jamesshaping.scoring.ClassDecision;

/**
 * The ten shaping classes and the global switches, read from the {@code TrafficShaper} handler block:
 *
 * <pre>{@code
 * <handler class="org.jamesshaping.smtp.TrafficShaper">
 *     <preset>stage3</preset>               <!-- default; stage1 (gentle) .. stage5 (aggressive) -->
 *     <dryRun>false</dryRun>
 *     <maxHeldConnections>20000</maxHeldConnections>
 *     <maxDelay>30s</maxDelay>             <!-- caps every greeting delay, reply delay and read pause -->
 *     <pregreet>1500ms</pregreet>          <!-- the greeting's last line waits this long for senders not known good; 0: off -->
 *     <class level="7">                     <!-- overrides keys of one class of the preset -->
 *         <greetingDelay>10s</greetingDelay>
 *         <dataReadRate>32768</dataReadRate>
 *     </class>
 * </handler>
 * }</pre>
 *
 * Class 0 is trusted and 9 is blocked (refused with 554 at its first command); the presets leave 0 to 3 unshaped.
 */
public final class ShapingPolicy {
    /**
     * Past it many clients give up on a reply, and a held sender would only retry: Netty's traffic shaper caps its
     * waits at 15 s, OpenBSD spamd stutters at most a few seconds per line. Stage 3 never reaches it.
     */
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(30);
    /**
     * How long the last line of a multi-line greeting waits for a sender not yet known good (postscreen's pregreet
     * test): a bot that talks first gives itself away. Each legitimate MTA pays it once per half-life.
     */
    public static final Duration DEFAULT_PREGREET = Duration.ofMillis(1500);


    private final List<ClassSettings> classes;
    private final boolean dryRun;
    private final int maxHeldConnections;
    private final int receiveBufferBytes;
    private final Duration maxDelay;
    private final Duration pregreet;
    private final String preset;

    private ShapingPolicy(List<ClassSettings> classes, boolean dryRun, int maxHeldConnections, int receiveBufferBytes,
                          Duration maxDelay, Duration pregreet, String preset) {
        List<ClassSettings> capped = new ArrayList<>();
        classes.forEach(settings -> capped.add(settings.withDelaysAtMost(maxDelay)));
        this.classes = List.copyOf(capped);
        this.maxDelay = maxDelay;
        this.pregreet = pregreet.compareTo(maxDelay) > 0 ? maxDelay : pregreet;
        this.dryRun = dryRun;
        this.maxHeldConnections = maxHeldConnections;
        this.receiveBufferBytes = receiveBufferBytes;
        this.preset = preset;
    }

    public static ShapingPolicy defaults() {
        return new ShapingPolicy(preset("stage3"), false, 20_000, 16_384, DEFAULT_MAX_DELAY, DEFAULT_PREGREET, "stage3");
    }

    /**
     * The built-in presets. Stage 3 (the default):
     * <pre>
     * class greeting reply  cmd B/s  data B/s  conn/IP conn/net conn/min rcpt/txn msgs/conn
     * 0-3   -        -      -        -         -       -        -        -        -
     * 4     1s       200ms  -        262144    10      50       60       100      50
     * 5     3s       500ms  4096     131072    5       25       30       50       20
     * 6     6s       1s     2048     65536     3       15       15       25       10
     * 7     10s      2s     1024     32768     2       10       10       10       5
     * 8     20s      5s     512      8192      1       5        5        5        2      + messages refused at DATA (550)
     * 9     blocked: 554 5.7.1 at the first command, without delay
     * </pre>
     * Stages 1 and 2 divide delays by 4 and 2 and multiply rates and limits by 4 and 2; stages 4 and 5 do the
     * opposite, and also slow class 3 (new and unknown senders) a little.
     */
    static List<ClassSettings> preset(String name) {
        double factor;
        switch (name) {
            case "stage1": factor = 0.25; break;
            case "stage2": factor = 0.5; break;
            case "stage3": factor = 1; break;
            case "stage4": factor = 2; break;
            case "stage5": factor = 4; break;
            default: throw new IllegalArgumentException("unknown preset '" + name + "': use stage1 to stage5");
        }
        List<ClassSettings> base = new ArrayList<>();
        for (int level = 0; level <= 3; level++) {
            base.add(ClassSettings.UNSHAPED);
        }
        base.add(new ClassSettings(Duration.ofSeconds(1), Duration.ofMillis(200), 0, 262_144, 10, 50, 60, 100, 50, false));
        base.add(new ClassSettings(Duration.ofSeconds(3), Duration.ofMillis(500), 4096, 131_072, 5, 25, 30, 50, 20, false));
        base.add(new ClassSettings(Duration.ofSeconds(6), Duration.ofSeconds(1), 2048, 65_536, 3, 15, 15, 25, 10, false));
        base.add(new ClassSettings(Duration.ofSeconds(10), Duration.ofSeconds(2), 1024, 32_768, 2, 10, 10, 10, 5, false));
        // Class 8 is where spamtrap and dictionary-attack senders land: slowed, and their mail refused at DATA.
        base.add(new ClassSettings(Duration.ofSeconds(20), Duration.ofSeconds(5), 512, 8192, 1, 5, 5, 5, 2, true));
        // Class 9 is refused at its first command; holding it would only cost this server.
        base.add(ClassSettings.UNSHAPED);
        List<ClassSettings> scaled = new ArrayList<>();
        for (int level = 0; level < ClassDecision.CLASSES; level++) {
            scaled.add(level < 4 || level == ClassDecision.BLOCKED ? base.get(level) : base.get(level).scaled(factor));
        }
        if (factor > 1) {
            scaled.set(3, new ClassSettings(Duration.ofMillis(Math.round(500 * factor)), Duration.ZERO, 0, 0, 0, 0, 0, 0, 0, false));
        }
        return scaled;
    }

    /** The elements of a TrafficShaper {@code <handler>} (its {@code <reputation>} block is the scoring's). */
    public static final Set<String> HANDLER_KEYS = Set.of("preset", "dryRun", "maxHeldConnections", "maxDelay", "pregreet",
        "receiveBuffer", "class", "reputation");
    /** The elements of a {@code <class level="N">} override. */
    public static final Set<String> CLASS_KEYS = Set.of("greetingDelay", "replyDelay", "commandReadRate", "dataReadRate",
        "maxConnectionsPerIp", "maxConnectionsPerSubnet", "connectionsPerMinutePerIp", "maxRecipientsPerTransaction",
        "maxMessagesPerConnection", "rejectAtData");

    public static ShapingPolicy from(HierarchicalConfiguration<ImmutableNode> config) throws ConfigurationException {
        String presetName = config.getString("preset", "stage3").trim().toLowerCase(Locale.US);
        List<ClassSettings> classes;
        try {
            classes = new ArrayList<>(preset(presetName));
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("TrafficShaper: " + e.getMessage());
        }
        for (HierarchicalConfiguration<ImmutableNode> classConfig : config.configurationsAt("class")) {
            String levelText = classConfig.getString("[@level]");
            int level;
            try {
                level = Integer.parseInt(levelText == null ? "" : levelText.trim());
            } catch (NumberFormatException e) {
                throw new ConfigurationException("TrafficShaper: <class> needs level=\"0\" to \"9\", got '" + levelText + "'");
            }
            if (level < 0 || level >= ClassDecision.CLASSES) {
                throw new ConfigurationException("TrafficShaper: class level must be 0 to 9, got " + level);
            }
            classes.set(level, override(classes.get(level), classConfig, level));
        }
        return new ShapingPolicy(classes,
            config.getBoolean("dryRun", false),
            nonNegativeInt(config, "maxHeldConnections", 20_000, "global"),
            nonNegativeInt(config, "receiveBuffer", 16_384, "global"),
            maxDelay(config),
            duration(config, "pregreet", DEFAULT_PREGREET, "global"),
            presetName);
    }

    private static Duration maxDelay(Configuration config) throws ConfigurationException {
        Duration value = duration(config, "maxDelay", DEFAULT_MAX_DELAY, "global");
        if (value.isZero()) {
            throw new ConfigurationException("TrafficShaper: maxDelay must be more than 0 (it caps every delay), got '"
                + config.getString("maxDelay") + "'");
        }
        return value;
    }

    private static ClassSettings override(ClassSettings base, Configuration config, int level) throws ConfigurationException {
        String where = "class " + level;
        return new ClassSettings(
            duration(config, "greetingDelay", base.greetingDelay(), where),
            duration(config, "replyDelay", base.replyDelay(), where),
            nonNegativeLong(config, "commandReadRate", base.commandReadRate(), where),
            nonNegativeLong(config, "dataReadRate", base.dataReadRate(), where),
            nonNegativeInt(config, "maxConnectionsPerIp", base.maxConnectionsPerIp(), where),
            nonNegativeInt(config, "maxConnectionsPerSubnet", base.maxConnectionsPerSubnet(), where),
            nonNegativeInt(config, "connectionsPerMinutePerIp", base.connectionsPerMinutePerIp(), where),
            nonNegativeInt(config, "maxRecipientsPerTransaction", base.maxRecipientsPerTransaction(), where),
            nonNegativeInt(config, "maxMessagesPerConnection", base.maxMessagesPerConnection(), where),
            config.getBoolean("rejectAtData", base.rejectAtData()));
    }

    private static Duration duration(Configuration config, String key, Duration defaultValue, String where) throws ConfigurationException {
        String raw = config.getString(key);
        if (raw == null) {
            return defaultValue;
        }
        try {
            return Durations.parse(raw, ChronoUnit.MILLIS);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("TrafficShaper " + where + ": " + key + ": " + e.getMessage());
        }
    }

    private static long nonNegativeLong(Configuration config, String key, long defaultValue, String where) throws ConfigurationException {
        String raw = config.getString(key);
        if (raw == null) {
            return defaultValue;
        }
        try {
            long value = Long.parseLong(raw.trim());
            if (value < 0) {
                throw new ConfigurationException("TrafficShaper " + where + ": " + key + " must be 0 (no limit) or more, got " + value);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new ConfigurationException("TrafficShaper " + where + ": " + key + " is not a number: '" + raw + "'");
        }
    }

    private static int nonNegativeInt(Configuration config, String key, int defaultValue, String where) throws ConfigurationException {
        return (int) Math.min(Integer.MAX_VALUE, nonNegativeLong(config, key, defaultValue, where));
    }

    public ClassSettings settings(int level) {
        return classes.get(level);
    }

    public boolean dryRun() {
        return dryRun;
    }

    public int maxHeldConnections() {
        return maxHeldConnections;
    }

    /** The longest any greeting delay, reply delay or read pause may be, whatever the class says. */
    public Duration maxDelay() {
        return maxDelay;
    }

    /** The pregreet wait; zero when the test is off. */
    public Duration pregreet() {
        return pregreet;
    }

    public int receiveBufferBytes() {
        return receiveBufferBytes;
    }

    public String preset() {
        return preset;
    }

}
