package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.keyshard.node.KeyshardNode;
import io.keyshard.node.testing.ClusterPorts;
import io.keyshard.node.testing.TestCerts;
import io.keyshard.node.testing.TestCerts.Issued;
import io.keyshard.node.testing.TestNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;

/**
 * The cluster bus over mutual TLS (keyshard.cluster.tls): two nodes with certificates of the
 * cluster's CA form a cluster; a node whose certificate comes from another CA (though it trusts
 * the cluster's CA itself) is refused by the others and never becomes a member.
 */
@Timeout(90)
class ClusterTlsTest {
  private static final String PASSWORD = "store-secret";
  private static EmbeddedPostgres postgres;
  private static Path certs;
  private static Issued clusterCa;
  private static Issued member;

  @BeforeAll
  static void start() throws Exception {
    postgres = EmbeddedPostgres.builder().start();
    certs = Files.createTempDirectory("keyshard-cluster-tls");
    clusterCa = TestCerts.ca("Keyshard cluster CA");
    clusterCa.writeTrustStore(certs.resolve("trust.p12"), PASSWORD);
    // One certificate for the members, both server and client (Artery connects both ways).
    member = clusterCa.issue("keyshard-node", "RSA", true, true);
    member.writeKeyStore(certs.resolve("node.p12"), PASSWORD);
    Issued otherCa = TestCerts.ca("Another CA");
    otherCa.issue("intruder", "RSA", true, true).writeKeyStore(certs.resolve("intruder.p12"), PASSWORD);
  }

  @AfterAll
  static void stop() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
  }

  /** A port whose cluster bus port (+10000) is free too. */
  private static int clusterPort() throws Exception {
    return ClusterPorts.next();
  }

  private static Map<String, Object> settings(String database, int port, List<String> seeds, String keyStore) {
    Map<String, Object> m = new HashMap<>();
    m.put("keyshard.port", port);
    m.put("keyshard.postgres.url", postgres.getJdbcUrl("postgres", database));
    m.put("keyshard.postgres.user", "postgres");
    m.put("keyshard.postgres.password", "");
    m.put("keyshard.cluster.enabled", true);
    m.put("keyshard.cluster.seeds", seeds);
    m.put("keyshard.cluster.min-nodes", 2);
    m.put("keyshard.cluster.tls.enabled", true);
    m.put("keyshard.cluster.tls.key-store", certs.resolve(keyStore).toString());
    m.put("keyshard.cluster.tls.key-store-password", PASSWORD);
    m.put("keyshard.cluster.tls.trust-store", certs.resolve("trust.p12").toString());
    m.put("keyshard.cluster.tls.trust-store-password", PASSWORD);
    return m;
  }

  private static TestNode startNode(Map<String, Object> settings) {
    try {
      return TestNode.start(Files.createTempDirectory("keyshard-ctls"), settings);
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  private static String clusterInfo(int port) {
    try (Jedis j = new Jedis("127.0.0.1", port, 15_000)) {
      return j.clusterInfo() + j.info("cluster");
    }
  }

  @Test
  void wrongStoresStopStartUpWithAClearMessage() throws Exception {
    Map<String, Object> wrongPassword = settings("unused", 7000, List.of(), "node.p12");
    wrongPassword.put("keyshard.cluster.tls.key-store-password", "not-it");
    wrongPassword.put("keyshard.dir", Files.createTempDirectory("keyshard-ctls").toString());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KeyshardNode.loadConfig(ConfigFactory.parseMap(wrongPassword), null));
    assertTrue(e.getMessage().contains("keyshard.cluster.tls.key-store") && e.getMessage().contains("password"), e.getMessage());

    Map<String, Object> noKey = settings("unused", 7000, List.of(), "trust.p12");
    noKey.put("keyshard.dir", wrongPassword.get("keyshard.dir"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KeyshardNode.loadConfig(ConfigFactory.parseMap(noKey), null));
    assertTrue(e.getMessage().contains("holds no private key"), e.getMessage());

    // And a good one becomes Artery's TLS transport with mutual authentication.
    Map<String, Object> good = settings("unused", 7000, List.of(), "node.p12");
    good.put("keyshard.dir", wrongPassword.get("keyshard.dir"));
    Config c = KeyshardNode.loadConfig(ConfigFactory.parseMap(good), null);
    assertEquals("tls-tcp", c.getString("pekko.remote.artery.transport"));
    assertTrue(c.getBoolean("pekko.remote.artery.ssl.config-ssl-engine.require-mutual-authentication"));
    assertEquals(
        certs.resolve("node.p12").toString(), c.getString("pekko.remote.artery.ssl.config-ssl-engine.key-store"));
  }

  @Test
  void membersWithTheClustersCertificateFormAClusterAndAStrangerCannotJoin() throws Exception {
    String database = "cluster_tls_" + System.nanoTime();
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + database);
    }
    int portA = clusterPort();
    int portB = clusterPort();
    CompletableFuture<TestNode> a =
        CompletableFuture.supplyAsync(() -> startNode(settings(database, portA, List.of(), "node.p12")));
    CompletableFuture<TestNode> b =
        CompletableFuture.supplyAsync(
            () -> startNode(settings(database, portB, List.of("127.0.0.1:" + portA), "node.p12")));
    TestNode intruder = null;
    try {
      a.get();
      b.get();
      for (int port : new int[] {portA, portB}) {
        String info = clusterInfo(port);
        assertTrue(info.contains("cluster_state:ok"), info);
        assertTrue(info.contains("cluster_known_nodes:2"), info);
        assertTrue(info.contains("keyshard_cluster_members_up:2"), info);
      }
      // Both nodes serve their share of the slots (the table reached both over the TLS bus).
      try (JedisCluster jc =
          new JedisCluster(
              Set.of(new HostAndPort("127.0.0.1", portA)), 15_000, 15_000, 5,
              null, null, new ConnectionPoolConfig())) {
        for (int i = 0; i < 50; i++) {
          jc.set("k" + i, "v" + i);
        }
        for (int i = 0; i < 50; i++) {
          assertEquals("v" + i, jc.get("k" + i));
        }
      }
      try (Jedis ja = new Jedis("127.0.0.1", portA);
          Jedis jb = new Jedis("127.0.0.1", portB)) {
        assertEquals(50L, ja.dbSize() + jb.dbSize());
        assertTrue(ja.dbSize() > 0 && jb.dbSize() > 0, "both nodes hold keys");
      }

      // The bus port speaks TLS and insists on a client certificate.
      int bus = portA + 10000;
      try (SSLSocket s = (SSLSocket) Issued.clientContext(clusterCa, member).getSocketFactory().createSocket("127.0.0.1", bus)) {
        s.startHandshake();
        assertEquals("TLSv1.3", s.getSession().getProtocol());
        assertEquals(
            member.cert(), s.getSession().getPeerCertificates()[0], "the node presents the cluster's certificate");
      }
      assertThrows(
          IOException.class,
          () -> {
            try (SSLSocket s = (SSLSocket) Issued.clientContext(clusterCa, null).getSocketFactory().createSocket("127.0.0.1", bus)) {
              s.setSoTimeout(10_000);
              s.startHandshake();
              // TLS 1.3: the server checks the client's (missing) certificate after the client's
              // side of the handshake; its alert arrives at the first read.
              if (s.getInputStream().read() < 0) {
                throw new IOException("closed by the node");
              }
            }
          });

      // A node with a certificate from another CA: it trusts the cluster's CA, but the members
      // do not trust it. CLUSTER MEET makes it try to join; it never becomes a member.
      int portC = clusterPort();
      Map<String, Object> cs = settings(database, portC, List.of(), "intruder.p12");
      cs.put("keyshard.cluster.init", "manual");
      intruder = startNode(cs);
      try (Jedis c = new Jedis("127.0.0.1", portC, 15_000)) {
        assertEquals("OK", c.clusterMeet("127.0.0.1", portA));
      }
      long until = System.currentTimeMillis() + 10_000;
      while (System.currentTimeMillis() < until) {
        for (int port : new int[] {portA, portB}) {
          String info = clusterInfo(port);
          assertTrue(info.contains("cluster_known_nodes:2"), info);
          assertTrue(info.contains("keyshard_cluster_members:2"), info);
        }
        String info = clusterInfo(portC);
        assertTrue(info.contains("cluster_known_nodes:1"), info);
        assertTrue(info.contains("keyshard_cluster_members_up:0"), info);
        Thread.sleep(500);
      }
      try (Jedis j = new Jedis("127.0.0.1", portB)) {
        assertTrue(!j.clusterNodes().contains(":" + portC + "@"), "the intruder is in no member's table");
      }
    } finally {
      for (TestNode n : new TestNode[] {intruder, a.getNow(null), b.getNow(null)}) {
        if (n != null) {
          n.close();
        }
      }
    }
  }
}
