package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestCerts.Issued;
import io.keyshard.node.testing.TestCerts;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.List;
import javax.net.ssl.SSLEngine;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The PEM files Redis takes, read as the node reads them at start-up: every key form, encrypted
 * keys, and the settings that must stop the node with a clear message.
 */
class TlsFilesTest {
  private static Path dir;
  private static Issued ca;
  private static Issued rsa;
  private static Issued ec;

  @BeforeAll
  static void certificates() throws Exception {
    dir = Files.createTempDirectory("keyshard-tls-files");
    ca = TestCerts.ca("Files CA");
    ca.writeCert(dir.resolve("ca.crt"));
    rsa = ca.issue("rsa", "RSA", true, false);
    rsa.writeCert(dir.resolve("rsa.crt"));
    ec = ca.issue("ec", "EC", true, false);
    ec.writeCert(dir.resolve("ec.crt"));
  }

  private static TlsSettings settings(String cert, Path key, String pass, TlsSettings.AuthClients auth, boolean withCa) {
    return new TlsSettings(
        6380, dir.resolve(cert), key, pass, withCa ? dir.resolve("ca.crt") : null, auth, List.of());
  }

  private static void write(Path file, Object pem) throws Exception {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
        JcaPEMWriter out = new JcaPEMWriter(w)) {
      out.writeObject(pem);
    }
  }

  @Test
  void everyKeyFormReadsAsTheSameKey() throws Exception {
    Path pkcs8 = dir.resolve("rsa-pkcs8.key");
    rsa.writePkcs8Key(pkcs8);
    Path pkcs1 = dir.resolve("rsa-pkcs1.key");
    rsa.writeTraditionalKey(pkcs1);
    assertTrue(Files.readString(pkcs1).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    Path sec1 = dir.resolve("ec-sec1.key");
    ec.writeTraditionalKey(sec1);
    Path ecPkcs8 = dir.resolve("ec-pkcs8.key");
    ec.writePkcs8Key(ecPkcs8);
    // Encrypted: traditional with a Proc-Type header, and PKCS#8 "ENCRYPTED PRIVATE KEY".
    Path encTraditional = dir.resolve("rsa-enc.key");
    write(
        encTraditional,
        new JcaMiscPEMGenerator(
            rsa.keys().getPrivate(), new JcePEMEncryptorBuilder("AES-256-CBC").setProvider(new BouncyCastleProvider()).build("secret".toCharArray())));
    assertTrue(Files.readString(encTraditional).contains("Proc-Type: 4,ENCRYPTED"));
    Path encPkcs8 = dir.resolve("ec-enc.key");
    write(
        encPkcs8,
        new JcaPKCS8Generator(
            ec.keys().getPrivate(),
            new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC)
                .setProvider(new BouncyCastleProvider())
                .setPassword("secret".toCharArray())
                .build()));
    assertTrue(Files.readString(encPkcs8).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    for (Path f : List.of(pkcs8, pkcs1)) {
      assertKey(rsa.keys().getPrivate(), Tls.privateKey(f, ""));
    }
    assertKey(rsa.keys().getPrivate(), Tls.privateKey(encTraditional, "secret"));
    for (Path f : List.of(sec1, ecPkcs8)) {
      assertKey(ec.keys().getPrivate(), Tls.privateKey(f, ""));
    }
    assertKey(ec.keys().getPrivate(), Tls.privateKey(encPkcs8, "secret"));

    // And each makes a server engine that asks for client certificates as told.
    SSLEngine yes = Tls.serverEngines(settings("ec.crt", sec1, "", TlsSettings.AuthClients.YES, true)).get();
    assertTrue(yes.getNeedClientAuth());
    SSLEngine optional =
        Tls.serverEngines(settings("rsa.crt", encTraditional, "secret", TlsSettings.AuthClients.OPTIONAL, true)).get();
    assertTrue(optional.getWantClientAuth());
    SSLEngine no = Tls.serverEngines(settings("ec.crt", encPkcs8, "secret", TlsSettings.AuthClients.NO, false)).get();
    assertTrue(!no.getNeedClientAuth() && !no.getWantClientAuth());
    SSLEngine v13 =
        Tls.serverEngines(
                new TlsSettings(6380, dir.resolve("rsa.crt"), pkcs8, "", dir.resolve("ca.crt"),
                    TlsSettings.AuthClients.YES, List.of("tlsv1.3")))
            .get();
    assertArrayEquals(new String[] {"TLSv1.3"}, v13.getEnabledProtocols());
  }

  private static void assertKey(PrivateKey expected, PrivateKey read) {
    assertEquals(expected.getAlgorithm(), read.getAlgorithm());
    if (expected instanceof RSAPrivateKey e) {
      assertEquals(e.getPrivateExponent(), ((RSAPrivateKey) read).getPrivateExponent());
    } else {
      assertEquals(
          ((ECPrivateKey) expected).getS(),
          ((ECPrivateKey) read).getS());
    }
  }

  @Test
  void wrongSettingsStopTheNodeWithAClearMessage() throws Exception {
    Path rsaKey = dir.resolve("rsa-check.key");
    rsa.writePkcs8Key(rsaKey);
    Path ecKey = dir.resolve("ec-check.key");
    ec.writePkcs8Key(ecKey);
    Path encrypted = dir.resolve("rsa-check-enc.key");
    write(
        encrypted,
        new JcaMiscPEMGenerator(
            rsa.keys().getPrivate(), new JcePEMEncryptorBuilder("AES-256-CBC").setProvider(new BouncyCastleProvider()).build("secret".toCharArray())));

    assertMessage("is not the key of the certificate", settings("rsa.crt", ecKey, "", TlsSettings.AuthClients.YES, true));
    assertMessage("keyshard.tls-ca-cert-file is needed", settings("rsa.crt", rsaKey, "", TlsSettings.AuthClients.YES, false));
    assertMessage("keyshard.tls-ca-cert-file is needed", settings("rsa.crt", rsaKey, "", TlsSettings.AuthClients.OPTIONAL, false));
    assertMessage("set keyshard.tls-key-file-pass", settings("rsa.crt", encrypted, "", TlsSettings.AuthClients.YES, true));
    assertMessage("could not be decrypted", settings("rsa.crt", encrypted, "wrong", TlsSettings.AuthClients.YES, true));
    assertMessage("holds no PEM private key", settings("rsa.crt", dir.resolve("rsa.crt"), "", TlsSettings.AuthClients.YES, true));
    assertMessage("Cannot read", settings("rsa.crt", dir.resolve("missing.key"), "", TlsSettings.AuthClients.YES, true));
    assertMessage(
        "keyshard.tls-cert-file and keyshard.tls-key-file are needed",
        new TlsSettings(6380, null, null, "", null, TlsSettings.AuthClients.NO, List.of()));
    assertMessage(
        "keyshard.tls-protocols: TLSv9",
        new TlsSettings(6380, dir.resolve("rsa.crt"), rsaKey, "", null, TlsSettings.AuthClients.NO, List.of("TLSv9")));
  }

  private static void assertMessage(String part, TlsSettings s) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tls.serverEngines(s));
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }
}
