package org.jamesshaping.launcher;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.utils.KeystoreCreator;

/**
 * The {@code conf/keystore} the sample's TLS servers (SMTP :465 and :587, IMAP :143 and :993) read. Made as James's
 * {@code --generate-keystore} makes it (its own {@link KeystoreCreator}: self-signed, CN=james, PKCS12, the
 * sample's secret) when the folder has none, so a local run or a test starts like the docker image does. One key
 * per JVM: generating a 4096-bit RSA key takes a second or more, and every test James needs one.
 */
public final class Keystores {
    /** The file name, and the type and secret, of the sample's {@code <tls>} blocks. */
    public static final String FILE = "keystore";
    static final String TYPE = "PKCS12";
    static final String SECRET = "james72laBalle";

    private static byte[] generated;

    private Keystores() {
    }

    /** Writes a self-signed keystore at {@code file} unless one is there; true when it wrote one. */
    public static boolean ensureSelfSigned(Path file) throws IOException {
        if (Files.exists(file)) {
            return false;
        }
        Files.write(file, generatedOnce());
        return true;
    }

    private static synchronized byte[] generatedOnce() throws IOException {
        if (generated == null) {
            Path folder = Files.createTempDirectory("james-shaping-keystore");
            Path file = folder.resolve(FILE);
            try {
                new KeystoreCreator(new SingleFile(file)).generateKeystore(file.toString(), SECRET, TYPE);
                generated = Files.readAllBytes(file);
            } catch (Exception e) {
                throw e instanceof IOException ? (IOException) e : new IOException("Cannot generate a self-signed keystore: " + e, e);
            } finally {
                Files.deleteIfExists(file);
                Files.deleteIfExists(folder);
            }
        }
        return generated;
    }

    /** The one file KeystoreCreator writes, whatever URL it is given. */
    private static final class SingleFile implements FileSystem {
        private final Path file;

        SingleFile(Path file) {
            this.file = file;
        }

        @Override
        public InputStream getResource(String url) throws IOException {
            return Files.newInputStream(file);
        }

        @Override
        public File getFile(String fileUrl) {
            return file.toFile();
        }

        @Override
        public File getBasedir() throws FileNotFoundException {
            return file.getParent().toFile();
        }
    }
}
