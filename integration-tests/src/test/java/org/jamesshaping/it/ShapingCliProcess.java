package org.jamesshaping.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** {@code james-shaping cli} from the shaded jar in its own JVM, from James's home, as an operator runs it. */
public final class ShapingCliProcess {
    public final int exit;
    public final String out;
    public final String err;

    private ShapingCliProcess(int exit, String out, String err) {
        this.exit = exit;
        this.out = out;
        this.err = err;
    }

    public static ShapingCliProcess run(JamesTestServer james, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", TestEnvironment.extensionJar().toString(),
            "org.jamesshaping.admin.cli.ShapingCli",
            "-p", String.valueOf(james.jmxPort())));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(james.home().root().toFile()).start();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
        byte[] out = readAll(process.getInputStream());
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the CLI did not end within 60 s: " + command);
        }
        return new ShapingCliProcess(process.exitValue(), new String(out, StandardCharsets.UTF_8),
            new String(err.get(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(InputStream in) {
        try {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            in.transferTo(buffer);
            return buffer.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "exit " + exit + "\nout: " + out + "\nerr: " + err;
    }
}
