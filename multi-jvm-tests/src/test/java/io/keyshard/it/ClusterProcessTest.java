package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;

/**
 * Three cluster-mode nodes as separate JVMs on one PostgreSQL: the cluster forms by itself and
 * covers the 16384 slots, `redis-cli --cluster check` is satisfied, a cluster client writes and
 * reads 10,000 keys over all nodes, and a full restart (SIGTERM all, start all) keeps node ids,
 * ownership and every key.
 */
@Timeout(600)
class ClusterProcessTest {

  private static int clusterPort() throws Exception {
    return Ports.cluster();
  }

  @Test
  void threeJvmsFormACluster() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "cluster-" + System.currentTimeMillis());
    Files.createDirectories(work);
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      int[] ports = {clusterPort(), clusterPort(), clusterPort()};
      List<Path> configs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Path conf = work.resolve("node" + i + ".conf");
        Files.writeString(
            conf,
            "keyshard.postgres { url = \"" + pg.getJdbcUrl("postgres", "postgres") + "\", user = postgres }\n"
                + "keyshard.cluster { enabled = on, min-nodes = 3, seeds = [\"127.0.0.1:" + ports[0] + "\"] }\n");
        configs.add(conf);
      }
      List<NodeProcess> nodes = startAll(work, configs, ports);
      List<String> ids = new ArrayList<>();
      try {
        for (int port : ports) {
          awaitOk(port);
        }
        for (int port : ports) {
          try (Jedis j = new Jedis("127.0.0.1", port)) {
            ids.add(j.clusterMyId());
          }
        }
        // The table reaches every node through Distributed Data: right after start-up one node
        // may still show an older version; the check must pass once they have converged.
        String check = "";
        long until = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < until) {
          check = run("redis-cli", "--cluster", "check", "127.0.0.1:" + ports[1]);
          if (check.contains("[OK] All nodes agree about slots configuration.")) {
            break;
          }
          for (int port : ports) {
            System.out.println("CLUSTER NODES of " + port + ":\n" + run("redis-cli", "-p", Integer.toString(port), "cluster", "nodes"));
          }
          Thread.sleep(500);
        }
        System.out.println(check);
        assertTrue(check.contains("[OK] All nodes agree about slots configuration."), check);
        assertTrue(check.contains("[OK] All 16384 slots covered."), check);

        try (JedisCluster jc = cluster(ports[2])) {
          for (int i = 0; i < 10_000; i++) {
            jc.set("key:" + i, "v" + i);
          }
          for (int i = 0; i < 10_000; i++) {
            assertEquals("v" + i, jc.get("key:" + i));
          }
        }
        long total = 0;
        for (int port : ports) {
          try (Jedis j = new Jedis("127.0.0.1", port)) {
            long n = j.dbSize();
            assertTrue(n > 2000, "each node holds its share: " + n + " on " + port);
            total += n;
          }
        }
        assertEquals(10_000, total);
      } finally {
        for (NodeProcess n : nodes) {
          n.stop(Duration.ofSeconds(60));
        }
      }

      List<NodeProcess> again = startAll(work, configs, ports);
      try {
        for (int port : ports) {
          awaitOk(port);
        }
        for (int i = 0; i < 3; i++) {
          try (Jedis j = new Jedis("127.0.0.1", ports[i])) {
            assertEquals(ids.get(i), j.clusterMyId(), "node ids survive a restart");
          }
        }
        try (JedisCluster jc = cluster(ports[0])) {
          for (int i = 0; i < 10_000; i += 13) {
            assertEquals("v" + i, jc.get("key:" + i));
          }
        }
      } finally {
        for (NodeProcess n : again) {
          n.close();
        }
      }
    }
  }

  /** redis-cli --cluster create on three node JVMs started with cluster-init manual. */
  @Test
  void redisCliCreatesAClusterOfManualJvms() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "manual-" + System.currentTimeMillis());
    Files.createDirectories(work);
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      int[] ports = {clusterPort(), clusterPort(), clusterPort()};
      List<Path> configs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Path conf = work.resolve("node" + i + ".conf");
        Files.writeString(
            conf,
            "keyshard.postgres { url = \"" + pg.getJdbcUrl("postgres", "postgres") + "\", user = postgres }\n"
                + "keyshard.cluster { enabled = on, init = manual }\n");
        configs.add(conf);
      }
      List<NodeProcess> nodes = startAll(work, configs, ports);
      try {
        List<String> cmd = new ArrayList<>(List.of("timeout", "180", "redis-cli", "--cluster", "create"));
        for (int port : ports) {
          cmd.add("127.0.0.1:" + port);
        }
        cmd.add("--cluster-yes");
        String out = run(cmd.toArray(new String[0]));
        System.out.println(out);
        assertTrue(out.contains("[OK] All nodes agree about slots configuration."), out);
        assertTrue(out.contains("[OK] All 16384 slots covered."), out);
        for (int port : ports) {
          awaitOk(port);
        }
        try (JedisCluster jc = cluster(ports[0])) {
          for (int i = 0; i < 1000; i++) {
            jc.set("{t" + (i % 50) + "}k" + i, "v" + i);
          }
          // Multi-key commands inside one slot (hash tags).
          jc.mset("{user:7}:name", "ann", "{user:7}:mail", "ann@example.org");
          assertEquals(List.of("ann", "ann@example.org"), jc.mget("{user:7}:name", "{user:7}:mail"));
          for (int i = 0; i < 1000; i++) {
            assertEquals("v" + i, jc.get("{t" + (i % 50) + "}k" + i));
          }
        }
        for (int port : ports) {
          try (Jedis j = new Jedis("127.0.0.1", port)) {
            assertTrue(j.dbSize() > 0, "every node serves keys: " + port);
          }
        }
      } finally {
        for (NodeProcess n : nodes) {
          n.close();
        }
      }
    }
  }

  private static List<NodeProcess> startAll(Path work, List<Path> configs, int[] ports) throws Exception {
    List<NodeProcess> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      nodes.add(
          NodeProcess.launch(work.resolve("data" + i), configs.get(i), ports[i], work.resolve("node" + i + ".log")));
    }
    for (NodeProcess n : nodes) {
      n.awaitReady();
    }
    return nodes;
  }

  private static JedisCluster cluster(int port) {
    return new JedisCluster(
        Set.of(new HostAndPort("127.0.0.1", port)), 5000, 5000, 5, null, null, new ConnectionPoolConfig());
  }

  private static void awaitOk(int port) throws Exception {
    try (Jedis j = new Jedis("127.0.0.1", port)) {
      long until = System.currentTimeMillis() + 90_000;
      String info = "";
      while (System.currentTimeMillis() < until) {
        info = j.clusterInfo();
        if (info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:3")) {
          return;
        }
        Thread.sleep(200);
      }
      throw new AssertionError("cluster not ok on " + port + ":\n" + info);
    }
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }
}
