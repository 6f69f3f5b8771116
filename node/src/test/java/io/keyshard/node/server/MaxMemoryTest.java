package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.slot.MemoryAccountant;
import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * maxmemory and maxmemory-policy (docs/decisions/2026-11-22-maxmemory.md): the OOM text, which
 * commands noeviction refuses and the settings, against redis-server; then Keyshard's own
 * eviction, which Redis's different memory measure makes impossible to compare reply by reply.
 */
class MaxMemoryTest {
  private static final String VALUE = "v".repeat(1000);

  private static long infoField(RawClient c, String section, String field) throws Exception {
    for (String line : c.call("info", section).split("\\\\r\\\\n|\r\n")) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).replace("\"", ""));
      }
    }
    throw new AssertionError(field + " not in INFO " + section);
  }

  @Test
  void noevictionRefusesDenyoomCommandsAsRedis() throws Exception {
    try (RedisProcess redis = RedisProcess.start();
        TestNode node = TestNode.start();
        Differential d = new Differential(node.port(), redis.port());
        RawClient otherK = new RawClient(node.port());
        RawClient otherR = new RawClient(redis.port())) {
      d.both("set", "k1", "a");
      d.both("set", "k2", "b");
      d.both("set", "n", "1");
      d.both("rpush", "l", "x", "y");
      d.both("hset", "h", "f", "v");
      d.both("sadd", "s", "m");
      // A transaction queued while under the limit, executed once over it.
      d.both("multi");
      d.both("set", "queued", "1");
      d.check("config", "set", "maxmemory-policy", "noeviction");
      otherR.call("config", "set", "maxmemory", "1");
      otherK.call("config", "set", "maxmemory", "1");
      d.check("exec");
      d.check("get", "queued");
      for (String[] cmd :
          List.of(
              new String[] {"set", "x", "y"},
              new String[] {"setnx", "x", "y"},
              new String[] {"append", "k1", "z"},
              new String[] {"incr", "n"},
              new String[] {"mset", "x", "1", "y", "2"},
              new String[] {"lpush", "l", "z"},
              new String[] {"rpoplpush", "l", "l2"},
              new String[] {"hset", "h", "g", "w"},
              new String[] {"sadd", "s", "n"},
              new String[] {"zadd", "z", "1", "a"},
              new String[] {"setrange", "k1", "5", "q"},
              new String[] {"copy", "k1", "k3"},
              // Not denyoom: they run.
              new String[] {"get", "k1"},
              new String[] {"exists", "x"},
              new String[] {"lpop", "l"},
              new String[] {"expire", "k2", "100"},
              new String[] {"persist", "k2"},
              new String[] {"hdel", "h", "f"},
              new String[] {"del", "k2"},
              new String[] {"dbsize"})) {
        d.check(cmd);
      }
      // Inside MULTI every command but EXEC, DISCARD, QUIT and RESET is refused (queueing takes
      // memory too), and a refusal dooms the EXEC.
      d.check("multi");
      d.check("get", "k1");
      d.check("set", "x", "1");
      d.check("exec");
      d.check("multi");
      d.check("discard");
      d.check("config", "set", "maxmemory", "0");
      d.check("set", "x", "y");
      d.check("get", "x");
      d.assertNoMismatches();
    }
  }

  @Test
  void settingsAsRedis() throws Exception {
    try (RedisProcess redis = RedisProcess.start();
        TestNode node = TestNode.start();
        Differential d = new Differential(node.port(), redis.port())) {
      // Redis has maxmemory-clients and maxmemory-eviction-tenacity too; Keyshard does not.
      String[] names = {"config", "get", "maxmemory", "maxmemory-policy", "maxmemory-samples"};
      d.check(Differential::sorted, names);
      for (String[] set :
          List.of(
              new String[] {"maxmemory", "100mb"},
              new String[] {"maxmemory", "1GB"},
              new String[] {"maxmemory", "12k"},
              new String[] {"maxmemory", "18446744073709551615"},
              new String[] {"maxmemory", "-5"},
              new String[] {"maxmemory-policy", "allkeys-lru"},
              new String[] {"maxmemory-policy", "Volatile-TTL"},
              new String[] {"maxmemory-policy", "allkeys-random"},
              new String[] {"maxmemory-policy", "volatile-lru"},
              new String[] {"maxmemory-policy", "volatile-random"},
              new String[] {"maxmemory-policy", "lru"},
              new String[] {"maxmemory-samples", "10"},
              new String[] {"maxmemory-samples", "0"},
              new String[] {"maxmemory-samples", "x"})) {
        d.check("config", "set", set[0], set[1]);
        d.check(Differential::sorted, names);
      }
      d.check("config", "set", "maxmemory", "100mb", "maxmemory-policy", "allkeys-lru");
      for (String field : List.of("maxmemory", "maxmemory_human", "maxmemory_policy")) {
        assertEquals(
            infoLine(d.redis(), field), infoLine(d.keyshard(), field), "INFO memory " + field);
      }
      d.assertNoMismatches();
    }
  }

  private static String infoLine(RawClient c, String field) throws Exception {
    for (String line : c.call("info", "memory").split("\\\\r\\\\n|\r\n")) {
      if (line.startsWith(field + ":")) {
        return line.replace("\"", "");
      }
    }
    throw new AssertionError(field + " missing");
  }

  @Test
  void noevictionKeepsDataAndRefusesUntilSomethingIsDeleted() throws Exception {
    // maxmemory counts the node's startup part too (as Redis's used_memory_startup): 50 KB of data.
    long max = MemoryAccountant.STARTUP_BYTES + 50 * 1024;
    try (TestNode node = TestNode.start(Files.createTempDirectory("ks-mem"), Map.of("keyshard.maxmemory", Long.toString(max)));
        RawClient c = new RawClient(node.port())) {
      int written = 0;
      String reply;
      while ((reply = c.call("set", "key:" + written, VALUE)).equals("+OK")) {
        written++;
        assertTrue(written < 100, "never refused");
      }
      assertEquals("-OOM command not allowed when used memory > 'maxmemory'.", reply);
      long used = infoField(c, "memory", "used_memory");
      assertTrue(used > max && used < max + 1200, "used_memory " + used);
      assertEquals(":0", c.call("exists", "key:" + written), "a refused write leaves nothing");
      assertEquals(":" + written, c.call("dbsize"));
      assertEquals(0, infoField(c, "stats", "evicted_keys"));
      assertEquals(":1", c.call("del", "key:0"));
      assertEquals("+OK", c.call("set", "again", "1"));
    }
  }

  @Test
  void allkeysLruEvictsOldKeysAndKeepsRecentlyReadOnes() throws Exception {
    try (TestNode node = TestNode.start();
        RawClient c = new RawClient(node.port())) {
      for (int i = 0; i < 300; i++) {
        assertEquals("+OK", c.call("set", "old:" + i, VALUE));
      }
      long used = infoField(c, "memory", "used_memory");
      long max = used + 40 * 1120;
      assertEquals("+OK", c.call("config", "set", "maxmemory", Long.toString(max),
          "maxmemory-policy", "allkeys-lru", "maxmemory-samples", "10"));
      Thread.sleep(20);
      List<String> hot = new ArrayList<>();
      for (int i = 0; i < 300; i += 15) {
        hot.add("old:" + i);
        assertEquals('"' + VALUE + '"', c.call("get", "old:" + i));
      }
      Thread.sleep(20);
      for (int i = 0; i < 150; i++) {
        assertEquals("+OK", c.call("set", "new:" + i, VALUE));
        long now = infoField(c, "memory", "used_memory");
        assertTrue(now <= max + 1200, "used_memory " + now + " over " + max);
      }
      for (String k : hot) {
        assertEquals(":1", c.call("exists", k), k + " was read recently and must stay");
      }
      for (int i = 100; i < 150; i++) {
        assertEquals(":1", c.call("exists", "new:" + i), "new:" + i);
      }
      long evicted = infoField(c, "stats", "evicted_keys");
      assertTrue(evicted >= 100 && evicted <= 125, "evicted " + evicted);
      long used2 = infoField(c, "memory", "used_memory");
      // Checked before each write, as in Redis: the last write may go past the limit by itself.
      assertTrue(
          used2 > max - 3 * 1200 && used2 <= max + 1200, "used_memory " + used2 + " near " + max);
    }
  }

  @Test
  void volatileTtlEvictsNearestExpiryFirstAndNeverKeysWithoutOne() throws Exception {
    try (TestNode node = TestNode.start();
        RawClient c = new RawClient(node.port())) {
      for (int i = 0; i < 100; i++) {
        assertEquals("+OK", c.call("set", "keep:" + i, VALUE));
        assertEquals("+OK", c.call("set", "ttl:" + i, VALUE, "ex", Integer.toString(1000 + 10 * i)));
      }
      long max = infoField(c, "memory", "used_memory") + 1000;
      assertEquals("+OK", c.call("config", "set", "maxmemory", Long.toString(max),
          "maxmemory-policy", "volatile-ttl", "maxmemory-samples", "10"));
      for (int i = 0; i < 40; i++) {
        assertEquals("+OK", c.call("set", "new:" + i, VALUE));
      }
      List<Integer> evicted = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        assertEquals(":1", c.call("exists", "keep:" + i), "keep:" + i + " has no TTL");
        if (c.call("exists", "ttl:" + i).equals(":0")) {
          evicted.add(i);
        }
      }
      assertTrue(evicted.size() >= 38 && evicted.size() <= 45, "evicted " + evicted);
      assertTrue(evicted.stream().allMatch(i -> i < 70), "only near expiries: " + evicted);
      assertTrue(evicted.stream().filter(i -> i < 20).count() >= 15, "nearest first: " + evicted);
      // Once no key has an expiry, nothing may be evicted: OOM.
      String reply = "+OK";
      for (int i = 40; i < 200 && reply.equals("+OK"); i++) {
        reply = c.call("set", "new:" + i, VALUE);
      }
      assertEquals("-OOM command not allowed when used memory > 'maxmemory'.", reply);
      assertTrue(infoField(c, "memory", "used_memory") > max, "over the limit, nothing to evict");
      for (int i = 0; i < 100; i++) {
        assertEquals(":1", c.call("exists", "keep:" + i), "keep:" + i + " has no TTL");
      }
    }
  }

  @Test
  void evictionsAreJournaledAndSurviveARestart() throws Exception {
    Path dir = Files.createTempDirectory("ks-mem");
    long max = MemoryAccountant.STARTUP_BYTES + 100 * 1024;
    Map<String, Object> conf =
        Map.of("keyshard.maxmemory", Long.toString(max), "keyshard.maxmemory-policy", "allkeys-random");
    TreeSet<String> before;
    long evicted;
    try (TestNode node = TestNode.start(dir, conf);
        RawClient c = new RawClient(node.port())) {
      assertEquals("[\"maxmemory\", \"" + max + "\"]", c.call("config", "get", "maxmemory"));
      for (int i = 0; i < 200; i++) {
        assertEquals("+OK", c.call("set", "k:" + i, VALUE));
      }
      evicted = infoField(c, "stats", "evicted_keys");
      assertTrue(evicted >= 100, "evicted " + evicted);
      before = keys(c);
      assertEquals(200 - evicted, before.size());
    }
    try (TestNode node = TestNode.start(dir, Map.of());
        RawClient c = new RawClient(node.port())) {
      assertEquals(before, keys(c), "the same keys after replay");
      long used = infoField(c, "memory", "used_memory");
      assertTrue(used <= max + 1200 && used > max - 10 * 1024, "used_memory " + used);
      assertEquals(0, infoField(c, "stats", "evicted_keys"));
    }
  }

  private static TreeSet<String> keys(RawClient c) throws Exception {
    String reply = c.call("keys", "*");
    TreeSet<String> out = new TreeSet<>();
    for (String k : reply.substring(1, reply.length() - 1).split(", ")) {
      out.add(k.replace("\"", ""));
    }
    return out;
  }
}
