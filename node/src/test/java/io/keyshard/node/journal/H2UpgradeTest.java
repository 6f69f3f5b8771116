package io.keyshard.node.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestNode;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * A data directory written by the H2 version of Keyshard (commit 3f63f69, checked in as
 * resources/h2-journal: strings with and without an expiry, INCRBY, a hash with an expiry, a
 * list, a set, a sorted set, a committed cross-slot MSET, databases 0, 2 and 9) is converted to
 * the RocksDB journal on first start, even after an interrupted conversion, and serves every
 * key as it was; the H2 file stays.
 */
@Timeout(120)
class H2UpgradeTest {

  @Test
  void anH2DataDirectoryIsConvertedOnceAndServesEveryKey() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-h2upgrade");
    try (InputStream in = H2UpgradeTest.class.getResourceAsStream("/h2-journal/journal.mv.db")) {
      Files.copy(in, dir.resolve("journal.mv.db"));
    }
    // What an interrupted conversion leaves behind: started over, not used.
    Files.createDirectories(dir.resolve("journal.converting"));
    Files.writeString(dir.resolve("journal.converting").resolve("000001.log"), "half a conversion");

    try (TestNode node = TestNode.start(dir, Map.of())) {
      assertKeys(node);
    }
    assertTrue(Files.isDirectory(dir.resolve("journal")), "the RocksDB journal");
    assertFalse(Files.exists(dir.resolve("journal.converting")));
    assertTrue(Files.exists(dir.resolve("journal.mv.db")), "the H2 file stays until deleted");
    // A second start reads the RocksDB journal only (the H2 file could be gone).
    Files.delete(dir.resolve("journal.mv.db"));
    try (TestNode node = TestNode.start(dir, Map.of())) {
      assertKeys(node);
    }
  }

  private static void assertKeys(TestNode node) {
    try (Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
      assertEquals(39, j.dbSize());
      assertEquals("string", j.type("str:plain"));
      assertEquals("hello", j.get("str:plain"));
      assertEquals(-1, j.ttl("str:plain"));
      assertEquals("expires", j.get("str:ttl"));
      assertEquals(4102444800L, j.expireTime("str:ttl"));
      assertEquals("42", j.get("{slot}a"));
      assertEquals("hash", j.type("hash"));
      assertEquals(Map.of("f1", "v1", "f2", "v2"), j.hgetAll("hash"));
      assertEquals(4102444800123L, j.pexpireTime("hash"));
      assertEquals("list", j.type("list"));
      assertEquals(List.of("z", "a", "b", "c"), j.lrange("list", 0, -1));
      assertEquals("set", j.type("set"));
      assertEquals(Set.of("x", "y"), j.smembers("set"));
      assertEquals("zset", j.type("zset"));
      assertEquals(List.of("c", "a", "b"), j.zrange("zset", 0, -1));
      assertEquals(2.5, j.zscore("zset", "b"));
      assertEquals(List.of("one", "two", "three"), j.mget("{m1}k", "{m2}k", "{m3}k"));
      assertEquals(null, j.get("many:0"));
      for (int i = 1; i < 30; i++) {
        assertEquals("v" + i, j.get("many:" + i));
      }
      j.select(2);
      assertEquals(2, j.dbSize());
      assertEquals("in db 2", j.get("db2:key"));
      assertEquals("v", j.hget("db2:hash", "f"));
      j.select(9);
      assertEquals(List.of("only", "here"), j.lrange("db9:list", 0, -1));
      // The converted journal takes new writes after the converted sequence numbers.
      j.del("db9:list-new");
      assertEquals(2, j.rpush("db9:list-new", "a", "b"));
    }
  }
}
