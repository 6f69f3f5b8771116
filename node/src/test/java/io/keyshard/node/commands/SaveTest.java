package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SAVE and BGSAVE write dump.rdb in dir: redis-check-rdb accepts it, and a redis-server 7.0.15
 * started on it holds exactly the node's keys (type, contents, TTL within a second) and has the
 * node's DEBUG DIGEST. LASTSAVE and INFO persistence's rdb_* fields move as Redis's do.
 */
class SaveTest {
  private static RedisProcess reference;
  private static TestNode node;
  private Differential d;

  @BeforeAll
  static void start() throws Exception {
    reference = RedisProcess.start("--enable-debug-command", "yes");
    node =
        TestNode.start(
            Files.createTempDirectory("keyshard-save"), Map.of("keyshard.enable-debug-command", "yes"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (reference != null) {
      reference.close();
    }
  }

  @BeforeEach
  void open() throws Exception {
    d = new Differential(node.port(), reference.port());
    d.check("FLUSHALL");
  }

  @AfterEach
  void close() throws Exception {
    try {
      d.assertNoMismatches();
    } finally {
      d.close();
    }
  }

  private static Path dump() {
    return node.dir().resolve("dump.rdb");
  }

  static String info(RawClient c, String field) throws Exception {
    for (String line : c.call("INFO", "persistence").split("\r?\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1).trim();
      }
    }
    throw new AssertionError("no " + field + " in INFO");
  }

  /** Waits for the running BGSAVE to end; returns its status. */
  static String awaitBgsave(RawClient c) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (info(c, "rdb_bgsave_in_progress").equals("1")) {
      assertTrue(System.nanoTime() < deadline, "BGSAVE still running after 60 s");
      Thread.sleep(10);
    }
    return info(c, "rdb_last_bgsave_status");
  }

  private void fillSeveralDatabases() throws Exception {
    EveryType.fill(d, "");
    d.check("EXPIRE", "l:big", "1000");
    d.check("PEXPIRE", "s:embstr", "500000");
    d.check("SELECT", "3");
    EveryType.fill(d, "three:");
    d.check("EXPIRE", "three:h:many", "3000");
    d.check("SELECT", "15");
    EveryType.fill(d, "");
    d.check("EXPIRE", "z:small", "100");
    d.check("SELECT", "0");
  }

  @Test
  void bgsaveWritesWhatRedisLoadsWithTheSameDigest() throws Exception {
    fillSeveralDatabases();
    try (RawClient c = new RawClient(node.port())) {
      assertTrue(Long.parseLong(info(c, "rdb_changes_since_last_save")) > 0);
      long before = Long.parseLong(info(c, "rdb_saves"));
      assertEquals("+Background saving started", c.call("BGSAVE"));
      assertEquals("ok", awaitBgsave(c));
      assertEquals(before + 1, Long.parseLong(info(c, "rdb_saves")));
      assertEquals("0", info(c, "rdb_changes_since_last_save"));
      assertEquals("-1", info(c, "rdb_current_bgsave_time_sec"));
      // Whole seconds between start and end, as Redis counts them: 0 or 1 for a small save.
      assertTrue(Long.parseLong(info(c, "rdb_last_bgsave_time_sec")) <= 2);
      long lastSave = Long.parseLong(c.call("LASTSAVE").substring(1));
      assertTrue(Math.abs(lastSave - System.currentTimeMillis() / 1000) <= 2, "LASTSAVE " + lastSave);
      assertEquals(info(c, "rdb_last_save_time"), Long.toString(lastSave));
      c.call("SET", "after", "the save");
      assertEquals("1", info(c, "rdb_changes_since_last_save"));
      c.call("DEL", "after");
    }
    assertRedisLoadsTheSame();
  }

  @Test
  void saveBlocksUntilWrittenAndAnEmptyDatasetSavesToo() throws Exception {
    Files.deleteIfExists(dump());
    d.check("SAVE");
    assertTrue(Files.exists(dump()));
    assertRedisLoadsTheSame();
    d.check("SELECT", "5");
    d.check("SET", "only", "five");
    d.check("PEXPIRE", "only", "900000");
    d.check("SELECT", "0");
    d.check("SAVE");
    assertRedisLoadsTheSame();
    // No temporary file is left behind.
    try (var files = Files.list(node.dir())) {
      assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith("temp-")).toList());
    }
  }

  @Test
  void theFunctionLibrariesAreInTheFileAsRedisSavesThem() throws Exception {
    d.check("FUNCTION", "LOAD", "#!lua name=savelib\nredis.register_function('save_f', function(k, a) return a[1] end)");
    d.check("FUNCTION", "LOAD",
        "#!lua name=savero\nredis.register_function{function_name='save_ro', callback=function() return 7 end, flags={'no-writes'}}");
    try {
      d.check("SET", "with", "functions");
      d.check("BGSAVE");
      try (RawClient c = new RawClient(node.port())) {
        assertEquals("ok", awaitBgsave(c));
      }
      assertRedisLoadsTheSame();
      // A library deleted is gone from the next file; SAVE writes them too.
      d.check("FUNCTION", "DELETE", "savero");
      d.check("SAVE");
      assertRedisLoadsTheSame();
    } finally {
      d.check("FUNCTION", "FLUSH");
    }
    d.check("SAVE");
    assertRedisLoadsTheSame();
  }

  @Test
  void oneSaveAtATimeAsRedis() throws Exception {
    // Enough keys that the first BGSAVE is still running when the next command arrives.
    try (RawClient c = new RawClient(node.port())) {
      for (int batch = 0; batch < 40; batch++) {
        List<String> mset = new ArrayList<>(List.of("MSET"));
        for (int i = 0; i < 2500; i++) {
          mset.add("k" + batch + ":" + i);
          mset.add("value-" + i);
        }
        c.call(mset.toArray(new String[0]));
      }
      c.send(cmd("BGSAVE"));
      c.send(cmd("BGSAVE"));
      c.send(cmd("BGSAVE", "SCHEDULE"));
      c.send(cmd("SAVE"));
      assertEquals("+Background saving started", c.readReply());
      assertEquals("-ERR Background save already in progress", c.readReply());
      assertEquals("-ERR Background save already in progress", c.readReply());
      assertEquals("-ERR Background save already in progress", c.readReply());
      assertEquals("1", info(c, "rdb_bgsave_in_progress"));
      assertNotEquals("-1", info(c, "rdb_current_bgsave_time_sec"));
      assertEquals("ok", awaitBgsave(c));
      assertEquals("-ERR syntax error", c.call("BGSAVE", "NOW"));
    }
    assertRedisLoadsTheSame(false);
  }

  private static byte[][] cmd(String... args) {
    byte[][] argv = new byte[args.length][];
    for (int i = 0; i < args.length; i++) {
      argv[i] = args[i].getBytes();
    }
    return argv;
  }

  /** The library names FUNCTION LIST answers (a name is never one of the reply's field names). */
  private static List<String> libraryNames(RawClient c) throws Exception {
    List<String> names = new ArrayList<>();
    String[] parts = c.call("FUNCTION", "LIST").split("library_name, ");
    for (int i = 1; i < parts.length; i++) {
      names.add(parts[i].substring(0, parts[i].indexOf(',')));
    }
    return names;
  }

  static void assertRedisLoadsTheSame() throws Exception {
    assertRedisLoadsTheSame(true);
  }

  /**
   * redis-check-rdb accepts dump.rdb, and a redis-server on a copy of it holds the node's data:
   * the same DEBUG DIGEST and key counts, and {@code keyByKey} the same keys, contents and TTLs.
   */
  static void assertRedisLoadsTheSame(boolean keyByKey) throws Exception {
    Process check =
        new ProcessBuilder("redis-check-rdb", dump().toString()).redirectErrorStream(true).start();
    String out = new String(check.getInputStream().readAllBytes());
    assertEquals(0, check.waitFor(), out);
    assertTrue(out.contains("RDB looks OK!"), out);
    Path dir = Files.createTempDirectory("redis-from-keyshard");
    Files.copy(dump(), dir.resolve("dump.rdb"), StandardCopyOption.REPLACE_EXISTING);
    try (RedisProcess loaded =
            RedisProcess.start("--dir", dir.toString(), "--dbfilename", "dump.rdb", "--enable-debug-command", "yes");
        RawClient r = new RawClient(loaded.port());
        RawClient k = new RawClient(node.port())) {
      assertEquals(k.call("DEBUG", "DIGEST"), r.call("DEBUG", "DIGEST"));
      // The function libraries, each with its code and functions (Redis lists them in its own
      // order, so one library at a time).
      String names = k.call("FUNCTION", "LIST");
      String loadedNames = r.call("FUNCTION", "LIST");
      assertEquals(Differential.sorted(names), Differential.sorted(loadedNames));
      for (String name : libraryNames(k)) {
        assertEquals(
            k.call("FUNCTION", "LIST", "LIBRARYNAME", name, "WITHCODE"),
            r.call("FUNCTION", "LIST", "LIBRARYNAME", name, "WITHCODE"), name);
      }
      for (int db = 0; db < 16; db++) {
        k.call("SELECT", Integer.toString(db));
        r.call("SELECT", Integer.toString(db));
        assertEquals(k.call("DBSIZE"), r.call("DBSIZE"), "db " + db);
        if (!keyByKey) {
          continue;
        }
        String keys = k.call("KEYS", "*");
        assertEquals(Differential.sorted(keys), Differential.sorted(r.call("KEYS", "*")), "db " + db);
        if (keys.equals("[]")) {
          continue;
        }
        for (String key : keys.substring(1, keys.length() - 1).split(", ")) {
          String type = k.call("TYPE", key);
          assertEquals(type, r.call("TYPE", key), key);
          String[] read =
              switch (type) {
                case "+string" -> new String[] {"GET", key};
                case "+list" -> new String[] {"LRANGE", key, "0", "-1"};
                case "+set" -> new String[] {"SMEMBERS", key};
                case "+hash" -> new String[] {"HGETALL", key};
                default -> new String[] {"ZRANGE", key, "0", "-1", "WITHSCORES"};
              };
          String mine = k.call(read);
          String theirs = r.call(read);
          if (type.equals("+set") || type.equals("+hash")) {
            mine = Differential.sorted(mine);
            theirs = Differential.sorted(theirs);
          }
          assertEquals(mine, theirs, key);
          long ttl = Long.parseLong(k.call("PTTL", key).substring(1));
          long loadedTtl = Long.parseLong(r.call("PTTL", key).substring(1));
          assertTrue(
              ttl < 0 ? loadedTtl == ttl : Math.abs(ttl - loadedTtl) <= 1000,
              key + ": PTTL " + ttl + " here, " + loadedTtl + " loaded");
        }
      }
    }
  }
}
