package org.jamesshaping.admin.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.UndeclaredThrowableException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import javax.management.JMX;
import javax.management.MBeanServerConnection;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import org.jamesshaping.admin.ShapingMBean;
import org.jamesshaping.admin.ShapingManagement;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code james-shaping cli}: reputation operations over James's JMX port, with james-cli's connection flags
 * ({@code -h}, {@code -p}, {@code -username}, {@code -password}) and its credential lookup
 * ({@code ~/conf/jmxremote.password}, {@code ./conf/jmxremote.password}, {@code ../conf/jmxremote.password}).
 * Needs only the JDK and this jar, so it also runs inside the official James container:
 * {@code java -jar /root/extensions-jars/james-shaping.jar reputation 203.0.113.7}.
 *
 * <p>Exit codes: 0 ok, 1 not found, 2 usage or bad input, 3 James unreachable.</p>
 */
@Command(name = "james-shaping cli", mixinStandardHelpOptions = false, sortOptions = false,
    description = "Query and correct sender reputation on a running James server.",
    subcommands = {
        ShapingCli.Reputation.class, ShapingCli.Top.class, ShapingCli.Allow.class, ShapingCli.Block.class,
        ShapingCli.Pin.class, ShapingCli.Report.class, ShapingCli.Forget.class, ShapingCli.ListStatuses.class,
        ShapingCli.Export.class, ShapingCli.Import.class, CommandLine.HelpCommand.class
    })
public class ShapingCli implements Callable<Integer> {
    public static final int OK = 0;
    public static final int NOT_FOUND = 1;
    public static final int USAGE = 2;
    public static final int UNREACHABLE = 3;

    @Option(names = {"-h", "--host"}, description = "JMX host (default: ${DEFAULT-VALUE})", defaultValue = "127.0.0.1")
    String host;

    @Option(names = {"-p", "--port"}, description = "JMX port (default: ${DEFAULT-VALUE})", defaultValue = "9999")
    int port;

    @Option(names = {"-username", "--username"}, description = "JMX user (default: read from jmxremote.password)")
    String username;

    @Option(names = {"-password", "--password"}, description = "JMX password (default: read from jmxremote.password)")
    String password;

    @Option(names = "--help", usageHelp = true, description = "Show this help")
    boolean help;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final Map<String, String> environment;

    public ShapingCli() {
        this(System.getenv());
    }

    ShapingCli(Map<String, String> environment) {
        this.environment = environment;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int exit = run(args, out, err, System.getenv());
        // Tables are printed whole, without a line end of their own to flush them.
        out.flush();
        err.flush();
        System.exit(exit);
    }

    public static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> environment) {
        CommandLine commandLine = new CommandLine(new ShapingCli(environment));
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExitCodeExceptionMapper(exception -> USAGE);
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            err.println(exception.getMessage());
            exception.getCommandLine().usage(err);
            return USAGE;
        });
        commandLine.setExecutionExceptionHandler((exception, parsed, result) -> {
            err.println("Error: " + exception.getMessage());
            return exception instanceof IOException ? UNREACHABLE : USAGE;
        });
        return commandLine.execute(args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return USAGE;
    }

    interface Operation {
        int run(ShapingMBean shaping, PrintWriter out) throws Exception;
    }

    int withShaping(Operation operation) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Object> env = new HashMap<>();
        Optional<String[]> credentials = credentials();
        credentials.ifPresent(pair -> env.put(JMXConnector.CREDENTIALS, pair));
        JMXServiceURL url;
        try {
            url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + host + ":" + port + "/jmxrmi");
        } catch (IOException e) {
            err.println("Error: bad JMX address " + host + ":" + port);
            return USAGE;
        }
        JMXConnector connector;
        try {
            connector = JMXConnectorFactory.connect(url, env);
        } catch (IOException | SecurityException e) {
            err.println("Error: cannot connect to James JMX at " + host + ":" + port + ": " + e.getMessage());
            return UNREACHABLE;
        }
        try (connector) {
            MBeanServerConnection connection = connector.getMBeanServerConnection();
            ObjectName name = new ObjectName(ShapingManagement.OBJECT_NAME);
            if (!connection.isRegistered(name)) {
                err.println("Error: " + ShapingManagement.OBJECT_NAME + " is not registered: is org.jamesshaping.ShapingStartable "
                    + "listed in guice.extension.startable of extensions.properties?");
                return UNREACHABLE;
            }
            return operation.run(JMX.newMBeanProxy(connection, name, ShapingMBean.class), out);
        } catch (RuntimeMBeanException e) {
            return reportRemote(e.getTargetException(), err);
        } catch (UndeclaredThrowableException e) {
            Throwable cause = e.getCause() instanceof RuntimeMBeanException
                ? ((RuntimeMBeanException) e.getCause()).getTargetException() : e.getCause();
            return reportRemote(cause, err);
        } catch (IllegalArgumentException | IllegalStateException e) {
            return reportRemote(e, err);
        } catch (MalformedObjectNameException e) {
            throw new IllegalStateException(e);
        } catch (Exception e) {
            err.println("Error: " + e.getMessage());
            return UNREACHABLE;
        }
    }

    private static int reportRemote(Throwable cause, PrintWriter err) {
        err.println("Error: " + cause.getMessage());
        return cause instanceof IllegalArgumentException ? USAGE : UNREACHABLE;
    }

    private Optional<String[]> credentials() {
        if (username != null && password != null) {
            return Optional.of(new String[] {username, password});
        }
        for (Path candidate : passwordFiles()) {
            if (Files.isReadable(candidate)) {
                try {
                    for (String line : Files.readAllLines(candidate, StandardCharsets.UTF_8)) {
                        String trimmed = line.trim();
                        if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                            String[] parts = trimmed.split("\\s+", 2);
                            if (parts.length == 2) {
                                return Optional.of(new String[] {username != null ? username : parts[0], parts[1]});
                            }
                        }
                    }
                } catch (IOException e) {
                    // try the next location, as james-cli does
                }
            }
        }
        return Optional.empty();
    }

    private List<Path> passwordFiles() {
        String explicit = environment.get("SHAPING_JMX_PASSWORD_FILE");
        String home = System.getProperty("user.home");
        if (explicit != null && !explicit.isBlank()) {
            return List.of(Paths.get(explicit));
        }
        return List.of(Paths.get(home, "conf", "jmxremote.password"),
            Paths.get("conf", "jmxremote.password"),
            Paths.get("..", "conf", "jmxremote.password"));
    }

    @Command(name = "reputation", description = "Show an address's (or network's) record, its subnet's, and its effective status.")
    static class Reputation implements Callable<Integer> {
        @CommandLine.ParentCommand
        ShapingCli parent;

        @Parameters(paramLabel = "ADDRESS", description = "IP address or CIDR")
        String address;

        @Override
        public Integer call() {
            return parent.withShaping((shaping, out) -> {
                String json = shaping.reputation(address);
                out.println(json);
                return json.contains("\"known\" : true") ? OK : NOT_FOUND;
            });
        }
    }

    @Command(name = "top", description = "List the worst-scored senders.")
    static class Top implements Callable<Integer> {
        @CommandLine.ParentCommand
        ShapingCli parent;

        @Parameters(paramLabel = "N", defaultValue = "20", description = "How many (default: ${DEFAULT-VALUE})")
        int limit;

        @Option(names = "--json", description = "Print JSON (as WebAdmin) instead of a table")
        boolean json;

        @Override
        public Integer call() {
            return parent.withShaping((shaping, out) -> {
                out.print(json ? shaping.top(limit) + "\n" : shaping.topTable(limit));
                return OK;
            });
        }
    }

    @Command(name = "list", description = "List the operator entries in force (block, allow, pin), by address.")
    static class ListStatuses implements Callable<Integer> {
        @CommandLine.ParentCommand
        ShapingCli parent;

        @Parameters(paramLabel = "STATUS", arity = "0..1", description = "block, allow or pin (default: all)")
        String status;

        @Option(names = "--limit", defaultValue = "100", description = "At most this many (default: ${DEFAULT-VALUE}, at most 1000)")
        int limit;

        @Option(names = "--offset", defaultValue = "0", description = "Skip this many first (default: ${DEFAULT-VALUE})")
        int offset;

        @Option(names = "--json", description = "Print JSON (as WebAdmin) instead of a table")
        boolean json;

        @Override
        public Integer call() {
            return parent.withShaping((shaping, out) -> {
                out.print(json ? shaping.statuses(status, limit, offset) + "\n" : shaping.statusesTable(status, limit, offset));
                return OK;
            });
        }
    }

    @Command(name = "export", description = "Write every operator entry in force as a status file (address,status,ttl,reason).")
    static class Export implements Callable<Integer> {
        @CommandLine.ParentCommand
        ShapingCli parent;

        @Parameters(paramLabel = "FILE", arity = "0..1", description = "Where to write (default: standard output)")
        Path file;

        @Override
        public Integer call() {
            return parent.withShaping((shaping, out) -> {
                String statuses = shaping.exportStatuses();
                if (file == null) {
                    out.print(statuses);
                } else {
                    Files.writeString(file, statuses, StandardCharsets.UTF_8);
                    out.println("Wrote " + (statuses.lines().count() - 1) + " entries to " + file);
                }
                return OK;
            });
        }
    }

    @Command(name = "import", description = "Set every entry of a status file (address,status,ttl,reason); one bad line and nothing is set.")
    static class Import implements Callable<Integer> {
        @CommandLine.ParentCommand
        ShapingCli parent;

        @Parameters(paramLabel = "FILE", description = "A status file, as written by export")
        Path file;

        @Option(names = "--force", description = "Accept networks wider than admin.status.min.prefix.ipv4/ipv6")
        boolean force;

        @Override
        public Integer call() {
            String statuses;
            try {
                statuses = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                parent.spec.commandLine().getErr().println("Error: cannot read " + file + ": " + e.getMessage());
                return USAGE;
            }
            return parent.withShaping((shaping, out) -> {
                out.println(shaping.importStatuses(statuses, force));
                return OK;
            });
        }
    }

    /** The options every operator entry (allow, block, pin) takes. */
    static class EntryOptions {
        @Option(names = "--reason", description = "Why (logged with every decision; a blocked client sees it in the 554 reply)")
        String reason;

        @Option(names = "--ttl", description = "How long: 30m, 12h, 1d, 2w or ISO-8601 (default: no expiry)")
        String ttl;

        @Option(names = "--force", description = "Accept a network wider than admin.status.min.prefix.ipv4/ipv6 (e.g. 0.0.0.0/0)")
        boolean force;
    }

    abstract static class StatusCommand implements Callable<Integer> {
        @CommandLine.ParentCommand
        ShapingCli parent;

        @Parameters(paramLabel = "ADDRESS", description = "IP address or CIDR")
        String address;

        @Mixin
        EntryOptions entry;

        abstract String status();

        @Override
        public Integer call() {
            return parent.withShaping((shaping, out) -> {
                out.println(shaping.setStatus(address, status(), entry.reason, entry.ttl, entry.force));
                return OK;
            });
        }
    }

    @Command(name = "allow", description = "Never shape or block an address or network.")
    static class Allow extends StatusCommand {
        @Override
        String status() {
            return "allow";
        }
    }

    @Command(name = "block", description = "Reject an address or network with 554 5.7.1 at its first command.")
    static class Block extends StatusCommand {
        @Override
        String status() {
            return "block";
        }
    }

    @Command(name = "pin", description = "Shape an address or network as a fixed class, 0 (trusted) to 9 (blocked).")
    static class Pin implements Callable<Integer> {
        @CommandLine.ParentCommand
        ShapingCli parent;

        @Parameters(index = "0", paramLabel = "ADDRESS", description = "IP address or CIDR")
        String address;

        @Parameters(index = "1", paramLabel = "CLASS", description = "0 to 9")
        int shapingClass;

        @Mixin
        EntryOptions entry;

        @Override
        public Integer call() {
            return parent.withShaping((shaping, out) -> {
                out.println(shaping.pin(address, shapingClass, entry.reason, entry.ttl, entry.force));
                return OK;
            });
        }
    }

    @Command(name = "report", description = "Report a sending address as a source of spam or of ham.")
    static class Report implements Callable<Integer> {
        @CommandLine.ParentCommand
        ShapingCli parent;

        @Parameters(index = "0", paramLabel = "ADDRESS", description = "IP address")
        String address;

        @Parameters(index = "1", paramLabel = "VERDICT", description = "spam or ham")
        String verdict;

        @Override
        public Integer call() {
            return parent.withShaping((shaping, out) -> {
                shaping.report(address, verdict);
                out.println("Reported " + address + " as " + verdict);
                return OK;
            });
        }
    }

    @Command(name = "forget", description = "Delete everything known about an address or network, status included.")
    static class Forget implements Callable<Integer> {
        @CommandLine.ParentCommand
        ShapingCli parent;

        @Parameters(paramLabel = "ADDRESS", description = "IP address or CIDR")
        String address;

        @Override
        public Integer call() {
            return parent.withShaping((shaping, out) -> {
                boolean existed = shaping.forget(address);
                out.println(existed ? "Forgot " + address : "Nothing known about " + address);
                return existed ? OK : NOT_FOUND;
            });
        }
    }
}
