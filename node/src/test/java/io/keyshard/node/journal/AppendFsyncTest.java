package io.keyshard.node.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * appendfsync on the embedded RocksDB journal, counted by RocksDB's own WAL_FILE_SYNCED ticker
 * (INFO persistence's keyshard_wal_syncs), not by anything Keyshard counts itself: with
 * {@code always} one client's N acknowledged writes made at least N WAL syncs (each waits for
 * its own), with {@code everysec} and {@code no} far fewer.
 */
@Timeout(180)
class AppendFsyncTest {
  private static final int N = 200;

  @Test
  void alwaysSyncsEveryAcknowledgedWriteEverysecAndNoDoNot() throws Exception {
    try (TestNode node = TestNode.start();
        Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
      assertEquals("rocksdb", info(j, "keyshard_journal"));
      assertEquals(Map.of("appendfsync", "always"), j.configGet("appendfsync"));

      long always = syncsDuring(j, "a");
      System.out.printf("appendfsync always: %d WAL syncs for %d writes%n", always, N);
      assertTrue(always >= N, "always: " + always + " syncs for " + N + " acknowledged writes");

      assertEquals("OK", j.configSet("appendfsync", "everysec"));
      assertEquals(Map.of("appendfsync", "everysec"), j.configGet("appendfsync"));
      assertEquals("everysec", info(j, "keyshard_appendfsync"));
      long everysec = syncsDuring(j, "e");
      System.out.printf("appendfsync everysec: %d WAL syncs for %d writes%n", everysec, N);
      assertTrue(everysec < N / 10, "everysec: " + everysec + " syncs for " + N + " writes");

      assertEquals("OK", j.configSet("appendfsync", "no"));
      assertEquals(Map.of("appendfsync", "no"), j.configGet("appendfsync"));
      long no = syncsDuring(j, "n");
      System.out.printf("appendfsync no: %d WAL syncs for %d writes%n", no, N);
      assertTrue(no < N / 10, "no: " + no + " syncs for " + N + " writes");

      assertEquals("OK", j.configSet("appendfsync", "always"));
      assertTrue(syncsDuring(j, "b") >= N);
      JedisDataException bad =
          org.junit.jupiter.api.Assertions.assertThrows(
              JedisDataException.class, () -> j.configSet("appendfsync", "sometimes"));
      assertTrue(bad.getMessage().contains("appendfsync"), bad.getMessage());
    }
  }

  @Test
  void theConfigFileSetsTheModeAndWritesSurviveARestart() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-fsync");
    try (TestNode node = TestNode.start(dir, Map.of("keyshard.appendfsync", "everysec"));
        Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
      assertEquals(Map.of("appendfsync", "everysec"), j.configGet("appendfsync"));
      for (int i = 0; i < 50; i++) {
        j.set("k" + i, "v" + i);
      }
    }
    // A clean stop syncs whatever the mode.
    try (TestNode node = TestNode.start(dir, Map.of());
        Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
      assertEquals(Map.of("appendfsync", "always"), j.configGet("appendfsync"));
      for (int i = 0; i < 50; i++) {
        assertEquals("v" + i, j.get("k" + i));
      }
    }
  }

  /** RocksDB keeps a data directory to one process: a second one stops and says why. */
  @Test
  void aSecondProcessOnTheSameDirectoryIsRefusedClearly() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-lock");
    try (TestNode node = TestNode.start(dir, Map.of())) {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add("io.keyshard.node.Main");
      cmd.addAll(List.of("--port", "0", "--dir", dir.toString()));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the second node did not stop");
      assertNotEquals(0, p.exitValue(), out);
      assertTrue(out.contains("is in use by another Keyshard process"), out);
      // The first node is unaffected.
      try (Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
        assertEquals("OK", j.set("still", "here"));
      }
    }
  }

  /** WAL syncs RocksDB counted while one client made N acknowledged writes, one at a time. */
  private static long syncsDuring(Jedis j, String prefix) {
    long before = Long.parseLong(info(j, "keyshard_wal_syncs"));
    for (int i = 0; i < N; i++) {
      assertEquals("OK", j.set(prefix + i, "v"));
    }
    return Long.parseLong(info(j, "keyshard_wal_syncs")) - before;
  }

  private static String info(Jedis j, String field) {
    for (String line : j.info("persistence").split("\r\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1);
      }
    }
    throw new AssertionError("INFO persistence has no " + field);
  }
}
