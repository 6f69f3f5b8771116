package io.keyshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;

/**
 * Issue 18's --live import with real processes: a redis-server 7.0.15 source that a writer keeps
 * changing (every type, two databases, expiries short and long, deletes, renames, MULTI/EXEC)
 * while a separate importer JVM follows it as a replica into a Keyshard node. The importer is
 * killed with kill -9 half way through loading the RDB, and again while following the stream;
 * each time the same command goes on (from the spooled RDB's entry, then with PSYNC from the
 * checkpointed offset). Then the source's backlog is made too small to resume from, keys are
 * deleted while the importer is stopped, and the next run must take a new RDB and delete them on
 * the target. After the writer stops and the importer has applied the source's last offset,
 * --verify and the test's own key-by-key reading must find no difference. The same, by keyspace
 * notifications, from a source without PSYNC or SYNC (a managed Redis), where a run started
 * again walks the whole source again.
 */
@Timeout(900)
class LiveImportTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aLiveImportFollowsAWriterAcrossKillsAndAFullResync() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "import-live-" + System.currentTimeMillis());
    Files.createDirectories(work);
    try (RedisServer redis =
            RedisServer.start(Files.createDirectories(work.resolve("redis")),
                "--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1", "--repl-backlog-size", "64mb");
        NodeProcess node = NodeProcess.start(work.resolve("k"), null, work.resolve("k.log"))) {
      try (Jedis j = redis.client()) {
        ImportTest.load(j, false, 20_000);
      }
      String from = "127.0.0.1:" + redis.port;
      String to = "127.0.0.1:" + node.port();
      Path state = work.resolve("state.json");
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicLong writes = new AtomicLong();
      Thread writer = new Thread(() -> write(redis.port, writing, writes), "source-writer");
      writer.start();
      try {
        // 1. Killed half way through loading the RDB (slowed down with --rate).
        Process p = importer(work, "1", from, to, state, "--rate", "4000");
        JsonNode s = await(state, p, x -> x.path("live").path("loaded").asLong() > 0.3 * x.path("live").path("spoolEntries").asLong()
            && x.path("live").path("spoolEntries").asLong() > 0, "a third of the RDB loaded");
        p.destroyForcibly().waitFor();
        System.out.println("importer killed at " + s.path("live").path("loaded") + " of " + s.path("live").path("spoolEntries"));

        // 2. Goes on from that entry; killed again while following the stream.
        p = importer(work, "2", from, to, state);
        await(state, p, x -> !x.path("live").path("replId").isNull() && x.path("live").path("spool").isNull()
            && x.path("live").path("offset").asLong() > 0, "the RDB loaded");
        long offset = readState(state).path("live").path("offset").asLong();
        await(state, p, x -> x.path("live").path("offset").asLong() > offset + 10_000, "following the stream");
        p.destroyForcibly().waitFor();
        assertTrue(Files.readString(work.resolve("importer-2.log")).contains("from key "), "resumed the load");

        // 3. Goes on with PSYNC from the checkpoint while the writer keeps writing.
        p = importer(work, "3", from, to, state);
        Thread.sleep(3000);
        writing.set(false);
        writer.join();
        assertTrue(writes.get() > 1000, "the writer wrote during the import: " + writes.get());
        awaitCaughtUp(redis, state, p);
        p.destroy(); // SIGTERM: finishes its batch, writes its position and exits
        assertEquals(0, p.waitFor(), "a stopped live import exits 0");
        String log3 = Files.readString(work.resolve("importer-3.log"));
        assertTrue(log3.contains("from offset") && log3.contains("stopped at offset"), log3);
        assertTrue(!log3.contains("loading the source's RDB"), "resumed with PSYNC, no new RDB: " + log3);
        check(from, to, work, "1", redis, node);

        // 4. The source's backlog cannot resume the stream: a new RDB, and the keys the source
        //    deleted meanwhile are deleted on the target too.
        try (Jedis j = redis.client()) {
          j.configSet("repl-backlog-size", "16384");
          for (int i = 0; i < 5_000; i += 5) {
            j.del("k:0:" + i); // strings, 1000 of them
          }
          for (int i = 0; i < 3_000; i++) {
            j.set("pad:" + i, "x".repeat(64)); // more than the backlog holds
          }
        }
        p = importer(work, "4", from, to, state);
        awaitCaughtUp(redis, state, p);
        p.destroy();
        assertEquals(0, p.waitFor());
        String log4 = Files.readString(work.resolve("importer-4.log"));
        assertTrue(log4.contains("loading the source's RDB") && log4.contains("deleted in the meantime"), log4);
        try (Jedis k = new Jedis("127.0.0.1", node.port())) {
          assertEquals(false, k.exists("k:0:0"), "deleted on the source while the importer was stopped");
          assertEquals("x".repeat(64), k.get("pad:2999"));
        }
        check(from, to, work, "2", redis, node);
      } finally {
        writing.set(false);
        writer.join();
      }
    }
  }

  @Test
  void aSourceWithoutPsyncIsFollowedByItsKeyEvents() throws Exception {
    Path work = Path.of(System.getProperty("keyshard.it.work", "target/multi-jvm"), "import-events-" + System.currentTimeMillis());
    Files.createDirectories(work);
    // As a managed Redis that refuses replication to clients: no PSYNC, no SYNC.
    try (RedisServer redis =
            RedisServer.start(Files.createDirectories(work.resolve("redis")),
                "--rename-command", "PSYNC", "", "--rename-command", "SYNC", "");
        NodeProcess node = NodeProcess.start(work.resolve("k"), null, work.resolve("k.log"))) {
      try (Jedis j = redis.client()) {
        ImportTest.load(j, false, 20_000);
      }
      String from = "127.0.0.1:" + redis.port;
      String to = "127.0.0.1:" + node.port();
      Path state = work.resolve("state.json");
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicLong writes = new AtomicLong();
      Thread writer = new Thread(() -> write(redis.port, writing, writes), "source-writer");
      writer.start();
      try {
        Process p = importer(work, "1", from, to, state);
        await(state, p, x -> x.path("live").path("passes").asInt() > 0 && x.path("live").path("events").asLong() > 1000,
            "a full pass and events applied");
        p.destroyForcibly().waitFor();
        try (Jedis j = redis.client()) {
          String events = j.configGet("notify-keyspace-events").get("notify-keyspace-events");
          assertTrue(events.contains("A") && events.contains("E"), "turned on by the importer: " + events);
          j.del("smallhash:0"); // while no importer listens: the next run's pass must drop it
        }
        p = importer(work, "2", from, to, state);
        await(state, p, x -> x.path("live").path("passes").asInt() > 1, "a second full pass");
        Thread.sleep(2000);
        writing.set(false);
        writer.join();
        assertTrue(writes.get() > 1000, "the writer wrote during the import: " + writes.get());
        try (Jedis j = redis.client();
            Jedis k = new Jedis("127.0.0.1", node.port())) {
          Thread.sleep(1500); // short expiries end
          j.set("marker", "last");
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
          while (!"last".equals(k.get("marker")) && System.nanoTime() < deadline) {
            assertTrue(p.isAlive(), "the importer ended");
            Thread.sleep(20);
          }
          assertEquals("last", k.get("marker"), "the last write reached the target");
          Thread.sleep(1000); // the rest of the marker's batch
          assertEquals(false, k.exists("smallhash:0"), "deleted on the source while no importer ran");
        }
        p.destroy();
        assertEquals(0, p.waitFor());
        String log2 = Files.readString(work.resolve("importer-2.log"));
        assertTrue(log2.contains("walking the whole source again") && log2.contains("deleted in the meantime"), log2);
        check(from, to, work, "1", redis, node);
      } finally {
        writing.set(false);
        writer.join();
      }
    }
  }

  private static Process importer(Path work, String name, String from, String to, Path state, String... extra)
      throws Exception {
    java.util.List<String> cmd =
        new java.util.ArrayList<>(java.util.List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"),
            "io.keyshard.tools.importer.ImportTool",
            "--from", from, "--to", to, "--live", "--state", state.toString()));
    cmd.addAll(java.util.List.of(extra));
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(work.resolve("importer-" + name + ".log").toFile())
        .start();
  }

  private static JsonNode readState(Path state) {
    try {
      return JSON.readTree(state.toFile());
    } catch (Exception e) {
      return JSON.createObjectNode(); // not written yet, or being replaced
    }
  }

  private static JsonNode await(Path state, Process p, Predicate<JsonNode> until, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      assertTrue(p.isAlive(), "the importer ended before " + what);
      JsonNode s = readState(state);
      if (until.test(s)) {
        return s;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("not reached in time: " + what + "; state " + readState(state));
  }

  /** Until the importer has applied everything up to the source's offset now. */
  private static void awaitCaughtUp(RedisServer redis, Path state, Process p) throws Exception {
    Thread.sleep(1500); // short expiries end, their DELs reach the stream
    long target;
    try (Jedis j = redis.client()) {
      target = Long.parseLong(j.info("replication").lines()
          .filter(l -> l.startsWith("master_repl_offset:")).findFirst().orElseThrow().substring(19).trim());
    }
    await(state, p, x -> x.path("live").path("offset").asLong() >= target, "caught up with offset " + target);
  }

  private static void check(String from, String to, Path work, String n, RedisServer redis, NodeProcess node) {
    assertEquals(0, ImportTest.importer("--from", from, "--to", to, "--verify", "--report", work.resolve("report-" + n).toString()),
        ImportTest.lastOutput);
    ImportTest.assertSame(redis.port, node.port());
  }

  /** Random writes of every kind to both databases until told to stop. */
  private static void write(int port, AtomicBoolean writing, AtomicLong writes) {
    Random r = new Random(11);
    try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
      while (writing.get()) {
        int db = r.nextBoolean() ? 0 : 2;
        j.select(db);
        String k = "w:" + r.nextInt(2_000);
        String old = "k:" + db + ":" + r.nextInt(20_000);
        switch (r.nextInt(14)) {
          case 0 -> j.set(k, "v" + r.nextInt());
          case 1 -> j.incr("w:counter:" + r.nextInt(10));
          case 2 -> j.hset("w:hash:" + r.nextInt(50), "f" + r.nextInt(100), "v" + r.nextInt());
          case 3 -> {
            j.rpush("w:list:" + r.nextInt(50), "e" + r.nextInt());
            j.ltrim("w:list:" + r.nextInt(50), 0, 30);
          }
          case 4 -> j.sadd("w:set:" + r.nextInt(50), "m" + r.nextInt(200));
          case 5 -> j.srem("w:set:" + r.nextInt(50), "m" + r.nextInt(200));
          case 6 -> j.zadd("w:zset:" + r.nextInt(50), r.nextInt(10), "m" + r.nextInt(100));
          case 7 -> j.del(old);
          case 8 -> j.expire(old, 100 + r.nextInt(1000));
          case 9 -> j.psetex("w:short:" + r.nextInt(100), 100 + r.nextInt(400), "gone soon");
          case 10 -> j.persist(old);
          case 11 -> {
            Transaction t = j.multi();
            t.incrBy("w:tx:a", 1);
            t.decrBy("w:tx:b", 1);
            t.exec();
          }
          case 12 -> {
            if (j.exists(k)) {
              j.rename(k, "w:renamed:" + r.nextInt(100));
            }
          }
          default -> j.hset("w:obj:" + r.nextInt(100), Map.of("a", "1", "b", Integer.toString(r.nextInt())));
        }
        writes.incrementAndGet();
      }
    }
  }
}
