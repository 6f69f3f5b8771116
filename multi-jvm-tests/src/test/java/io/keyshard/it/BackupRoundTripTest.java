package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyshard.tools.backup.BackupTool;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * Issue 17's round trips with real processes, each compared key by key (type, value, TTL within
 * a second): a standalone node -> backup -> a 3-node cluster; that cluster -> backup -> a
 * standalone node and -> a 5-node cluster. A writer keeps writing during each backup: what the
 * restore holds of its writes must be a prefix (and every cross-slot MSET whole), and the rest
 * must equal the data loaded before. A redis-server 7.0.15 started on the cluster backup's
 * dump.rdb has the DEBUG DIGEST the manifest and the restored Keyshard node give.
 */
@Timeout(1200)
class BackupRoundTripTest {
  /** Keys per database and dataset: enough for every encoding and many slots, quick on 2 cores. */
  static final int KEYS = Integer.getInteger("keyshard.it.backup.keys", 1200);

  static int backup(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = BackupTool.run(args, new PrintStream(out, true), new PrintStream(err, true));
    System.out.println("keyshard-backup " + String.join(" ", args) + " -> " + code + "\n" + out + err);
    lastOutput = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    return code;
  }

  static String lastOutput = "";

  static final String LIB_RT = "#!lua name=rt\nredis.register_function('rt_f', function() return 'rt' end)";
  static final String LIB_ONE = "#!lua name=onenode\nredis.register_function('one_f', function() return 1 end)";

  /** Each port's function library names, in order. */
  static List<java.util.Set<String>> libraryNames(int... ports) {
    List<java.util.Set<String>> out = new ArrayList<>();
    for (int port : ports) {
      try (Jedis j = new Jedis("127.0.0.1", port)) {
        out.add(new java.util.TreeSet<>(io.keyshard.tools.Libraries.read(j).keySet()));
      }
    }
    return out;
  }

  static Path standaloneConfig(Path work, String name) throws Exception {
    Path conf = work.resolve(name + ".conf");
    Files.writeString(conf, "keyshard.enable-debug-command = yes\n");
    return conf;
  }

  @Test
  void standaloneToThreeNodesToStandaloneAndFiveNodes() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "backup-" + System.currentTimeMillis());
    Files.createDirectories(work);

    // 1. A standalone node with data in two databases, backed up while a writer writes.
    Map<String, Keyspace.Read> db0;
    Map<String, Keyspace.Read> db5;
    Path first = work.resolve("b1");
    try (NodeProcess s = NodeProcess.start(work.resolve("s1"), standaloneConfig(work, "s1"), work.resolve("s1.log"));
        Keyspace ks = new Keyspace(s.port())) {
      Dataset.load(ks, 0, "a", KEYS, 1);
      Dataset.load(ks, 5, "b", KEYS / 3, 2);
      try (Jedis j = new Jedis("127.0.0.1", s.port())) {
        j.functionLoad(LIB_RT);
      }
      db0 = ks.read(0);
      db5 = ks.read(5);
      try (CutWriter w = new CutWriter(new int[] {s.port()}, true)) {
        Thread.sleep(300);
        assertEquals(0, backup("create", "--from", "127.0.0.1:" + s.port(), "--out", first.toString()), lastOutput);
        assertTrue(w.written() > 0);
      }
    }
    assertEquals(0, backup("verify", first.toString()), lastOutput);

    // 2. Into a 3-node cluster; then that cluster's own backup, again under a writer.
    Path second = work.resolve("b2");
    Map<String, Keyspace.Read> c0;
    Map<String, Keyspace.Read> c5;
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      int[] ports = {Ports.cluster(), Ports.cluster(), Ports.cluster()};
      // Every node has a backup schedule; exactly one runs it (a cluster singleton).
      List<NodeProcess> nodes =
          cluster(work.resolve("c3"), pg, ports, "keyshard.backup { every = 3s, keep = 1 }\n");
      try (Keyspace ks = new Keyspace(ports)) {
        assertEquals(0, backup("restore", first.toString(), "--to", "redis://127.0.0.1:" + ports[1]), lastOutput);
        Map<String, Keyspace.Read> restored = ks.read(0);
        long held = CutWriter.checkAndRemove(restored);
        System.out.println("the standalone backup held " + held + " of the writer's SETs");
        assertEquals(List.of(), Keyspace.differences(db0, restored, 1000));
        assertEquals(List.of(), Keyspace.differences(db5, ks.read(5), 1000));
        // The standalone node's library, on every primary.
        assertEquals(java.util.Collections.nCopies(3, java.util.Set.of("rt")), libraryNames(ports));

        Dataset.load(ks, 3, "c", KEYS / 3, 3);
        // One node holds a library the others do not: the backup names it as disagreeing.
        try (Jedis j = new Jedis("127.0.0.1", ports[1])) {
          j.functionLoad(LIB_ONE);
        }
        c0 = ks.read(0);
        c5 = ks.read(5);
        Map<String, Keyspace.Read> c3 = ks.read(3);
        try (CutWriter w = new CutWriter(ports, false)) {
          Thread.sleep(300);
          assertEquals(0, backup("create", "--from", "127.0.0.1:" + ports[2], "--out", second.toString()), lastOutput);
        }
        assertEquals(0, backup("verify", second.toString()), lastOutput);
        List<List<Path>> scheduled = new ArrayList<>();
        for (int i = 0; i < ports.length; i++) {
          Path dir = work.resolve("c3").resolve("data" + i).resolve("backups");
          if (Files.isDirectory(dir)) {
            try (var archives = Files.list(dir)) {
              List<Path> done = archives.filter(p -> !p.getFileName().toString().endsWith(".partial")).sorted().toList();
              if (!done.isEmpty()) {
                scheduled.add(done);
              }
            }
          }
        }
        assertEquals(1, scheduled.size(), "exactly one node takes the scheduled backups: " + scheduled);
        assertTrue(scheduled.get(0).size() <= 2, "keep = 1 (and one just written): " + scheduled);
        assertEquals(0, backup("verify", scheduled.get(0).get(0).toString()), lastOutput);
        // The writers' keys are checked as prefixes, not against a read taken before.
        c0.keySet().removeIf(k -> k.startsWith("{w}:") || k.startsWith("{x}:") || k.startsWith("{y}:"));
        c0 = withDb(c0, c3);
      } finally {
        stop(nodes);
      }
    }
    JsonNode manifest = new ObjectMapper().readTree(second.resolve("manifest.json").toFile());
    assertEquals("cluster", manifest.path("source").path("mode").asText());
    assertEquals(3, manifest.path("source").path("nodes").size());
    JsonNode fns = manifest.path("functions");
    assertEquals(2, fns.path("libraries").size(), fns.toString());
    assertEquals(3, fns.path("libraries").get(1).path("nodes").size(), fns.toString()); // rt, after onenode
    assertEquals(1, fns.path("libraries").get(0).path("nodes").size(), fns.toString());
    assertEquals(2, fns.path("disagreeing").size(), fns.toString());

    // 3. The cluster's backup into a fresh standalone node: the same keys, the same digest.
    String keyshardDigest;
    try (NodeProcess s = NodeProcess.start(work.resolve("s2"), standaloneConfig(work, "s2"), work.resolve("s2.log"));
        Keyspace ks = new Keyspace(s.port())) {
      assertEquals(0, backup("restore", second.toString(), "--to", "127.0.0.1:" + s.port()), lastOutput);
      Map<String, Keyspace.Read> restored = ks.read(0);
      CutWriter.checkAndRemove(restored);
      assertEquals(List.of(), Keyspace.differences(only(c0, 0), restored, 1000));
      assertEquals(List.of(), Keyspace.differences(only(c0, 3), ks.read(3), 1000));
      assertEquals(List.of(), Keyspace.differences(c5, ks.read(5), 1000));
      assertEquals(List.of(java.util.Set.of("onenode", "rt")), libraryNames(s.port()));
      // DEBUG DIGEST locks every non-empty slot in turn: more than Jedis's 2 s at a load of 10.
      try (Jedis j = new Jedis("127.0.0.1", s.port(), 60_000)) {
        keyshardDigest = new String((byte[]) j.sendCommand(() -> "DEBUG".getBytes(), "DIGEST"), StandardCharsets.UTF_8);
      }
    }

    // 4. A redis-server started on the backup's dump.rdb holds the same dataset.
    Path redisDir = Files.createDirectories(work.resolve("redis"));
    Files.copy(second.resolve("dump.rdb"), redisDir.resolve("dump.rdb"));
    try (RedisServer redis = RedisServer.start(redisDir, "--dbfilename", "dump.rdb");
        Jedis j = redis.client()) {
      String redisDigest = new String((byte[]) j.sendCommand(() -> "DEBUG".getBytes(), "DIGEST"), StandardCharsets.UTF_8);
      assertEquals(manifest.path("redisDigest").asText(), redisDigest, "redis-server's DEBUG DIGEST of the backup");
      assertEquals(redisDigest, keyshardDigest, "Keyshard's DEBUG DIGEST after the restore");
      assertEquals("rt", j.fcall("rt_f", List.of(), List.of()));
      assertEquals(1L, j.fcall("one_f", List.of(), List.of()));
    }

    // 5. The same backup into a 5-node cluster.
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      int[] ports = {Ports.cluster(), Ports.cluster(), Ports.cluster(), Ports.cluster(), Ports.cluster()};
      List<NodeProcess> nodes = cluster(work.resolve("c5"), pg, ports);
      try (Keyspace ks = new Keyspace(ports)) {
        assertEquals(0, backup("restore", second.toString(), "--to", "127.0.0.1:" + ports[4]), lastOutput);
        Map<String, Keyspace.Read> restored = ks.read(0);
        CutWriter.checkAndRemove(restored);
        assertEquals(List.of(), Keyspace.differences(only(c0, 0), restored, 1000));
        assertEquals(List.of(), Keyspace.differences(only(c0, 3), ks.read(3), 1000));
        assertEquals(List.of(), Keyspace.differences(c5, ks.read(5), 1000));
        assertEquals(java.util.Collections.nCopies(5, java.util.Set.of("onenode", "rt")), libraryNames(ports));
        // Restoring again over the same keys is refused unless told what to do with them.
        assertEquals(4, backup("restore", second.toString(), "--to", "127.0.0.1:" + ports[0]), lastOutput);
        assertTrue(lastOutput.contains("--replace"), lastOutput);
        assertEquals(0, backup("restore", second.toString(), "--to", "127.0.0.1:" + ports[0], "--skip-existing"), lastOutput);
        assertTrue(lastOutput.contains("existing keys kept"), lastOutput);
        // The cluster compared with the backup slot by slot: the same (no key sent).
        assertEquals(0, backup("verify", second.toString(), "--against", "127.0.0.1:" + ports[2]), lastOutput);
        assertTrue(lastOutput.contains("no key sent"), lastOutput);
      } finally {
        stop(nodes);
      }
    }
  }

  /** Keys of database {@code db} kept under a "db:" prefix in one map (see {@link #only}). */
  private static Map<String, Keyspace.Read> withDb(Map<String, Keyspace.Read> db0, Map<String, Keyspace.Read> db3) {
    Map<String, Keyspace.Read> all = new java.util.TreeMap<>();
    db0.forEach((k, v) -> all.put("0 " + k, v));
    db3.forEach((k, v) -> all.put("3 " + k, v));
    return all;
  }

  private static Map<String, Keyspace.Read> only(Map<String, Keyspace.Read> all, int db) {
    Map<String, Keyspace.Read> out = new java.util.TreeMap<>();
    all.forEach((k, v) -> {
      if (k.startsWith(db + " ")) {
        out.put(k.substring(k.indexOf(' ') + 1), v);
      }
    });
    return out;
  }

  static List<NodeProcess> cluster(Path work, EmbeddedPostgres pg, int[] ports) throws Exception {
    return cluster(work, pg, ports, "");
  }

  static List<NodeProcess> cluster(Path work, EmbeddedPostgres pg, int[] ports, String extra) throws Exception {
    Files.createDirectories(work);
    String url = pg.getJdbcUrl("postgres", "postgres");
    List<Path> configs =
        ClusterProbe.configs(work, url, ports, ports.length, i -> "keyshard.enable-debug-command = yes\n" + extra);
    List<NodeProcess> nodes = new ArrayList<>(List.of(ClusterProbe.launch(work, configs, ports)));
    try {
      for (NodeProcess n : nodes) {
        n.awaitReady();
      }
      ClusterProbe.awaitCoveredBy(ports);
      ClusterProbe.awaitOneOwnerEverywhere(ports);
      ClusterProbe.awaitEveryShardAnswers(ports[0]);
      return nodes;
    } catch (Exception | AssertionError e) {
      stop(nodes);
      throw e;
    }
  }

  static void stop(List<NodeProcess> nodes) throws InterruptedException {
    for (NodeProcess n : nodes) {
      n.close();
    }
  }
}
