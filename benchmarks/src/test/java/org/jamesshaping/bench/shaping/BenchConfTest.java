package org.jamesshaping.bench.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchConfTest {
    @Test
    void thePlainJamesConfigurationNamesNothingOfTheExtensionInAnyFile(@TempDir Path dir) throws IOException {
        BenchConf plain = BenchConf.copyOfSample(dir).withoutExtension();

        List<String> naming;
        try (Stream<Path> files = Files.list(plain.dir())) {
            naming = files.filter(Files::isRegularFile)
                // Logger names are only text to logback, never loaded.
                .filter(file -> !file.getFileName().toString().equals("logback.xml"))
                .filter(file -> live(plain.read(file.getFileName().toString())).contains("org.jamesshaping"))
                .map(file -> file.getFileName().toString())
                .collect(Collectors.toList());
        }
        // A class James cannot load (a health check, a route, a module) stops the plain James at start.
        assertThat(naming).isEmpty();
    }

    /** The text without XML comments and properties comments: what James reads. */
    private static String live(String text) {
        return text.replaceAll("(?s)<!--.*?-->", "").replaceAll("(?m)^\\s*#.*$", "");
    }
}
