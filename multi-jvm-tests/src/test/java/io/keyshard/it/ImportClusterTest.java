package io.keyshard.it;

import static io.keyshard.it.ImportTest.importer;
import static io.keyshard.it.ImportTest.lastOutput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * Issue 18 across clusters: a 3-node Redis Cluster (redis-server 7.0.15, made with `redis-cli
 * --cluster create`) imported into a 3-node Keyshard cluster while 300 of its slots move (`redis-cli
 * --cluster reshard`), then that Keyshard cluster imported into a standalone Keyshard node; each
 * checked by --verify and by the test's own key-by-key read.
 */
@Timeout(900)
class ImportClusterTest {
  static final int KEYS = 3_000;

  @Test
  void aRedisClusterIntoAKeyshardClusterAndThatIntoAStandaloneNode() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "import-cluster-" + System.currentTimeMillis());
    Files.createDirectories(work);
    List<RedisServer> redis = new ArrayList<>();
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      for (int i = 0; i < 3; i++) {
        Path dir = Files.createDirectories(work.resolve("redis" + i));
        redis.add(RedisServer.start(dir, "--cluster-enabled", "yes", "--cluster-config-file", dir.resolve("nodes.conf").toString()));
      }
      int[] redisPorts = redis.stream().mapToInt(r -> r.port).toArray();
      List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
      for (int p : redisPorts) {
        create.add("127.0.0.1:" + p);
      }
      create.add("--cluster-yes");
      Process p = new ProcessBuilder(create).redirectErrorStream(true).redirectOutput(work.resolve("create.log").toFile()).start();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, Files.readString(work.resolve("create.log")));
      awaitClusterOk(redisPorts);

      int[] ports = {Ports.cluster(), Ports.cluster(), Ports.cluster()};
      List<NodeProcess> nodes = BackupRoundTripTest.cluster(work.resolve("ks"), pg, ports);
      try (Keyspace source = new Keyspace(redisPorts);
          Keyspace target = new Keyspace(ports)) {
        Dataset.load(source, 0, "a", KEYS, 5);
        Map<String, Keyspace.Read> expected = source.read(0);
        String from = "127.0.0.1:" + redisPorts[1];
        String to = "127.0.0.1:" + ports[2];
        // Slots move on the source while it is copied (redis-cli --cluster reshard, MIGRATE under
        // the hood): keys of a moving slot may be scanned on neither node; the importer copies
        // the moved slots again from their owners at the end.
        java.util.concurrent.CompletableFuture<Integer> copy =
            java.util.concurrent.CompletableFuture.supplyAsync(
                () -> importer("--from", from, "--to", to, "--state", work.resolve("s1.json").toString(), "--rate", "400"));
        Thread.sleep(1500);
        String[] ids = new String[3];
        for (int i = 0; i < 3; i++) {
          try (Jedis j = new Jedis("127.0.0.1", redisPorts[i])) {
            ids[i] = j.clusterMyId();
          }
        }
        Process reshard =
            new ProcessBuilder(
                    "redis-cli", "--cluster", "reshard", "127.0.0.1:" + redisPorts[0], "--cluster-from", ids[0],
                    "--cluster-to", ids[1], "--cluster-slots", "300", "--cluster-yes")
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("reshard.log").toFile())
                .start();
        assertTrue(reshard.waitFor(120, TimeUnit.SECONDS) && reshard.exitValue() == 0, Files.readString(work.resolve("reshard.log")));
        assertEquals(0, copy.get(300, TimeUnit.SECONDS), lastOutput);
        assertTrue(lastOutput.contains("changed owners during the copy"), lastOutput);
        assertEquals(0, importer("--from", from, "--to", to, "--verify", "--report", work.resolve("r1").toString()), lastOutput);
        assertTrue(lastOutput.contains(KEYS + " keys compared, 0 differ"), lastOutput);
        assertEquals(List.of(), Keyspace.differences(expected, target.read(0), 1000));

        // A Keyshard cluster as the source, into a standalone node.
        try (NodeProcess standalone = NodeProcess.start(work.resolve("s"), null, work.resolve("s.log"));
            Keyspace one = new Keyspace(standalone.port())) {
          String into = "127.0.0.1:" + standalone.port();
          assertEquals(0, importer("--from", to, "--to", into, "--state", work.resolve("s2.json").toString()), lastOutput);
          assertEquals(0, importer("--from", to, "--to", into, "--verify", "--report", work.resolve("r2").toString()), lastOutput);
          assertEquals(List.of(), Keyspace.differences(expected, one.read(0), 1000));
        }
      } finally {
        BackupRoundTripTest.stop(nodes);
      }
    } finally {
      for (RedisServer r : redis) {
        r.close();
      }
    }
  }

  private static void awaitClusterOk(int[] ports) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (int port : ports) {
      try (Jedis j = new Jedis("127.0.0.1", port)) {
        while (!j.clusterInfo().contains("cluster_state:ok")) {
          assertTrue(System.nanoTime() < deadline, "redis cluster not ok on " + port);
          Thread.sleep(100);
        }
      }
    }
  }
}
