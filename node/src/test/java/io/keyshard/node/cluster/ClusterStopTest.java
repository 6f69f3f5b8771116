package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.ClusterPorts;
import io.keyshard.node.testing.TestNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * A clean stop ends within a bound whatever the node's membership: never joined, joining a
 * cluster that never answers, or stopped right after joining (its shard claims still running).
 * KeyshardNode.close waits 30 s at most for the actor system; a stop must need far less.
 */
@Timeout(180)
@Tag("alone") // bounds a stop's time: not beside another test JVM (node/pom.xml)
class ClusterStopTest {
  /**
   * What a clean stop of a node with no data may take on a busy 2-core machine: well below the
   * 10 s a shard region waits for what it buffered, so a stop that waits for it fails.
   */
  private static final long BOUND_MS = 8_000;

  private static EmbeddedPostgres postgres;
  private String database;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
  }

  @BeforeEach
  void freshDatabase() throws Exception {
    database = "cluster_stop_" + System.nanoTime();
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + database);
    }
  }

  private Map<String, Object> settings(int port, List<String> seeds) {
    Map<String, Object> m = new HashMap<>();
    m.put("keyshard.port", port);
    m.put("keyshard.postgres.url", postgres.getJdbcUrl("postgres", database));
    m.put("keyshard.postgres.user", "postgres");
    m.put("keyshard.postgres.password", "");
    m.put("keyshard.cluster.enabled", true);
    m.put("keyshard.cluster.seeds", seeds);
    m.put("keyshard.cluster.min-nodes", 2);
    return m;
  }

  private static TestNode start(Map<String, Object> settings) {
    try {
      return TestNode.start(Files.createTempDirectory("keyshard-stop"), settings);
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** Closes the node and returns how long that took, in ms. */
  private static long timedClose(TestNode node, String what) throws Exception {
    long t0 = System.nanoTime();
    node.close();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("ClusterStopTest: " + what + " stopped in " + ms + " ms");
    return ms;
  }

  @Test
  void aNodeThatNeverJoinedStopsAtOnce() throws Exception {
    Map<String, Object> s = settings(ClusterPorts.next(), List.of());
    s.put("keyshard.cluster.init", "manual");
    TestNode alone = start(s);
    try (Jedis j = new Jedis("127.0.0.1", alone.port(), 15_000)) {
      assertTrue(j.info("cluster").contains("keyshard_cluster_joined:0"));
    }
    long ms = timedClose(alone, "never joined");
    assertTrue(ms < BOUND_MS, "stopped in " + ms + " ms");
  }

  /**
   * CLUSTER MEET with a node whose cluster bus never answers (here: nothing listens on it): the
   * node keeps trying to join its seed; its stop must not wait for the join.
   */
  @Test
  void aNodeStillTryingToJoinStopsAtOnce() throws Exception {
    int deadBus = ClusterPorts.next() + 10000; // free: nothing will answer there
    try (ServerSocket fake = new ServerSocket(0)) {
      // A "node" that says it is in a cluster, with that dead bus port.
      Thread t = new Thread(() -> answerInfo(fake, deadBus), "fake-cluster-node");
      t.setDaemon(true);
      t.start();
      Map<String, Object> s = settings(ClusterPorts.next(), List.of());
      s.put("keyshard.cluster.init", "manual");
      TestNode joining = start(s);
      try (Jedis j = new Jedis("127.0.0.1", joining.port(), 15_000)) {
        assertEquals("OK", j.clusterMeet("127.0.0.1", fake.getLocalPort()));
        long until = System.currentTimeMillis() + 10_000;
        while (!j.info("cluster").contains("keyshard_cluster_joined:1")) {
          assertTrue(System.currentTimeMillis() < until, "the node never started joining");
          Thread.sleep(50);
        }
        Thread.sleep(2_000); // a join attempt or two
      }
      long ms = timedClose(joining, "joining");
      assertTrue(ms < BOUND_MS, "stopped in " + ms + " ms");
    }
  }

  /** Answers every RESP command with an INFO cluster text naming {@code bus} as its bus port. */
  private static void answerInfo(ServerSocket server, int bus) {
    String info = "cluster_enabled:1\r\nkeyshard_cluster_joined:1\r\nkeyshard_cluster_bus_port:" + bus + "\r\n";
    byte[] reply =
        ("$" + info.getBytes(StandardCharsets.UTF_8).length + "\r\n" + info + "\r\n")
            .getBytes(StandardCharsets.UTF_8);
    while (!server.isClosed()) {
      try (Socket s = server.accept()) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[4096];
        if (in.read(buf) > 0) {
          out.write(reply);
          out.flush();
        }
      } catch (Exception closed) {
        // the test ended
      }
    }
  }

  /**
   * Two nodes stopped as soon as they started: each has just joined, its shard claims (256
   * allocations by the coordinator) may still be running.
   */
  @Test
  void nodesStoppedRightAfterJoiningStopPromptly() throws Exception {
    int portA = ClusterPorts.next();
    int portB = ClusterPorts.next();
    CompletableFuture<TestNode> a = CompletableFuture.supplyAsync(() -> start(settings(portA, List.of())));
    CompletableFuture<TestNode> b =
        CompletableFuture.supplyAsync(() -> start(settings(portB, List.of("127.0.0.1:" + portA))));
    TestNode na = a.get();
    TestNode nb = b.get();
    long msA = timedClose(na, "first member, just joined");
    long msB = timedClose(nb, "second member, just joined");
    assertTrue(msA < BOUND_MS, "the first stopped in " + msA + " ms");
    assertTrue(msB < BOUND_MS, "the second stopped in " + msB + " ms");
  }
}
