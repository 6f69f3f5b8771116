package io.keyshard.it;

import static io.keyshard.it.BackupRoundTripTest.backup;
import static io.keyshard.it.BackupRoundTripTest.lastOutput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * Issue 17's point in time, with real processes: writes before and after a recorded instant
 * (overwrites, deletes, new keys, a cross-slot MSET on either side, a key overwritten until its
 * slot snapshots several times on both sides); {@code keyshard-backup create --at} that instant,
 * restored into a fresh node, holds exactly what a client read just before it, key by key (type,
 * value, expiry). On a standalone node (RocksDB, the node's clock) and a 3-node cluster
 * (PostgreSQL, the database's clock); an instant the journal no longer holds, or one in the
 * future, is refused with the window's bounds.
 */
@Timeout(900)
class PointInTimeTest {
  static final int KEYS = 600;

  private static final String WINDOW =
      "keyshard.enable-debug-command = yes\n"
          + "keyshard.journal { retain = 10m, snapshot-min-bytes = 2KiB, events-budget = 8KiB }\n";

  /** What a client read just before {@code at}, and the instant. */
  record Split(long at, Map<String, Keyspace.Read> before) {}

  @Test
  void standaloneBackupAtAnInstantHoldsExactlyTheWritesBeforeIt() throws Exception {
    Path work = workDir("pitr-standalone");
    long startedAt = System.currentTimeMillis();
    Path archive = work.resolve("at");
    Path empty = work.resolve("empty");
    Split split;
    try (NodeProcess s = NodeProcess.start(work.resolve("s1"), config(work, "s1", WINDOW), work.resolve("s1.log"));
        Keyspace ks = new Keyspace(s.port())) {
      split = writeAround(ks, ks.nodes().get(0), List.of("m:1", "m:2", "m:3", "m:4"));
      String addr = "127.0.0.1:" + s.port();
      assertEquals(0, backup("create", "--from", addr, "--out", archive.toString(), "--at", iso(split.at())), lastOutput);
      // Against the live node, every difference is a key written after the instant, and the
      // journal says so.
      assertEquals(1, backup("verify", archive.toString(), "--against", addr), lastOutput);
      assertTrue(lastOutput.contains("were written since the backup's instant") && lastOutput.contains(" and 0 were not"), lastOutput);
      assertTrue(!lastOutput.contains("cannot tell") && !lastOutput.contains("NOT written"), lastOutput);
      // Before the node had any data: an empty dataset, not a refusal (its journal starts there).
      assertEquals(0, backup("create", "--from", addr, "--out", empty.toString(), "--at", seconds(startedAt - 3_600_000)), lastOutput);
      // An instant still to come is refused.
      assertEquals(4, backup("create", "--from", addr, "--out", work.resolve("future").toString(),
          "--at", iso(System.currentTimeMillis() + 3_600_000)), lastOutput);
      assertTrue(lastOutput.contains("in the future"), lastOutput);
      assertTrue(!Files.exists(work.resolve("future")));
    }
    JsonNode manifest = new ObjectMapper().readTree(archive.resolve("manifest.json").toFile());
    assertEquals("point-in-time", manifest.path("cut").path("kind").asText());
    assertEquals(iso(split.at()), manifest.path("cut").path("at").asText());
    assertEquals(0, new ObjectMapper().readTree(empty.resolve("manifest.json").toFile()).path("keys").asLong());
    assertEquals(0, backup("verify", archive.toString()), lastOutput);
    assertRestoresTo(work, archive, split.before());
  }

  @Test
  void clusterBackupAtAnInstantHoldsExactlyTheWritesBeforeIt() throws Exception {
    Path work = workDir("pitr-cluster");
    Path archive = work.resolve("at");
    Split split;
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      int[] ports = {Ports.cluster(), Ports.cluster(), Ports.cluster()};
      List<NodeProcess> nodes =
          BackupRoundTripTest.cluster(work.resolve("c3"), pg, ports, "keyshard.journal { retain = 10m, snapshot-min-bytes = 2KiB, events-budget = 8KiB }\n");
      try (Keyspace ks = new Keyspace(ports)) {
        // A cluster refuses a cross-slot MSET (CROSSSLOT, as Redis Cluster): a multi-key MSET of
        // one slot, through the node serving it.
        List<String> cross = List.of("{m}:1", "{m}:2", "{m}:3", "{m}:4");
        Jedis first = ks.at(0, "{m}");
        split = writeAround(ks, first, cross);
        assertEquals(0, backup("create", "--from", "127.0.0.1:" + ports[1], "--out", archive.toString(), "--at", iso(split.at())), lastOutput);
      } finally {
        BackupRoundTripTest.stop(nodes);
      }
    }
    JsonNode manifest = new ObjectMapper().readTree(archive.resolve("manifest.json").toFile());
    assertEquals("cluster", manifest.path("source").path("mode").asText());
    assertEquals("point-in-time", manifest.path("cut").path("kind").asText());
    assertRestoresTo(work, archive, split.before());
  }

  @Test
  void anInstantTheJournalNoLongerHoldsIsRefusedWithTheWindow() throws Exception {
    Path work = workDir("pitr-window");
    // retain = 0: a slot keeps only its newest snapshot and the events after it.
    String noWindow =
        "keyshard.enable-debug-command = yes\n"
            + "keyshard.journal { retain = 0s, snapshot-min-bytes = 2KiB, events-budget = 8KiB }\n";
    try (NodeProcess s = NodeProcess.start(work.resolve("s1"), config(work, "s1", noWindow), work.resolve("s1.log"));
        Keyspace ks = new Keyspace(s.port())) {
      Jedis j = ks.nodes().get(0);
      j.set("hot", "first");
      Thread.sleep(20);
      long before = System.currentTimeMillis();
      Thread.sleep(20);
      overwrite(j, "hot", 200, "x");
      Path refused = work.resolve("refused");
      int code = -1;
      // The slot trims once its snapshot is saved (asynchronously): within a few seconds.
      for (int attempt = 0; attempt < 50 && code != 4; attempt++) {
        code = backup("create", "--from", "127.0.0.1:" + s.port(), "--out", refused.toString(), "--at", iso(before));
        if (code == 0) {
          Dirs.deleteTree(refused);
          Thread.sleep(200);
        }
      }
      assertEquals(4, code, lastOutput);
      assertTrue(lastOutput.contains("no longer holds"), lastOutput);
      assertTrue(lastOutput.contains("keyshard.journal.retain"), lastOutput);
      assertTrue(!Files.exists(refused));
      // What it still holds works: the dataset as it is now, read from the journal.
      Map<String, Keyspace.Read> now = ks.read(0);
      Thread.sleep(20);
      Path current = work.resolve("current");
      assertEquals(0, backup("create", "--from", "127.0.0.1:" + s.port(), "--out", current.toString(),
          "--at", iso(System.currentTimeMillis())), lastOutput);
      assertRestoresTo(work, current, now);
    }
  }

  /** Restores {@code archive} into a fresh standalone node and compares it key by key. */
  private static void assertRestoresTo(Path work, Path archive, Map<String, Keyspace.Read> expected) throws Exception {
    Path dir = work.resolve("restored-" + archive.getFileName());
    try (NodeProcess s = NodeProcess.start(dir, config(work, "r-" + archive.getFileName(), "keyshard.enable-debug-command = yes\n"), work.resolve(dir.getFileName() + ".log"));
        Keyspace ks = new Keyspace(s.port())) {
      assertEquals(0, backup("restore", archive.toString(), "--to", "127.0.0.1:" + s.port()), lastOutput);
      assertEquals(List.of(), Keyspace.differences(expected, ks.read(0), 1000));
    }
  }

  /**
   * Writes a dataset, reads it, records an instant, then changes it: overwrites (some to another
   * type), deletes, new keys, expiries, the cross-slot MSET {@code cross} again (sent to
   * {@code sameNode}), and a key overwritten until its slot snapshots on both sides.
   */
  static Split writeAround(Keyspace ks, Jedis sameNode, List<String> cross) throws Exception {
    Dataset.load(ks, 0, "a", KEYS, 1);
    sameNode.select(0);
    sameNode.mset(interleave(cross, "before"));
    overwrite(ks.at(0, "hot"), "hot", 120, "b");
    ks.at(0, "gone-later").set("gone-later", "here");
    ks.at(0, "ttl-later").set("ttl-later", "no expiry yet");
    Map<String, Keyspace.Read> before = ks.read(0);
    Thread.sleep(25);
    long at = System.currentTimeMillis();
    Thread.sleep(25);
    for (int i = 0; i < KEYS; i += 7) {
      String key = "a:" + i;
      Jedis j = ks.at(0, key);
      j.del(key);
      j.set(key, "after");
    }
    for (int i = 3; i < KEYS; i += 11) {
      ks.at(0, "a:" + i).del("a:" + i);
    }
    ks.at(0, "gone-later").del("gone-later");
    ks.at(0, "ttl-later").pexpire("ttl-later", 7_200_000);
    Dataset.load(ks, 0, "n", KEYS / 4, 9);
    sameNode.select(0);
    sameNode.mset(interleave(cross, "after"));
    overwrite(ks.at(0, "hot"), "hot", 120, "a");
    Map<String, Keyspace.Read> after = ks.read(0);
    assertNotEquals(before.get("hot"), after.get("hot"));
    assertNotEquals(before.get(cross.get(0)), after.get(cross.get(0)));
    return new Split(at, before);
  }

  /** {@code times} SETs of ~1 KB values: the key's slot snapshots several times. */
  private static void overwrite(Jedis j, String key, int times, String tag) {
    j.select(0);
    for (int i = 0; i < times; i++) {
      j.set(key, tag + i + ":" + "v".repeat(1000));
    }
  }

  private static String[] interleave(List<String> keys, String value) {
    String[] kv = new String[keys.size() * 2];
    for (int i = 0; i < keys.size(); i++) {
      kv[2 * i] = keys.get(i);
      kv[2 * i + 1] = value + ":" + keys.get(i);
    }
    return kv;
  }

  private static String iso(long ms) {
    return Instant.ofEpochMilli(ms).toString();
  }

  private static String seconds(long ms) {
    return ms / 1000 + "." + String.format("%03d", ms % 1000);
  }

  private static Path config(Path work, String name, String text) throws Exception {
    Path conf = work.resolve(name + ".conf");
    Files.writeString(conf, text);
    return conf;
  }

  private static Path workDir(String name) throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), name + "-" + System.currentTimeMillis());
    Files.createDirectories(work);
    return work;
  }

  /** Deletes an archive a test no longer needs. */
  private static final class Dirs {
    static void deleteTree(Path dir) throws Exception {
      if (!Files.exists(dir)) {
        return;
      }
      try (var s = Files.walk(dir)) {
        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
