package org.jamesshaping.bench.shaping;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.jamesshaping.launcher.ConfFolder;

/** A copy of james-conf/ with checked text replacements (each must find its text, so drift is loud). */
public final class BenchConf {
    /** The shaper's {@code <handler>} block in smtpserver.xml, with its configuration (a regular expression). */
    private static final String TRAFFIC_SHAPER_BLOCK = "<handler class=\"org\\.jamesshaping\\.smtp\\.TrafficShaper\">.*?</handler>";
    /** The signal recorder's {@code <handler>} line (a regular expression). */
    private static final String SIGNAL_RECORDER_LINE = "<handler class=\"org\\.jamesshaping\\.smtp\\.SmtpSignalRecorder\"/>";

    private final ConfFolder folder;

    private BenchConf(ConfFolder folder) {
        this.folder = folder;
    }

    public static BenchConf copyOfSample(Path dir) throws IOException {
        return new BenchConf(ConfFolder.copyOf(BenchSupport.root().resolve("james-conf"), dir));
    }

    public Path dir() {
        return folder.dir();
    }

    public String read(String file) {
        return folder.read(file);
    }

    void write(String file, String content) {
        folder.write(file, content);
    }

    public BenchConf replace(String file, String expected, String replacement) {
        folder.replace(file, expected, replacement);
        return this;
    }

    public BenchConf replaceRegex(String file, String regex, String replacement) {
        folder.replaceRegex(file, regex, replacement);
        return this;
    }

    /** The content-filter mailets (they need the extension's Guice module), as if never configured. */
    public BenchConf withoutContentFilters() throws IOException {
        replaceRegex("mailetcontainer.xml", "\\s*<mailet match=\"[^\"]*\" class=\"org\\.jamesshaping\\.[^\"]*\">.*?</mailet>", "");
        String content = read("mailetcontainer.xml");
        write("mailetcontainer.xml", content.replaceAll("(?s)\\s*<mailet match=\"org\\.jamesshaping\\.[^\"]*\" class=\"[^\"]*\">.*?</mailet>", ""));
        return this;
    }

    /**
     * Plain James: no james-shaping handler, James's default core handlers (with its welcome handler), no
     * Guice module or startable, no WebAdmin routes of the extension. Everything else as in james-conf/.
     */
    public BenchConf withoutExtension() throws IOException {
        withoutShapingHandlers();
        replaceRegex("extensions.properties", "(?m)^guice\\.extension\\.module=[^\\n]*$", "");
        replaceRegex("extensions.properties", "(?m)^guice\\.extension\\.startable=[^\\n]*$", "");
        replace("webadmin.properties", "org.jamesshaping.admin.ShapingRoutes,", "");
        replace("webadmin.properties", "org.jamesshaping.admin.ContentReportRoutes,", "");
        replaceRegex("healthcheck.properties", "(?m)^additional\\.healthchecks=[^\\n]*$", "");
        for (String file : List.of("smtpserver.xml", "mailetcontainer.xml", "extensions.properties", "webadmin.properties",
            "healthcheck.properties")) {
            String live = read(file).replaceAll("(?s)<!--.*?-->", "").replaceAll("(?m)^\\s*#.*$", "");
            if (live.contains("org.jamesshaping")) {
                throw new IllegalStateException(file + " still references org.jamesshaping after removing the extension");
            }
        }
        return this;
    }

    /**
     * The extension's module, store and WebAdmin routes without its SMTP handlers (James's default core
     * handlers, no shaper, no signal recorder) nor content filters: what the extension costs before it looks at
     * a single connection.
     */
    BenchConf withoutShapingHandlers() throws IOException {
        withoutContentFilters();
        replace("smtpserver.xml", " coreHandlersPackage=\"org.jamesshaping.smtp.ShapingCoreCmdHandlerLoader\"", "");
        replaceRegex("smtpserver.xml", "\\s*" + TRAFFIC_SHAPER_BLOCK, "");
        replaceRegex("smtpserver.xml", "\\s*" + SIGNAL_RECORDER_LINE, "");
        if (read("smtpserver.xml").replaceAll("(?s)<!--.*?-->", "").contains("org.jamesshaping")) {
            throw new IllegalStateException("smtpserver.xml still references org.jamesshaping after removing the shaping handlers");
        }
        return this;
    }

    /**
     * The extension with its two SMTP handlers replaced by ones that do nothing ({@link NoopShaper}, which writes
     * the greeting, and {@link NoopSignalRecorder}): the same chain, module and core handlers, without the
     * handlers' work. What James spends on having them in its chain.
     */
    BenchConf withNoopShapingHandlers() throws IOException {
        withoutContentFilters();
        replaceRegex("smtpserver.xml", TRAFFIC_SHAPER_BLOCK, "<handler class=\"" + NoopShaper.class.getName() + "\"/>");
        replaceRegex("smtpserver.xml", SIGNAL_RECORDER_LINE, "<handler class=\"" + NoopSignalRecorder.class.getName() + "\"/>");
        return this;
    }

    /**
     * Local delivery discarded (Null mailet) after AddDeliveredToHeader: James memory's delivery guesses thread
     * ids by searching the whole mailbox, which makes each delivery slower as the mailbox grows.
     */
    BenchConf discardLocalDelivery() throws IOException {
        return replace("mailetcontainer.xml", "<mailet match=\"All\" class=\"LocalDelivery\"/>", "<mailet match=\"All\" class=\"Null\"/>");
    }

    /** Replaces the TrafficShaper's preset line with the preset followed by class overrides. */
    BenchConf shaperClasses(String classesXml) throws IOException {
        return replace("smtpserver.xml", "<preset>stage3</preset>", "<preset>stage3</preset>\n" + classesXml);
    }

    /** A {@code <class>} override block with every key given. Durations like "20s", rates in bytes/s, 0 = none. */
    static String classBlock(int level, String greetingDelay, String replyDelay, long commandRate, long dataRate,
                             int perIp, int perSubnet, int perMinute, int rcpts, int msgs) {
        return String.format(Locale.ROOT, "                <class level=\"%d\"><greetingDelay>%s</greetingDelay><replyDelay>%s</replyDelay>"
                + "<commandReadRate>%d</commandReadRate><dataReadRate>%d</dataReadRate><maxConnectionsPerIp>%d</maxConnectionsPerIp>"
                + "<maxConnectionsPerSubnet>%d</maxConnectionsPerSubnet><connectionsPerMinutePerIp>%d</connectionsPerMinutePerIp>"
                + "<maxRecipientsPerTransaction>%d</maxRecipientsPerTransaction><maxMessagesPerConnection>%d</maxMessagesPerConnection></class>\n",
            level, greetingDelay, replyDelay, commandRate, dataRate, perIp, perSubnet, perMinute, rcpts, msgs);
    }
}
