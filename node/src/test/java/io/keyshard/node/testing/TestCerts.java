package io.keyshard.node.testing;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Certificates made by a test for itself: a CA, and certificates it issues for servers
 * (127.0.0.1 and localhost) and clients, written as PEM (the key as PKCS#8 or in the
 * traditional RSA/EC form) or as PKCS#12 key and trust stores.
 */
public final class TestCerts {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private TestCerts() {}

  /** A key pair and its certificate; {@code issuer} is the CA's certificate (itself for a CA). */
  public record Issued(KeyPair keys, X509Certificate cert, X509Certificate issuer) {
    /** Issues a certificate signed by this one (a CA) for {@code cn}. */
    public Issued issue(String cn, String keyType, boolean server, boolean client) throws Exception {
      return TestCerts.issue(this, cn, keyType, server, client);
    }

    public void writeCert(Path file) throws IOException {
      writePem(file, cert);
    }

    /** The private key as "PRIVATE KEY" (PKCS#8). */
    public void writePkcs8Key(Path file) throws IOException {
      writePem(file, new JcaPKCS8Generator(keys.getPrivate(), null));
    }

    /** The private key in OpenSSL's traditional form ("RSA PRIVATE KEY" / "EC PRIVATE KEY"). */
    public void writeTraditionalKey(Path file) throws IOException {
      if (!keys.getPrivate().getAlgorithm().equals("EC")) {
        writePem(file, keys.getPrivate()); // "RSA PRIVATE KEY" (PKCS#1)
        return;
      }
      // As openssl writes it: SEC1 with the curve and the public key, which the JDK's encoding
      // of the key leaves out.
      PrivateKeyInfo info =
          PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
      java.security.interfaces.ECPrivateKey ec = (java.security.interfaces.ECPrivateKey) keys.getPrivate();
      byte[] publicPoint =
          SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded())
              .getPublicKeyData()
              .getBytes();
      org.bouncycastle.asn1.sec.ECPrivateKey sec1 =
          new org.bouncycastle.asn1.sec.ECPrivateKey(
              ec.getParams().getOrder().bitLength(),
              ec.getS(),
              new DERBitString(publicPoint),
              info.getPrivateKeyAlgorithm().getParameters());
      writePem(file, new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
    }

    /** A PKCS#12 key store holding this key with its certificate chain. */
    public void writeKeyStore(Path file, String password) throws Exception {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("node", keys.getPrivate(), password.toCharArray(), new X509Certificate[] {cert, issuer});
      try (OutputStream out = new FileOutputStream(file.toFile())) {
        ks.store(out, password.toCharArray());
      }
    }

    /** A PKCS#12 trust store holding this (CA) certificate. */
    public void writeTrustStore(Path file, String password) throws Exception {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("ca", cert);
      try (OutputStream out = new FileOutputStream(file.toFile())) {
        ks.store(out, password.toCharArray());
      }
    }

    /** A client context that trusts {@code ca} and presents this certificate (null: none). */
    public static SSLContext clientContext(Issued ca, Issued own) throws Exception {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", ca.cert());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      KeyManagerFactory kmf = null;
      if (own != null) {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", own.keys().getPrivate(), new char[0], new X509Certificate[] {own.cert()});
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    }
  }

  /** A self-signed CA. */
  public static Issued ca(String cn) throws Exception {
    KeyPair keys = keyPair("RSA");
    X500Name name = new X500Name("CN=" + cn + ",O=Keyshard tests");
    JcaX509v3CertificateBuilder b = builder(name, name, keys);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    X509Certificate cert = sign(b, keys.getPrivate());
    return new Issued(keys, cert, cert);
  }

  static Issued issue(Issued ca, String cn, String keyType, boolean server, boolean client)
      throws Exception {
    KeyPair keys = keyPair(keyType);
    JcaX509v3CertificateBuilder b =
        builder(
            X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded()),
            new X500Name("CN=" + cn + ",O=Keyshard tests"),
            keys);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(
        Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
    List<KeyPurposeId> purposes = new ArrayList<>();
    if (server) {
      purposes.add(KeyPurposeId.id_kp_serverAuth);
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress()),
                new GeneralName(GeneralName.dNSName, "localhost")
              }));
    }
    if (client) {
      purposes.add(KeyPurposeId.id_kp_clientAuth);
    }
    b.addExtension(
        Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes.toArray(new KeyPurposeId[0])));
    return new Issued(keys, sign(b, ca.keys().getPrivate()), ca.cert());
  }

  private static JcaX509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(Duration.ofDays(2))),
        subject,
        keys.getPublic());
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey signer) throws Exception {
    String alg = signer.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder(alg).build(signer)));
  }

  private static KeyPair keyPair(String type) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(type);
    if (type.equals("EC")) {
      g.initialize(new ECGenParameterSpec("secp256r1"));
    } else {
      g.initialize(2048);
    }
    return g.generateKeyPair();
  }

  private static void writePem(Path file, Object o) throws IOException {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
        JcaPEMWriter pem = new JcaPEMWriter(w)) {
      pem.writeObject(o);
    }
  }
}
