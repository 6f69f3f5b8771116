package io.keyshard.node.server;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.EncryptionException;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;

/**
 * The TLS side of the client port: reads the PEM files Redis takes (certificate chain, private
 * key in PKCS#8 or the traditional RSA/EC form, possibly encrypted, CA certificates) with
 * BouncyCastle, and makes one server {@link SSLEngine} per connection. Everything is checked at
 * start-up, so a wrong file stops the node with a clear message rather than failing handshakes.
 */
public final class Tls {
  /** Used only to decrypt keys (not registered: the JDK's providers do the TLS itself). */
  private static final Provider BC = new BouncyCastleProvider();

  private Tls() {}

  /** A factory of server engines for {@code settings}, after checking every file. */
  public static Supplier<SSLEngine> serverEngines(TlsSettings settings) {
    SSLContext context = serverContext(settings);
    String[] protocols = protocols(context, settings.protocols());
    Supplier<SSLEngine> engines =
        () -> {
          SSLEngine engine = context.createSSLEngine();
          engine.setUseClientMode(false);
          if (protocols != null) {
            engine.setEnabledProtocols(protocols);
          }
          switch (settings.authClients()) {
            case YES -> engine.setNeedClientAuth(true);
            case OPTIONAL -> engine.setWantClientAuth(true);
            case NO -> engine.setNeedClientAuth(false);
          }
          return engine;
        };
    engines.get(); // fails here, at start-up, if the settings cannot make an engine
    return engines;
  }

  static SSLContext serverContext(TlsSettings s) {
    if (s.certFile() == null || s.keyFile() == null) {
      throw new IllegalArgumentException(
          "keyshard.tls-port is set: keyshard.tls-cert-file and keyshard.tls-key-file are needed too");
    }
    if (s.caCertFile() == null && s.authClients() != TlsSettings.AuthClients.NO) {
      throw new IllegalArgumentException(
          "keyshard.tls-auth-clients " + s.authClients().redisName()
              + " checks client certificates: keyshard.tls-ca-cert-file is needed"
              + " (or set tls-auth-clients no)");
    }
    try {
      List<X509Certificate> chain = certificates(s.certFile(), "keyshard.tls-cert-file");
      PrivateKey key = privateKey(s.keyFile(), s.keyFilePass());
      checkPair(key, chain.get(0), s);
      char[] none = new char[0];
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("keyshard", key, none, chain.toArray(new X509Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
      kmf.init(keys, none);

      TrustManagerFactory tmf = null;
      if (s.caCertFile() != null) {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        int i = 0;
        for (X509Certificate ca : certificates(s.caCertFile(), "keyshard.tls-ca-cert-file")) {
          trusted.setCertificateEntry("ca-" + i++, ca);
        }
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("TLS set-up failed: " + e.getMessage(), e);
    }
  }

  /** Every certificate in a PEM file, in file order (a chain: the node's own first). */
  static List<X509Certificate> certificates(Path file, String setting)
      throws IOException, GeneralSecurityException {
    List<X509Certificate> out = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    for (Object o : pemObjects(file)) {
      if (o instanceof X509CertificateHolder h) {
        out.add(converter.getCertificate(h));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(setting + " " + file + " holds no PEM certificate");
    }
    return out;
  }

  /**
   * The private key of a PEM file: "PRIVATE KEY" (PKCS#8), "ENCRYPTED PRIVATE KEY", or the
   * traditional "RSA PRIVATE KEY" / "EC PRIVATE KEY", encrypted with a Proc-Type header or not;
   * an "EC PARAMETERS" block before the key (openssl ecparam -genkey) and certificates (a
   * combined PEM file) are skipped.
   */
  static PrivateKey privateKey(Path file, String pass) throws IOException {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    for (Object o : pemObjects(file)) {
      try {
        if (o instanceof PEMKeyPair kp) {
          // Not getKeyPair: the public key is optional in an "EC PRIVATE KEY".
          return converter.getPrivateKey(kp.getPrivateKeyInfo());
        }
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (o instanceof PEMEncryptedKeyPair enc) {
          return converter.getPrivateKey(
              enc.decryptKeyPair(
                      new JcePEMDecryptorProviderBuilder().setProvider(BC).build(password(pass, file)))
                  .getPrivateKeyInfo());
        }
        if (o instanceof PKCS8EncryptedPrivateKeyInfo enc) {
          return converter.getPrivateKey(
              enc.decryptPrivateKeyInfo(
                  new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(BC).build(password(pass, file))));
        }
      } catch (PKCSException | OperatorCreationException | EncryptionException e) {
        throw new IllegalArgumentException(
            "keyshard.tls-key-file " + file + " could not be decrypted (wrong tls-key-file-pass?)", e);
      }
      if (!(o instanceof ASN1ObjectIdentifier
          || o instanceof X9ECParameters
          || o instanceof X509CertificateHolder)) {
        throw new IllegalArgumentException(
            "keyshard.tls-key-file " + file + ": unexpected PEM block " + o.getClass().getSimpleName());
      }
    }
    throw new IllegalArgumentException("keyshard.tls-key-file " + file + " holds no PEM private key");
  }

  private static char[] password(String pass, Path file) {
    if (pass == null || pass.isEmpty()) {
      throw new IllegalArgumentException(
          "keyshard.tls-key-file " + file + " is encrypted: set keyshard.tls-key-file-pass");
    }
    return pass.toCharArray();
  }

  private static List<Object> pemObjects(Path file) throws IOException {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException("Cannot read " + file);
    }
    List<Object> out = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(r)) {
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        out.add(o);
      }
    }
    return out;
  }

  /** The key must belong to the certificate (as OpenSSL checks when Redis loads them). */
  private static void checkPair(PrivateKey key, X509Certificate cert, TlsSettings s)
      throws GeneralSecurityException {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          case "Ed448" -> "Ed448";
          default -> null; // other kinds: left to the handshake
        };
    if (algorithm == null) {
      return;
    }
    byte[] probe = "keyshard".getBytes(StandardCharsets.US_ASCII);
    boolean matches;
    try {
      Signature sign = Signature.getInstance(algorithm);
      sign.initSign(key);
      sign.update(probe);
      byte[] signature = sign.sign();
      Signature verify = Signature.getInstance(algorithm);
      verify.initVerify(cert.getPublicKey());
      verify.update(probe);
      matches = verify.verify(signature);
    } catch (InvalidKeyException | SignatureException e) {
      matches = false;
    }
    if (!matches) {
      throw new IllegalArgumentException(
          "keyshard.tls-key-file " + s.keyFile() + " is not the key of the certificate in "
              + s.certFile());
    }
  }

  /** Redis's tls-protocols names ("TLSv1.2 TLSv1.3", any case) as the JDK spells them. */
  private static String[] protocols(SSLContext context, List<String> wanted) {
    if (wanted.isEmpty()) {
      return null;
    }
    String[] supported = context.getSupportedSSLParameters().getProtocols();
    List<String> out = new ArrayList<>();
    for (String w : wanted) {
      String match =
          Arrays.stream(supported)
              .filter(p -> p.toLowerCase(Locale.ROOT).equals(w.toLowerCase(Locale.ROOT)))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "keyshard.tls-protocols: " + w + " is not one of " + Arrays.toString(supported)));
      out.add(match);
    }
    return out.toArray(new String[0]);
  }
}
