package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.ClusterJournal;
import io.keyshard.node.testing.ClusterPorts;
import io.keyshard.node.testing.TestNode;
import io.keyshard.protocol.Slots;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisMovedDataException;

/**
 * Redisson in cluster mode against three cluster-mode nodes in this JVM on one PostgreSQL journal:
 * the same locks, fair lock, semaphore, rate limiter, map and topic as against a standalone node
 * (RedissonTest.exercise), with its scripts sent to each key's slot owner and its Pub/Sub across
 * nodes.
 */
@Timeout(240)
class ClusterRedissonTest {
  private static EmbeddedPostgres postgres;
  private static TestNode a;
  private static TestNode b;
  private static TestNode c;

  @BeforeAll
  static void start() throws Exception {
    postgres = EmbeddedPostgres.builder().start();
    String database = "redisson_" + System.nanoTime();
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + database);
    }
    int portA = ClusterPorts.next();
    int portB = ClusterPorts.next();
    int portC = ClusterPorts.next();
    CompletableFuture<TestNode> fa =
        CompletableFuture.supplyAsync(() -> start(Path.of("a"), settings(database, portA, List.of())));
    CompletableFuture<TestNode> fb =
        CompletableFuture.supplyAsync(() -> start(Path.of("b"), settings(database, portB, List.of("127.0.0.1:" + portA))));
    CompletableFuture<TestNode> fc =
        CompletableFuture.supplyAsync(() -> start(Path.of("c"), settings(database, portC, List.of("127.0.0.1:" + portA))));
    a = fa.get();
    b = fb.get();
    c = fc.get();
    for (int port : new int[] {portA, portB, portC}) {
      ClusterJournal.awaitCovered(port, 3);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (TestNode n : new TestNode[] {c, b, a}) {
      if (n != null) {
        n.close();
      }
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  private static Map<String, Object> settings(String database, int port, List<String> seeds) {
    Map<String, Object> m = new HashMap<>();
    m.put("keyshard.port", port);
    m.put("keyshard.postgres.url", postgres.getJdbcUrl("postgres", database));
    m.put("keyshard.postgres.user", "postgres");
    m.put("keyshard.postgres.password", "");
    m.put("keyshard.cluster.enabled", true);
    m.put("keyshard.cluster.seeds", seeds);
    m.put("keyshard.cluster.min-nodes", 3);
    return m;
  }

  private static TestNode start(Path name, Map<String, Object> settings) {
    try {
      return TestNode.start(Files.createTempDirectory("keyshard-rc-" + name), settings);
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  @Test
  void redissonRunsAgainstThreeNodes() throws Exception {
    org.redisson.config.Config config = new org.redisson.config.Config();
    config.useClusterServers()
        .addNodeAddress("redis://127.0.0.1:" + a.port(), "redis://127.0.0.1:" + b.port(), "redis://127.0.0.1:" + c.port());
    org.redisson.api.RedissonClient redisson = org.redisson.Redisson.create(config);
    try {
      io.keyshard.node.commands.RedissonTest.exercise(redisson, "cluster");
    } finally {
      redisson.shutdown();
    }
  }
}
