package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.ClusterJournal;
import io.keyshard.node.testing.ClusterPorts;
import io.keyshard.node.testing.TestNode;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.rdb.RdbFileReader;
import io.keyshard.persistence.rdb.RdbItem;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;

/**
 * In cluster mode, BGSAVE writes the node's own slots (as a Redis Cluster node does): of two
 * nodes sharing the slots, each dump.rdb holds exactly the keys of the slots its node owns, and
 * the two files together hold every key with its value.
 */
@Timeout(240)
class ClusterSaveTest {
  private static Map<String, Object> settings(String url, int port, List<String> seeds) {
    Map<String, Object> m = new HashMap<>();
    m.put("keyshard.port", port);
    m.put("keyshard.postgres.url", url);
    m.put("keyshard.postgres.user", "postgres");
    m.put("keyshard.postgres.password", "");
    m.put("keyshard.cluster.enabled", true);
    m.put("keyshard.cluster.seeds", seeds);
    m.put("keyshard.cluster.min-nodes", 2);
    return m;
  }

  private static TestNode start(Path dir, Map<String, Object> settings) {
    try {
      return TestNode.start(dir, settings);
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  @Test
  void eachNodeSavesItsOwnSlots() throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
      String database = "cluster_save";
      try (Connection c = postgres.getPostgresDatabase().getConnection();
          Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE " + database);
      }
      String url = postgres.getJdbcUrl("postgres", database);
      int portA = ClusterPorts.next();
      int portB = ClusterPorts.next();
      Path dirA = Files.createTempDirectory("keyshard-sa");
      Path dirB = Files.createTempDirectory("keyshard-sb");
      CompletableFuture<TestNode> a = CompletableFuture.supplyAsync(() -> start(dirA, settings(url, portA, List.of())));
      CompletableFuture<TestNode> b =
          CompletableFuture.supplyAsync(() -> start(dirB, settings(url, portB, List.of("127.0.0.1:" + portA))));
      try (TestNode nodeA = a.get();
          TestNode nodeB = b.get()) {
        ClusterJournal.awaitCovered(portA, 2);
        ClusterJournal.awaitCovered(portB, 2);
        try (JedisCluster jc =
            new JedisCluster(Set.of(new HostAndPort("127.0.0.1", portA)), 15_000, 15_000, 5, null, null, new ConnectionPoolConfig())) {
          for (int i = 0; i < 500; i++) {
            jc.set("k:" + i, "v" + i);
          }
        }
        Map<String, String> all = new HashMap<>();
        for (TestNode n : List.of(nodeA, nodeB)) {
          int port = n.port();
          try (Jedis j = new Jedis("127.0.0.1", port, 15_000)) {
            assertEquals("Background saving started", j.bgsave());
            long until = System.currentTimeMillis() + 60_000;
            while (!j.info("persistence").contains("rdb_bgsave_in_progress:0")) {
              assertTrue(System.currentTimeMillis() < until);
              Thread.sleep(10);
            }
            assertTrue(j.info("persistence").contains("rdb_last_bgsave_status:ok"));
            Map<String, String> saved = read(n.dir().resolve("dump.rdb"));
            assertTrue(!saved.isEmpty(), "node on " + port + " saved nothing");
            for (String key : saved.keySet()) {
              int slot = (int) j.clusterKeySlot(key);
              String owner = j.clusterNodes();
              assertTrue(ownsSlot(owner, slot), key + " (slot " + slot + ") is not this node's");
            }
            all.putAll(saved);
          }
        }
        assertEquals(500, all.size());
        for (int i = 0; i < 500; i++) {
          assertEquals("v" + i, all.get("k:" + i));
        }
      }
    }
  }

  /** Whether the myself line of CLUSTER NODES lists {@code slot}. */
  private static boolean ownsSlot(String nodes, int slot) {
    for (String line : nodes.split("\n")) {
      if (!line.contains("myself")) {
        continue;
      }
      String[] parts = line.trim().split(" ");
      for (int i = 8; i < parts.length; i++) {
        String range = parts[i];
        if (range.startsWith("[")) {
          continue;
        }
        int dash = range.indexOf('-');
        int from = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
        int to = dash < 0 ? from : Integer.parseInt(range.substring(dash + 1));
        if (slot >= from && slot <= to) {
          return true;
        }
      }
    }
    return false;
  }

  private static Map<String, String> read(Path file) throws Exception {
    Map<String, String> out = new HashMap<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      RdbFileReader r = new RdbFileReader(in);
      for (RdbItem item = r.next(); item != null; item = r.next()) {
        if (item instanceof RdbItem.Entry e) {
          assertEquals(0, e.db());
          out.put(
              new String(e.key(), StandardCharsets.UTF_8),
              new String(((StringValue) e.value()).bytes(), StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }
}
