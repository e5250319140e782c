package org.jamesshaping.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The {@code conf/keystore} the sample's TLS servers (SMTP :465 and :587, IMAP :143 and :993) read, made when the
 * folder has none, as James's {@code --generate-keystore} does in the docker image: self-signed, CN=james, PKCS12,
 * the sample's secret. One key per JVM and 2048 bits (James makes 4096, about ten seconds of CPU): every test
 * James and fleet member needs one, and it only ever serves loopback.
 */
public final class Keystores {
    /** The file name, and the type and secret, of the sample's {@code <tls>} blocks. */
    public static final String FILE = "keystore";
    static final String TYPE = "PKCS12";
    static final String SECRET = "james72laBalle";
    private static final String ALIAS = "james";

    private static byte[] generated;

    private Keystores() {
    }

    /** Writes a self-signed keystore at {@code file} unless one is there; true when it wrote one. */
    public static boolean ensureSelfSigned(Path file) throws IOException {
        if (Files.exists(file)) {
            return false;
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, generatedOnce());
        return true;
    }

    private static synchronized byte[] generatedOnce() throws IOException {
        if (generated == null) {
            try {
                generated = selfSigned();
            } catch (GeneralSecurityException | OperatorCreationException e) {
                throw new IOException("Cannot generate a self-signed keystore: " + e, e);
            }
        }
        return generated;
    }

    private static byte[] selfSigned() throws GeneralSecurityException, OperatorCreationException, IOException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        X500Name subject = new X500Name("CN=james");
        Instant now = Instant.now();
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
            new JcaX509v3CertificateBuilder(subject, new BigInteger(64, new SecureRandom()), Date.from(now),
                Date.from(now.plus(365, ChronoUnit.DAYS)), subject, pair.getPublic())
                .build(new JcaContentSignerBuilder("SHA256WITHRSA").build(pair.getPrivate())));
        KeyStore keystore = KeyStore.getInstance(TYPE);
        keystore.load(null, SECRET.toCharArray());
        keystore.setEntry(ALIAS, new KeyStore.PrivateKeyEntry(pair.getPrivate(), new Certificate[] {certificate}),
            new KeyStore.PasswordProtection(SECRET.toCharArray()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        keystore.store(out, SECRET.toCharArray());
        return out.toByteArray();
    }
}
