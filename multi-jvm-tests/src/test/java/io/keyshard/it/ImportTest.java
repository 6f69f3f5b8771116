package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyshard.tools.importer.ImportTool;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XReadGroupParams;

/**
 * Issue 18's import with real servers: a redis-server 7.0.15 holding every type and encoding
 * (binary strings, a 200k-field hash, a 500k-element list, intset and hashtable sets, sorted sets
 * with equal scores, expiries, two databases) imported into a Keyshard node; the same from a
 * source without DUMP (a redis-server with DUMP renamed away, as Pika has none), where only the
 * typed path works and big keys go in chunks; and an importer killed with kill -9 at 30% and 70%
 * and run again. Each is checked twice: by the tool's --verify and by the test's own reading of
 * both sides key by key (type, value, expiry within a second).
 */
@Timeout(1200)
class ImportTest {
  static String lastOutput = "";

  static int importer(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ImportTool.run(args, new PrintStream(out, true), new PrintStream(err, true));
    lastOutput = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    System.out.println("keyshard-import " + String.join(" ", args) + " -> " + code + "\n" + lastOutput);
    return code;
  }

  private static Path work(String name) throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), name + "-" + System.currentTimeMillis());
    Files.createDirectories(work);
    return work;
  }

  /** Every type and encoding, in databases 0 and 2; {@code big} adds the 200k hash and 500k list. */
  static void load(Jedis j, boolean big, int smallKeys) {
    Random r = new Random(7);
    for (int db : new int[] {0, 2}) {
      j.select(db);
      Pipeline p = j.pipelined();
      byte[] binary = new byte[256];
      for (int i = 0; i < 256; i++) {
        binary[i] = (byte) i;
      }
      p.set(("bin:" + db).getBytes(StandardCharsets.UTF_8), binary);
      p.set("empty:" + db, "");
      p.set("int:" + db, "-12345");
      p.sadd("intset:" + db, "1", "2", "3", "-7", "100000");
      p.sadd("strset:" + db, "a", "b", "c");
      p.zadd("equal:" + db, Map.of("a", 1.0, "b", 1.0, "c", 1.0, "d", 2.5, "e", -0.5));
      p.hset("smallhash:" + db, Map.of("f", "v", "g", "w"));
      p.rpush("smalllist:" + db, "x", "y", "z", "x");
      for (int i = 0; i < smallKeys; i++) {
        String key = "k:" + db + ":" + i;
        switch (i % 5) {
          case 0 -> p.set(key, "v" + r.nextInt(1_000_000));
          case 1 -> p.rpush(key, "a" + i, "b", "c");
          case 2 -> p.hset(key, Map.of("f" + i, "v", "g", "w" + i));
          case 3 -> p.sadd(key, "m" + i, "n", Integer.toString(i));
          default -> p.zadd(key, Map.of("m" + i, (double) (i % 7), "n", 1.0));
        }
        if (i % 3 == 0) {
          p.pexpire(key, 3_600_000L + r.nextInt(3_600_000));
        }
      }
      p.sync();
    }
    j.select(0);
    Pipeline p = j.pipelined();
    for (int i = 0; i < 2_000; i++) {
      p.zadd("bigzset", i % 10, "member-" + i); // a skiplist, scores repeating
      p.sadd("bigset", "s" + i);
    }
    p.sync();
    if (big) {
      for (int base = 0; base < 200_000; base += 10_000) {
        Map<String, String> fields = new HashMap<>();
        for (int i = base; i < base + 10_000; i++) {
          fields.put("field-" + i, "value-" + i);
        }
        j.hset("bighash", fields);
      }
      for (int base = 0; base < 500_000; base += 10_000) {
        String[] elements = new String[10_000];
        for (int i = 0; i < elements.length; i++) {
          elements[i] = "e" + (base + i);
        }
        j.rpush("biglist", elements);
      }
      j.pexpire("biglist", 7_200_000);
    }
  }

  /** The test's own check: both sides read key by key, in both databases. */
  static void assertSame(int sourcePort, int targetPort) {
    try (Keyspace source = new Keyspace(sourcePort);
        Keyspace target = new Keyspace(targetPort)) {
      for (int db : new int[] {0, 2}) {
        Map<String, Keyspace.Read> expected = source.read(db);
        assertTrue(expected.size() > 10, "the source holds data in db " + db);
        assertEquals(List.of(), Keyspace.differences(expected, target.read(db), 1000), "db " + db);
      }
    }
  }

  @Test
  void aRedisServerWithEveryTypeIsImportedAndVerified() throws Exception {
    Path work = work("import-redis");
    try (RedisServer redis = RedisServer.start(Files.createDirectories(work.resolve("redis")));
        NodeProcess node = NodeProcess.start(work.resolve("k"), null, work.resolve("k.log"))) {
      try (Jedis j = redis.client()) {
        load(j, true, 3_000);
      }
      String from = "redis://127.0.0.1:" + redis.port;
      String to = "127.0.0.1:" + node.port();
      Path state = work.resolve("state.json");
      assertEquals(0, importer("--from", from, "--to", to, "--state", state.toString()), lastOutput);
      assertEquals(0, importer("--from", from, "--to", to, "--verify", "--report", work.resolve("report").toString()), lastOutput);
      assertTrue(lastOutput.contains(", 0 differ"), lastOutput);
      assertSame(redis.port, node.port());
      try (Jedis k = new Jedis("127.0.0.1", node.port())) {
        assertEquals(500_000, k.llen("biglist"));
        assertEquals(200_000, k.hlen("bighash"));
      }

      // A stream with a consumer group and pending entries, added later: the target is refused
      // while it holds keys, unless told what to do with them; then the stream is copied by its
      // DUMP payload, entries, counters and groups.
      try (Jedis j = redis.client()) {
        for (int i = 0; i < 50; i++) {
          j.xadd("events", StreamEntryID.NEW_ENTRY, Map.of("f", "v" + i));
        }
        j.xgroupCreate("events", "workers", new StreamEntryID(0, 0), false);
        j.xreadGroup("workers", "w1", XReadGroupParams.xReadGroupParams().count(10),
            Map.of("events", StreamEntryID.UNRECEIVED_ENTRY));
        j.xdel("events", j.xrange("events", (StreamEntryID) null, (StreamEntryID) null, 1).get(0).getID());
      }
      Path second = work.resolve("second.json");
      assertEquals(4, importer("--from", from, "--to", to, "--state", second.toString()), lastOutput);
      assertTrue(lastOutput.contains("--skip-existing"), lastOutput);
      assertTrue(!Files.exists(second), "a refused run leaves no state behind");
      assertEquals(0, importer("--from", from, "--to", to, "--state", second.toString(), "--skip-existing"), lastOutput);
      assertEquals(0, importer("--from", from, "--to", to, "--verify", "--report", work.resolve("report2").toString()), lastOutput);
      assertTrue(lastOutput.contains(", 0 differ"), lastOutput);
      assertSame(redis.port, node.port());
      try (Jedis k = new Jedis("127.0.0.1", node.port())) {
        assertEquals(49, k.xlen("events"));
        assertEquals(10, k.xpending("events", "workers").getTotal());
      }
    }
  }

  @Test
  void aSourceWithoutDumpIsImportedByTypeWithBigKeysInChunks() throws Exception {
    Path work = work("import-nodump");
    try (RedisServer redis =
            RedisServer.start(
                Files.createDirectories(work.resolve("redis")),
                "--rename-command", "DUMP", "", "--rename-command", "PSYNC", "", "--rename-command", "SYNC", "");
        NodeProcess node = NodeProcess.start(work.resolve("k"), null, work.resolve("k.log"))) {
      try (Jedis j = redis.client()) {
        load(j, true, 3_000);
      }
      String from = "127.0.0.1:" + redis.port;
      String to = "127.0.0.1:" + node.port();
      assertEquals(0, importer("--from", from, "--to", to, "--state", work.resolve("state.json").toString()), lastOutput);
      assertTrue(lastOutput.contains("has no DUMP"), lastOutput);
      assertEquals(0, importer("--from", from, "--to", to, "--verify", "--report", work.resolve("report").toString()), lastOutput);
      assertSame(redis.port, node.port());

      // Without DUMP a stream is not copied (no typed copy of streams and their groups): it is
      // listed, and the verify names it, never a silent drop.
      try (Jedis j = redis.client()) {
        j.xadd("events", StreamEntryID.NEW_ENTRY, Map.of("f", "v"));
      }
      assertEquals(0, importer("--from", from, "--to", to, "--state", work.resolve("second.json").toString(), "--skip-existing"), lastOutput);
      assertTrue(lastOutput.contains("events (stream)"), lastOutput);
      assertEquals(1, importer("--from", from, "--to", to, "--verify", "--report", work.resolve("report2").toString()), lastOutput);
      assertTrue(Files.readString(work.resolve("report2")).contains("events\tmissing on the target (a stream is copied from a source that has DUMP)"),
          Files.readString(work.resolve("report2")));
    }
  }

  @Test
  void anImporterKilledAt30And70PercentFinishesWithNothingMissingOrDoubled() throws Exception {
    Path work = work("import-kill");
    try (RedisServer redis =
            RedisServer.start(Files.createDirectories(work.resolve("redis")), "--rename-command", "DUMP", "");
        NodeProcess node = NodeProcess.start(work.resolve("k"), null, work.resolve("k.log"))) {
      int smallKeys = 15_000;
      try (Jedis j = redis.client()) {
        load(j, false, smallKeys);
        // Big keys copied in chunks, where a kill may land half way through one.
        for (int n = 0; n < 6; n++) {
          List<String> elements = new ArrayList<>();
          for (int i = 0; i < 30_000; i++) {
            elements.add("e" + n + ":" + i);
          }
          j.rpush("chunked:" + n, elements.toArray(new String[0]));
        }
      }
      long total;
      try (Jedis j = redis.client()) {
        total = j.dbSize();
        j.select(2);
        total += j.dbSize();
      }
      String from = "127.0.0.1:" + redis.port;
      String to = "127.0.0.1:" + node.port();
      Path state = work.resolve("state.json");
      for (double share : new double[] {0.3, 0.7}) {
        Process p =
            new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"),
                    "io.keyshard.tools.importer.ImportTool",
                    "--from", from, "--to", to, "--state", state.toString(), "--rate", "4000")
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("importer-" + share + ".log").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        long copied = 0;
        while (copied < share * total && p.isAlive() && System.nanoTime() < deadline) {
          Thread.sleep(50);
          copied = copiedSoFar(state);
        }
        assertTrue(p.isAlive(), "killed before it finished: " + copied + " of " + total);
        p.destroyForcibly().waitFor(); // SIGKILL
        System.out.println("importer killed at " + copied + " of " + total + " keys");
      }
      assertEquals(0, importer("--from", from, "--to", to, "--state", state.toString()), lastOutput);
      assertTrue(lastOutput.contains("resuming"), lastOutput);
      assertEquals(0, importer("--from", from, "--to", to, "--verify", "--report", work.resolve("report").toString()), lastOutput);
      assertSame(redis.port, node.port());
      try (Jedis k = new Jedis("127.0.0.1", node.port())) {
        for (int n = 0; n < 6; n++) {
          assertEquals(30_000, k.llen("chunked:" + n), "no element doubled or missing in chunked:" + n);
        }
      }
    }
  }

  private static long copiedSoFar(Path state) {
    try {
      JsonNode s = new ObjectMapper().readTree(state.toFile());
      return s.path("keys").asLong();
    } catch (Exception e) {
      return 0; // not written yet, or being replaced
    }
  }
}
