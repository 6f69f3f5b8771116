package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestCerts.Issued;
import io.keyshard.node.testing.TestCerts;
import io.keyshard.node.testing.TestNode;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * TLS on the client port, with certificates this test makes: redis-cli --tls and Jedis over
 * TLS, client certificates required (yes) or optional, the plain port next to the TLS one, and
 * a TLS-only node (port 0).
 */
@Timeout(120)
class TlsTest {
  private static Path certs;
  private static Issued ca;
  private static Issued client;
  /** A client certificate from a CA the node does not trust. */
  private static Issued stranger;
  private static Issued strangerCa;
  /** tls-auth-clients yes (the default), plain port too; RSA key in PKCS#8. */
  private static TestNode strict;
  /** tls-auth-clients optional, TLS only (port 0); EC key in the traditional form. */
  private static TestNode optional;

  @BeforeAll
  static void start() throws Exception {
    certs = Files.createTempDirectory("keyshard-tls");
    ca = TestCerts.ca("Keyshard test CA");
    ca.writeCert(certs.resolve("ca.crt"));
    Issued server = ca.issue("keyshard-server", "RSA", true, false);
    server.writeCert(certs.resolve("server.crt"));
    server.writePkcs8Key(certs.resolve("server.key"));
    Issued ecServer = ca.issue("keyshard-ec-server", "EC", true, false);
    ecServer.writeCert(certs.resolve("ec-server.crt"));
    ecServer.writeTraditionalKey(certs.resolve("ec-server.key"));
    client = ca.issue("keyshard-client", "RSA", false, true);
    client.writeCert(certs.resolve("client.crt"));
    client.writePkcs8Key(certs.resolve("client.key"));
    strangerCa = TestCerts.ca("Some other CA");
    stranger = strangerCa.issue("stranger", "RSA", false, true);
    stranger.writeCert(certs.resolve("stranger.crt"));
    stranger.writePkcs8Key(certs.resolve("stranger.key"));
    assertTrue(Files.readString(certs.resolve("server.key")).startsWith("-----BEGIN PRIVATE KEY-----"));
    assertTrue(Files.readString(certs.resolve("ec-server.key")).startsWith("-----BEGIN EC PRIVATE KEY-----"));

    Map<String, Object> s = tls("server", freePort());
    s.put("keyshard.port", freePort());
    strict = TestNode.start(Files.createTempDirectory("keyshard-tls-a"), s);
    Map<String, Object> o = tls("ec-server", freePort());
    o.put("keyshard.tls-auth-clients", "optional");
    optional = TestNode.start(Files.createTempDirectory("keyshard-tls-b"), o);
  }

  @AfterAll
  static void stop() throws Exception {
    for (TestNode n : new TestNode[] {strict, optional}) {
      if (n != null) {
        n.close();
      }
    }
  }

  private static Map<String, Object> tls(String name, int tlsPort) {
    Map<String, Object> m = new HashMap<>();
    m.put("keyshard.tls-port", tlsPort);
    m.put("keyshard.tls-cert-file", certs.resolve(name + ".crt").toString());
    m.put("keyshard.tls-key-file", certs.resolve(name + ".key").toString());
    m.put("keyshard.tls-ca-cert-file", certs.resolve("ca.crt").toString());
    return m;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** redis-cli against {@code port} with {@code args}; returns its output (stdout and stderr). */
  private static String cli(int port, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "redis-cli did not finish");
    return out.trim();
  }

  private static String[] withCert(String name, String... command) {
    List<String> a = new ArrayList<>(List.of("--tls", "--cacert", certs.resolve("ca.crt").toString()));
    if (name != null) {
      a.addAll(List.of("--cert", certs.resolve(name + ".crt").toString(), "--key", certs.resolve(name + ".key").toString()));
    }
    a.addAll(List.of(command));
    return a.toArray(new String[0]);
  }

  /** Jedis over TLS, checking the server's name (127.0.0.1) against its certificate. */
  private static Jedis tlsJedis(int port, Issued own) throws Exception {
    SSLContext ctx = Issued.clientContext(ca, own);
    SSLParameters params = new SSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS");
    return new Jedis(
        new HostAndPort("127.0.0.1", port),
        DefaultJedisClientConfig.builder()
            .ssl(true)
            .sslSocketFactory(ctx.getSocketFactory())
            .sslParameters(params)
            .socketTimeoutMillis(10_000)
            .build());
  }

  @Test
  void redisCliOverTlsWithAClientCertificate() throws Exception {
    int port = strict.node().tlsPort();
    assertTrue(port > 0 && port != strict.port());
    assertEquals("OK", cli(port, withCert("client", "set", "k", "v")));
    assertEquals("v", cli(port, withCert("client", "get", "k")));
    // The plain port serves the same data alongside.
    assertEquals("v", cli(strict.port(), "get", "k"));
    assertEquals("OK", cli(strict.port(), "set", "k2", "plain"));
    assertEquals("plain", cli(port, withCert("client", "get", "k2")));
    assertEquals("tls-port\n" + port, cli(port, withCert("client", "config", "get", "tls-port")));
    assertEquals("tls-auth-clients\nyes", cli(strict.port(), "config", "get", "tls-auth-clients"));
  }

  @Test
  void clientsWithoutTheRightCertificateAreRefused() throws Exception {
    int port = strict.node().tlsPort();
    String none = cli(port, withCert(null, "set", "refused:none", "1"));
    assertFalse(none.contains("OK"), none);
    String other = cli(port, withCert("stranger", "set", "refused:stranger", "1"));
    assertFalse(other.contains("OK"), other);
    // Not TLS at all on the TLS port.
    String plain = cli(port, "set", "refused:plain", "1");
    assertFalse(plain.contains("OK"), plain);
    // Jedis finds out when connecting or at its first command, depending on timing.
    assertThrows(JedisConnectionException.class, () -> jedisSet(port, null, "refused:jedis"));
    assertThrows(JedisConnectionException.class, () -> jedisSet(port, stranger, "refused:jedis2"));
    // None of them got a command through.
    try (Jedis j = new Jedis("127.0.0.1", strict.port())) {
      assertEquals(0L, j.exists("refused:none", "refused:stranger", "refused:plain", "refused:jedis", "refused:jedis2"));
    }
  }

  private static void jedisSet(int port, Issued own, String key) throws Exception {
    try (Jedis j = tlsJedis(port, own)) {
      j.set(key, "1");
    }
  }

  @Test
  void jedisOverTls() throws Exception {
    try (Jedis j = tlsJedis(strict.node().tlsPort(), client)) {
      assertEquals("PONG", j.ping());
      for (int i = 0; i < 100; i++) {
        assertEquals("OK", j.set("jedis:" + i, "value" + i));
      }
      assertEquals(100L, j.incrBy("jedis:counter", 100));
      // A value larger than a TLS record (16 KB) crosses in both directions.
      String big = "x".repeat(200_000);
      assertEquals("OK", j.set("jedis:big", big));
      assertEquals(big, j.get("jedis:big"));
    }
    try (Jedis plain = new Jedis("127.0.0.1", strict.port())) {
      assertEquals("value99", plain.get("jedis:99"));
      assertEquals(200_000L, plain.strlen("jedis:big"));
    }
  }

  @Test
  void optionalClientCertificatesAndATlsOnlyNode() throws Exception {
    assertEquals(0, optional.port(), "port 0 with a tls-port: no plain listener");
    int port = optional.node().tlsPort();
    try (Jedis j = tlsJedis(port, null)) {
      assertEquals("OK", j.set("opt", "no-cert"));
      assertEquals("port\n0", String.join("\n", j.configGet("port").entrySet().stream().flatMap(e -> Stream.of(e.getKey(), e.getValue())).toList()));
    }
    try (Jedis j = tlsJedis(port, client)) {
      assertEquals("no-cert", j.get("opt"));
    }
    assertEquals("no-cert", cli(port, withCert(null, "get", "opt")));
    assertEquals("OK", cli(port, withCert("client", "set", "opt:cli", "with-cert")));
    // A certificate, if sent, must still be one the node trusts. (redis-cli sends the one it is
    // given; Java's client would not send one from a CA the server does not name.)
    String other = cli(port, withCert("stranger", "set", "opt:stranger", "1"));
    assertFalse(other.contains("OK"), other);
    try (Jedis j = tlsJedis(port, null)) {
      assertEquals("with-cert", j.get("opt:cli"));
      assertFalse(j.exists("opt:stranger"));
    }
  }
}
