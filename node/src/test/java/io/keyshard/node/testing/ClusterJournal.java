package io.keyshard.node.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;

/**
 * One embedded PostgreSQL for a test class's in-JVM clusters: a database per cluster (its slot
 * table and its data), the settings of a cluster node on it, and the wait until a node serves
 * every slot.
 */
public final class ClusterJournal implements AutoCloseable {
  private final EmbeddedPostgres postgres;

  private ClusterJournal(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  public static ClusterJournal start() throws Exception {
    return new ClusterJournal(EmbeddedPostgres.builder().start());
  }

  public EmbeddedPostgres postgres() {
    return postgres;
  }

  /** A new, empty database named {@code prefix} and a unique suffix. */
  public String freshDatabase(String prefix) throws Exception {
    String database = prefix + "_" + System.nanoTime();
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + database);
    }
    return database;
  }

  /** A cluster node on {@code database}: its port, its seeds, the nodes that share the slots. */
  public Map<String, Object> settings(String database, int port, List<String> seeds, int minNodes) {
    Map<String, Object> m = new HashMap<>();
    m.put("keyshard.port", port);
    m.put("keyshard.postgres.url", postgres.getJdbcUrl("postgres", database));
    m.put("keyshard.postgres.user", "postgres");
    m.put("keyshard.postgres.password", "");
    m.put("keyshard.cluster.enabled", true);
    m.put("keyshard.cluster.seeds", seeds);
    m.put("keyshard.cluster.min-nodes", minNodes);
    return m;
  }

  /** Starts a node, for CompletableFuture.supplyAsync (several nodes start together). */
  public static TestNode start(Path dir, Map<String, Object> settings) {
    try {
      return TestNode.start(dir, settings);
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** Waits until the node reports every slot assigned and {@code nodes} known nodes. */
  public static void awaitCovered(int port, int nodes) throws Exception {
    try (Jedis j = new Jedis("127.0.0.1", port, 15_000)) {
      long until = System.currentTimeMillis() + 60_000;
      String info = "";
      while (System.currentTimeMillis() < until) {
        info = j.clusterInfo();
        if (info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:" + nodes)) {
          return;
        }
        Thread.sleep(100);
      }
      throw new AssertionError("not covered on " + port + ":\n" + info);
    }
  }

  @Override
  public void close() throws Exception {
    postgres.close();
  }
}
