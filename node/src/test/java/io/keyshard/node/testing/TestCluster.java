package io.keyshard.node.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Cluster-mode nodes in this JVM on one embedded PostgreSQL (its own database), started together,
 * the first as the seed, and returned once every node reports every slot assigned.
 */
public final class TestCluster implements AutoCloseable {
  private final EmbeddedPostgres postgres;
  private final List<TestNode> nodes;

  private TestCluster(EmbeddedPostgres postgres, List<TestNode> nodes) {
    this.postgres = postgres;
    this.nodes = nodes;
  }

  public static TestCluster start(int size) throws Exception {
    EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
    String database = "cluster_" + System.nanoTime();
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + database);
    }
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      ports.add(ClusterPorts.next());
    }
    List<CompletableFuture<TestNode>> starting = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      Map<String, Object> m = new HashMap<>();
      m.put("keyshard.port", ports.get(i));
      m.put("keyshard.postgres.url", postgres.getJdbcUrl("postgres", database));
      m.put("keyshard.postgres.user", "postgres");
      m.put("keyshard.postgres.password", "");
      m.put("keyshard.cluster.enabled", true);
      m.put("keyshard.cluster.seeds", i == 0 ? List.of() : List.of("127.0.0.1:" + ports.get(0)));
      m.put("keyshard.cluster.min-nodes", size);
      starting.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return TestNode.start(Files.createTempDirectory("keyshard-cluster-node"), m);
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              }));
    }
    List<TestNode> nodes = new ArrayList<>();
    for (CompletableFuture<TestNode> f : starting) {
      nodes.add(f.get());
    }
    for (int port : ports) {
      ClusterJournal.awaitCovered(port, size);
    }
    return new TestCluster(postgres, nodes);
  }

  public TestNode node(int i) {
    return nodes.get(i);
  }

  @Override
  public void close() throws Exception {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
    postgres.close();
  }
}
