package org.jamesshaping.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A folder of James configuration files copied from the sample in {@code james-conf/}, edited with checks: every
 * edit names the text it changes and fails when the file no longer has it, so that the sample and what the local
 * run, the tests and the benchmarks change in it cannot drift apart silently.
 */
public final class ConfFolder {
    private final Path dir;

    private ConfFolder(Path dir) {
        this.dir = dir;
    }

    /** Copies every file of {@code sample} into {@code dir}, except those of {@code keepIfPresent} already there. */
    public static ConfFolder copyOf(Path sample, Path dir, Set<String> keepIfPresent) throws IOException {
        if (!Files.isDirectory(sample)) {
            throw new IOException("Sample configuration folder not found: " + sample);
        }
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(sample)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = dir.resolve(file.getFileName().toString());
                if (Files.isRegularFile(file) && !(keepIfPresent.contains(file.getFileName().toString()) && Files.exists(target))) {
                    Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return new ConfFolder(dir);
    }

    public static ConfFolder copyOf(Path sample, Path dir) throws IOException {
        return copyOf(sample, dir, Set.of());
    }

    public Path dir() {
        return dir;
    }

    public String read(String file) {
        try {
            return Files.readString(dir.resolve(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces a whole file, or adds one. */
    public ConfFolder write(String file, String content) {
        try {
            Files.writeString(dir.resolve(file), content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Replaces every occurrence of {@code expected}; fails if there is none. */
    public ConfFolder replace(String file, String expected, String replacement) {
        String content = read(file);
        if (!content.contains(expected)) {
            throw new IllegalStateException("james-conf/" + file + " no longer contains '" + expected + "'");
        }
        return write(file, content.replace(expected, replacement));
    }

    /** Replaces every match of {@code regex} (dot matches newlines); fails if there is none. */
    public ConfFolder replaceRegex(String file, String regex, String replacement) {
        String content = read(file);
        Matcher matcher = Pattern.compile(regex, Pattern.DOTALL).matcher(content);
        if (!matcher.find()) {
            throw new IllegalStateException("james-conf/" + file + " has nothing matching " + regex);
        }
        return write(file, matcher.replaceAll(Matcher.quoteReplacement(replacement)));
    }

    /** Sets a key of a properties file: its line replaced, or added at the end. */
    public ConfFolder setProperty(String file, String key, String value) {
        String content = read(file);
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(key) + "=.*$").matcher(content);
        String updated = matcher.find()
            ? matcher.replaceFirst(Matcher.quoteReplacement(key + "=" + value))
            : content + (content.endsWith("\n") ? "" : "\n") + key + "=" + value + "\n";
        return write(file, updated);
    }
}
