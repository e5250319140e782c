package org.jamesshaping.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./james-shaping} script itself, run by bash in a copy of the repository's layout with stand-ins for
 * {@code java} and {@code mvn} on its PATH: the Java version check, the rebuild when sources are newer than the
 * build, Maven's progress, and which JMX credentials {@code cli} hands to the operator CLI.
 */
class JamesShapingScriptTest {
    private static final Path SCRIPT = Paths.get("").toAbsolutePath().getParent().resolve("james-shaping");
    private static final String JAR = "james-shaping-extension/target/james-shaping-extension-0.1.0-SNAPSHOT.jar";
    private static final String LAUNCHER_JAR = "launcher/target/launcher-0.1.0-SNAPSHOT.jar";
    private static final String SUPPORT_JAR = "test-support/target/test-support-0.1.0-SNAPSHOT.jar";
    private static final String CLASSPATH = "launcher/target/runtime-classpath.txt";
    private static final String CLASSIFY_CLASSPATH = "launcher/target/classify-classpath.txt";
    private static final String SOURCE = "launcher/src/main/java/org/jamesshaping/launcher/Launcher.java";
    private static final Instant BUILT = Instant.parse("2026-01-02T10:00:00Z");

    @TempDir
    Path root;
    Path bin;
    String javaVersion = "17.0.15";

    record Result(int exit, String out, String err) {
        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }
    }

    @BeforeEach
    void layout() throws IOException {
        Files.copy(SCRIPT, root.resolve("james-shaping"));
        for (String pom : List.of("pom.xml", "james-shaping-extension/pom.xml", "launcher/pom.xml", "test-support/pom.xml")) {
            write(pom, "<project/>", BUILT.minusSeconds(3600));
        }
        write(SOURCE, "class Launcher {}", BUILT.minusSeconds(3600));
        write("james-shaping-extension/src/main/java/A.java", "class A {}", BUILT.minusSeconds(3600));
        write("test-support/src/main/java/B.java", "class B {}", BUILT.minusSeconds(3600));
        write(JAR, "jar", BUILT);
        write(LAUNCHER_JAR, "jar", BUILT);
        write(SUPPORT_JAR, "jar", BUILT);
        // Maven rewrites the class path file only when it changes: older than the sources, it says nothing.
        write(CLASSPATH, "/nowhere.jar", BUILT.minusSeconds(7200));
        write(CLASSIFY_CLASSPATH, "/nowhere.jar", BUILT.minusSeconds(7200));
        Files.createDirectories(root.resolve("launcher/target/classes"));

        bin = Files.createDirectories(root.resolve("fake-bin"));
        for (String tool : List.of("bash", "dirname", "sed", "head", "cut", "find", "awk", "tee", "tail", "touch", "cat", "hostname")) {
            for (String dir : List.of("/usr/bin", "/bin")) {
                Path real = Paths.get(dir, tool);
                if (Files.isExecutable(real) && !Files.exists(bin.resolve(tool))) {
                    Files.createSymbolicLink(bin.resolve(tool), real);
                }
            }
        }
        executable("java", "#!/bin/bash\n"
            + "if [ \"$1\" = -version ]; then echo \"openjdk version \\\"$FAKE_JAVA_VERSION\\\" 2025-04-15\" >&2; exit 0; fi\n"
            + "echo \"java $*\"\n"
            + "echo \"SHAPING_JMX_PASSWORD_FILE=${SHAPING_JMX_PASSWORD_FILE:-}\"\n");
        executable("mvn", "#!/bin/bash\n"
            + "echo called >> \"$FAKE_ROOT/mvn-calls\"\n"
            + "echo '[INFO] Scanning for projects...'\n"
            + "for i in $(seq 1 30); do echo \"Downloaded from central: https://repo/a$i.jar (1 kB at 1 MB/s)\"; done\n"
            + "echo '[INFO] Building james-shaping test support 0.1.0-SNAPSHOT                  [1/3]'\n"
            + "echo '[INFO] Building james-shaping extension 0.1.0-SNAPSHOT                     [2/3]'\n"
            + "if [ -n \"$FAKE_MVN_FAILS\" ]; then echo '[ERROR] COMPILATION ERROR: Launcher.java:[1,1] boom'; exit 1; fi\n"
            + "echo '[INFO] Building james-shaping launcher 0.1.0-SNAPSHOT                      [3/3]'\n"
            + "echo '[INFO] BUILD SUCCESS'\n");
        Files.createSymbolicLink(bin.resolve("seq"), Paths.get(Files.isExecutable(Paths.get("/usr/bin/seq")) ? "/usr/bin/seq" : "/bin/seq"));
    }

    @Test
    void aJavaOlderThan17IsRefusedWithOneLineNamingIt() throws Exception {
        javaVersion = "11.0.2";
        Result result = script(Map.of(), "run");
        assertThat(result.exit).isEqualTo(1);
        assertThat(result.errLines()).singleElement().asString()
            .startsWith("james-shaping: needs Java 17 or later, found Java 11.0.2 at " + bin.resolve("java"));
        assertThat(mvnCalls()).isZero();

        javaVersion = "1.8.0_292";
        assertThat(script(Map.of(), "cli", "top").errLines()).singleElement().asString()
            .contains("needs Java 17 or later, found Java 1.8.0_292");
    }

    @Test
    void noJavaAtAllIsOneLineToo() throws Exception {
        Files.delete(bin.resolve("java"));
        Result result = script(Map.of(), "run");
        assertThat(result.exit).isEqualTo(1);
        assertThat(result.errLines()).singleElement().asString().contains("Java not found").contains("JDK 17");
    }

    @Test
    void anUpToDateBuildIsNotRebuilt() throws Exception {
        Result result = script(Map.of(), "cli", "top");
        assertThat(result.exit).isZero();
        assertThat(mvnCalls()).isZero();
        assertThat(result.out).contains("org.jamesshaping.admin.cli.ShapingCli top");
    }

    @Test
    void aSourceNewerThanTheJarRebuildsShowingMavensProgress() throws Exception {
        Files.setLastModifiedTime(root.resolve(SOURCE), FileTime.from(BUILT.plusSeconds(60)));
        Result result = script(Map.of(), "cli", "top");
        assertThat(result.exit).isZero();
        assertThat(mvnCalls()).isEqualTo(1);
        assertThat(result.err)
            .contains("james-shaping: building: sources changed since the last build (" + SOURCE + ")")
            .contains("  building james-shaping test support 0.1.0-SNAPSHOT [1/3]")
            .contains("  building james-shaping launcher 0.1.0-SNAPSHOT [3/3]")
            .contains("downloading dependencies (1 so far)")
            .contains("downloading dependencies (26 so far)")
            .contains("james-shaping: built in ");
        assertThat(result.err).doesNotContain("Downloaded from");
        assertThat(Files.readString(root.resolve(".james-shaping-build.log"))).contains("Downloaded from central: https://repo/a30.jar");

        // Built now: the next command starts at once.
        assertThat(script(Map.of(), "cli", "top").exit).isZero();
        assertThat(mvnCalls()).isEqualTo(1);
    }

    @Test
    void eachModuleIsComparedWithItsOwnArtifact() throws Exception {
        // A launcher source newer than the extension jar but older than the launcher jar: up to date.
        Files.setLastModifiedTime(root.resolve(LAUNCHER_JAR), FileTime.from(BUILT.plusSeconds(120)));
        Files.setLastModifiedTime(root.resolve(SOURCE), FileTime.from(BUILT.plusSeconds(60)));
        assertThat(script(Map.of(), "cli", "top").err).doesNotContain("building");

        Files.setLastModifiedTime(root.resolve("test-support/src/main/java/B.java"), FileTime.from(BUILT.plusSeconds(60)));
        assertThat(script(Map.of(), "cli", "top").err).contains("sources changed since the last build (test-support/src/main/java/B.java)");
        assertThat(mvnCalls()).isEqualTo(1);
    }

    @Test
    void aChangedPomOrAMissingJarRebuildsSayingWhy() throws Exception {
        Files.setLastModifiedTime(root.resolve("pom.xml"), FileTime.from(BUILT.plusSeconds(60)));
        assertThat(script(Map.of(), "cli", "top").err).contains("sources changed since the last build (pom.xml)");

        Files.delete(root.resolve(JAR));
        assertThat(script(Map.of(), "cli", "top").err).contains("building: no build yet (" + JAR + " missing)");
        assertThat(mvnCalls()).isEqualTo(2);
    }

    @Test
    void aFailedBuildStopsWithMavensErrorAndTheLogTail() throws Exception {
        Files.delete(root.resolve(JAR));
        Result result = script(Map.of("FAKE_MVN_FAILS", "1"), "run");
        assertThat(result.exit).isEqualTo(1);
        assertThat(result.err).contains("  [ERROR] COMPILATION ERROR: Launcher.java:[1,1] boom")
            .contains("james-shaping: the build failed; last lines of .james-shaping-build.log:");
        assertThat(result.out).doesNotContain("java -Xmx1g");
    }

    @Test
    void missingMavenIsOneLineNamingIt() throws Exception {
        Files.delete(bin.resolve("mvn"));
        Files.delete(root.resolve(JAR));
        Result result = script(Map.of(), "run");
        assertThat(result.exit).isEqualTo(1);
        assertThat(result.errLines()).singleElement().asString()
            .isEqualTo("james-shaping: Maven (mvn) not found on PATH: needed to build (no build yet (" + JAR
                + " missing)); install Maven 3.8+");
    }

    @Test
    void cliUsesTheCredentialsOfTheRunOnItsJmxPortOrOfData() throws Exception {
        Path runs = Files.createDirectories(root.resolve("runs"));
        Path elsewhere = write("elsewhere/james/conf/jmxremote.password", "james-admin secret", BUILT);
        Files.writeString(runs.resolve(Launcher.runFileName(7777)), elsewhere + "\n");
        Map<String, String> env = Map.of("JAMES_SHAPING_RUNS", runs.toString());

        Result byPort = script(env, "cli", "-p", "7777", "top", "5");
        assertThat(byPort.out).contains("ShapingCli -p 7777 top 5").contains("SHAPING_JMX_PASSWORD_FILE=" + elsewhere);

        Path data = root.resolve("my-data");
        Path dataCredentials = write("my-data/james/conf/jmxremote.password", "james-admin other", BUILT);
        Result byData = script(env, "cli", "--data", data.toString(), "-p", "7777", "top");
        assertThat(byData.out).contains("ShapingCli -p 7777 top\n").contains("SHAPING_JMX_PASSWORD_FILE=" + dataCredentials);

        Result none = script(env, "cli", "-p", "8888", "top");
        assertThat(none.err).contains("no JMX credentials at " + root.resolve(".james-shaping/james/conf/jmxremote.password"))
            .contains("pass --data DIR");
        assertThat(none.out).contains("SHAPING_JMX_PASSWORD_FILE=\n");
    }

    private Result script(Map<String, String> extraEnv, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(bin.resolve("bash").toString(), root.resolve("james-shaping").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().put("PATH", bin.toString());
        builder.environment().put("HOME", root.toString());
        builder.environment().put("FAKE_ROOT", root.toString());
        builder.environment().put("FAKE_JAVA_VERSION", javaVersion);
        builder.environment().putAll(extraEnv);
        Path out = root.resolve("out.txt");
        Path err = root.resolve("err.txt");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    private int mvnCalls() throws IOException {
        Path calls = root.resolve("mvn-calls");
        return Files.exists(calls) ? Files.readAllLines(calls).size() : 0;
    }

    private Path write(String relative, String content, Instant modified) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setLastModifiedTime(file, FileTime.from(modified));
        return file;
    }

    private void executable(String name, String content) throws IOException {
        Path file = bin.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
