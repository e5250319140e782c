package org.jamesshaping.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeystoresTest {
    @TempDir
    Path conf;

    @Test
    void writesTheKeystoreTheSampleTlsBlocksReadAndKeepsAnExistingOne() throws Exception {
        Path file = conf.resolve(Keystores.FILE);
        assertThat(Keystores.ensureSelfSigned(file)).isTrue();

        KeyStore keystore = KeyStore.getInstance(Keystores.TYPE);
        try (InputStream in = Files.newInputStream(file)) {
            keystore.load(in, Keystores.SECRET.toCharArray());
        }
        assertThat(keystore.isKeyEntry("james")).isTrue();
        assertThat(keystore.getKey("james", Keystores.SECRET.toCharArray())).isNotNull();
        assertThat(((X509Certificate) keystore.getCertificate("james")).getSubjectX500Principal().getName()).isEqualTo("CN=james");

        // An operator's own keystore is never replaced.
        Files.writeString(file, "my own certificate");
        assertThat(Keystores.ensureSelfSigned(file)).isFalse();
        assertThat(file).hasContent("my own certificate");
    }

    @Test
    void theSampleTlsBlocksUseThisFileTypeAndSecret() throws Exception {
        String smtp = Files.readString(Path.of("..", "james-conf", "smtpserver.xml"));
        assertThat(smtp).contains("<keystore>file://conf/" + Keystores.FILE + "</keystore>",
            "<keystoreType>" + Keystores.TYPE + "</keystoreType>", "<secret>" + Keystores.SECRET + "</secret>");
        assertThat(Files.readString(Path.of("..", "james-conf", "imapserver.xml")))
            .contains("<keystore>file://conf/" + Keystores.FILE + "</keystore>", "<secret>" + Keystores.SECRET + "</secret>");
    }
}
