package org.jamesshaping.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebAdmin with James's own JWT authentication, set up as the README's Security section says: the sample
 * webadmin.properties with its two jwt lines uncommented and a PEM public key in conf/jwt_publickey. The /shaping
 * routes then need a token with the admin claim, and their own checks still apply to a valid one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebAdminJwtIT {
    @TempDir
    static Path folder;
    JamesWithStore running;
    WebAdminClient webAdmin;
    KeyPair key;
    KeyPair otherKey;

    @BeforeAll
    void start() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        key = generator.generateKeyPair();
        otherKey = generator.generateKeyPair();
        // What `openssl rsa -pubout` writes: the X.509 SubjectPublicKeyInfo, base64 in 64-character lines.
        String pem = "-----BEGIN PUBLIC KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getPublic().getEncoded())
            + "\n-----END PUBLIC KEY-----\n";
        running = JamesWithStore.start(folder, settings -> settings
            .replaceInFile("webadmin.properties", "#jwt.enabled=true", "jwt.enabled=true")
            .replaceInFile("webadmin.properties", "#jwt.publickeypem.url=file://conf/jwt_publickey",
                "jwt.publickeypem.url=file://conf/jwt_publickey")
            .confFile("jwt_publickey", pem));
        webAdmin = running.webAdmin();
    }

    @AfterAll
    void stop() {
        if (running != null) {
            running.close();
        }
    }

    private static String token(PrivateKey signer, String claims) throws Exception {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String unsigned = base64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
            + "." + base64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(signer);
        signature.update(unsigned.getBytes(StandardCharsets.US_ASCII));
        return unsigned + "." + base64.encodeToString(signature.sign());
    }

    private static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token, "Content-Type", "application/json");
    }

    @Test
    void aHugeBodyWithoutATokenIsRefusedBeforeItIsRead() throws Exception {
        int port = running.james().probe().webAdminPort();
        HugeBody chunked = HugeBody.post(port, "/shaping/reports/spam", "message/rfc822", true, Map.of());
        assertThat(chunked.status).isEqualTo(401);
        assertThat(chunked.sentWhenAnswered).isLessThan(64L * 1024 * 1024);
        HugeBody declared = HugeBody.post(port, "/shaping/reputation/127.0.124.52/reports", "application/json", false, Map.of());
        assertThat(declared.status).isEqualTo(401);
        assertThat(declared.sentWhenAnswered).isLessThan(64L * 1024 * 1024);
    }

    @Test
    void withoutAValidAdminTokenNothingIsReadOrStored() throws Exception {
        long exp = Instant.now().plusSeconds(3600).getEpochSecond();
        String path = "/shaping/reputation/127.0.124.50/status";
        String block = "{\"status\":\"block\",\"reason\":\"jwt test\"}";

        assertThat(webAdmin.put(path, block).status).isEqualTo(401);
        // James's check comes first: the request is refused for want of a token, before the routes' own checks.
        assertThat(webAdmin.send("PUT", path, Map.of("Content-Type", "text/plain", "Origin", "http://evil.example"), block).status)
            .isEqualTo(401);
        assertThat(webAdmin.send("PUT", path, bearer(token(otherKey.getPrivate(),
            "{\"sub\":\"admin@james.local\",\"admin\":true,\"exp\":" + exp + "}")), block).status).isEqualTo(401);
        assertThat(webAdmin.send("PUT", path, bearer(token(key.getPrivate(),
            "{\"sub\":\"user1@james.local\",\"exp\":" + exp + "}")), block).status).isEqualTo(401);
        assertThat(webAdmin.send("PUT", path, bearer(token(key.getPrivate(),
            "{\"sub\":\"admin@james.local\",\"admin\":true,\"exp\":" + (Instant.now().getEpochSecond() - 60) + "}")), block).status)
            .isEqualTo(401);
        try (SmtpClient client = SmtpClient.connect("127.0.124.50", running.smtpPort())) {
            assertThat(client.readReply().code).isEqualTo(220);
            assertThat(client.command("EHLO client.example.org").code).isEqualTo(250);
        }

        Map<String, String> admin = bearer(token(key.getPrivate(), "{\"sub\":\"admin@james.local\",\"admin\":true,\"exp\":" + exp + "}"));
        assertThat(webAdmin.send("PUT", path, admin, block).status).isEqualTo(204);
        assertThat(webAdmin.send("GET", "/shaping/reputation/127.0.124.50", admin, null).json().get("effectiveStatus").asText())
            .isEqualTo("block");
        assertThat(webAdmin.send("DELETE", "/shaping/reputation/127.0.124.50", admin, null).status).isEqualTo(204);

        // Every /shaping path is covered, not only each route class's first one.
        assertThat(webAdmin.get("/shaping/statuses").status).isEqualTo(401);
        assertThat(webAdmin.send("POST", "/shaping/statuses", Map.of("Content-Type", "text/csv"), "127.0.124.51,block\n").status)
            .isEqualTo(401);
        assertThat(webAdmin.postRaw("/shaping/fingerprints", "Subject: x\r\n\r\n" + "spam words ".repeat(100)).status).isEqualTo(401);
        assertThat(webAdmin.get("/shaping/reports").status).isEqualTo(401);
        assertThat(webAdmin.send("GET", "/shaping/statuses", admin, null).body).doesNotContain("127.0.124.51");

        // A valid token does not lift the routes' own checks.
        Map<String, String> crossOrigin = new HashMap<>(admin);
        crossOrigin.put("Origin", "http://evil.example");
        assertThat(webAdmin.send("PUT", path, crossOrigin, block).status).isEqualTo(403);
        assertThat(webAdmin.send("PUT", "/shaping/reputation/0.0.0.0/0/status", admin, block).status).isEqualTo(400);
    }
}
