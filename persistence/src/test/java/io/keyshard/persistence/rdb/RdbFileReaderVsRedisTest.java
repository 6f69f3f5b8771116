package io.keyshard.persistence.rdb;

import static io.keyshard.persistence.rdb.Values.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.persistence.rdb.RdbFileWriterVsRedisTest.Key;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dump.rdb files written by a real redis-server 7.0 (SAVE), read with RdbFileReader and compared
 * key by key with what that server answers: every type and encoding, small and large (listpack,
 * quicklist with compressed nodes, intset, hashtable, skiplist), LZF strings and keys, integer
 * keys, expiries, several databases; then written back with RdbFileWriter and loaded into
 * another redis-server, whose DEBUG DIGEST must be the first one's. Streams, functions and the
 * LRU/LFU opcodes come out as Redis writes them under those settings.
 */
class RdbFileReaderVsRedisTest {

  @TempDir Path dir;

  private static void fill(RedisServer redis) throws Exception {
    Random r = new Random(7);
    List<Object[]> c = new ArrayList<>();
    c.add(new Object[] {"SELECT", 0});
    for (String s : List.of("0", "-1", "127", "-129", "32767", "2147483647", "-2147483648",
        "4294967296", "12345678901234567", "007", "", "embstr", "x".repeat(60))) {
      c.add(new Object[] {"SET", "str:" + s, s});
    }
    c.add(new Object[] {"SET", "compressible", "abc".repeat(100_000)});
    byte[] random = new byte[200_000];
    r.nextBytes(random);
    c.add(new Object[] {"SET", "random", random});
    c.add(new Object[] {"SET", "12345", "an integer key"});
    c.add(new Object[] {"SET", "k".repeat(300), "an LZF key"});
    c.add(new Object[] {"APPEND", "raw", "grown by APPEND"});
    c.add(new Object[] {"RPUSH", "list:small", "a", "1", "-5", ""});
    for (int i = 0; i < 30_000; i += 1000) {
      Object[] push = new Object[1002];
      push[0] = "RPUSH";
      push[1] = "list:big";
      for (int j = 0; j < 1000; j++) {
        push[j + 2] = (i + j) % 4 == 0 ? Integer.toString(i + j) : "element-" + (i + j);
      }
      c.add(push);
    }
    c.add(new Object[] {"LPUSH", "list:large", "y".repeat(20_000), "z", "w".repeat(9000)});
    c.add(new Object[] {"SADD", "set:int16", "1", "2", "-3"});
    c.add(new Object[] {"SADD", "set:int64", "5000000000", "7"});
    c.add(new Object[] {"SADD", "set:text", "a", "b", "1"});
    for (int i = 0; i < 1000; i += 100) {
      Object[] add = new Object[102];
      add[0] = "SADD";
      add[1] = "set:many-ints";
      for (int j = 0; j < 100; j++) {
        add[j + 2] = Integer.toString((i + j) * 13);
      }
      c.add(add);
    }
    c.add(new Object[] {"HSET", "hash:small", "f", "v", "n", "12", "e", ""});
    c.add(new Object[] {"HSET", "hash:long", "f", "v".repeat(100)});
    for (int i = 0; i < 1000; i++) {
      c.add(new Object[] {"HSET", "hash:many", "field" + i, "value" + i});
    }
    c.add(new Object[] {"ZADD", "zset:small", "1", "a", "2.5", "b", "-3", "c", "inf", "d",
        "-inf", "e", "0.1", "f", "1e300", "g"});
    for (int i = 0; i < 300; i++) {
      c.add(new Object[] {"ZADD", "zset:many", Double.toString(i / 7.0), "m" + i});
    }
    c.add(new Object[] {"ZADD", "zset:long", "1", "m".repeat(100)});
    c.add(new Object[] {"SET", "ttl:string", "v", "PX", "100000"});
    c.add(new Object[] {"SELECT", 1});
    c.add(new Object[] {"RPUSH", "ttl:list", "a", "b"});
    c.add(new Object[] {"PEXPIREAT", "ttl:list", System.currentTimeMillis() + 3_600_000});
    c.add(new Object[] {"SET", "plain", "in db 1"});
    c.add(new Object[] {"SELECT", 9});
    c.add(new Object[] {"HSET", "ttl:hash", "f", "v"});
    c.add(new Object[] {"EXPIRE", "ttl:hash", 50_000_000});
    c.add(new Object[] {"ZADD", "ttl:zset", "1", "a"});
    c.add(new Object[] {"PEXPIRE", "ttl:zset", 10_000});
    c.add(new Object[] {"SADD", "ttl:set", "1", "2"});
    c.add(new Object[] {"EXPIRE", "ttl:set", 86_400});
    c.add(new Object[] {"SELECT", 0});
    for (Object reply : redis.pipeline(c)) {
      assertTrue(!(reply instanceof String s) || !s.startsWith("-"), String.valueOf(reply));
    }
  }

  @Test
  void everyTypeAndEncodingReadsAsRedisHoldsIt() throws Exception {
    Path first = Files.createDirectories(dir.resolve("first"));
    Path second = Files.createDirectories(dir.resolve("second"));
    List<Key> keys = new ArrayList<>();
    String digest;
    try (RedisServer redis = RedisServer.start(first, "--list-compress-depth", "1",
        "--enable-debug-command", "yes")) {
      fill(redis);
      assertEquals("+OK", redis.call("SAVE"));
      digest = String.valueOf(redis.call("DEBUG", "DIGEST"));
      assertTrue(digest.matches("\\+[0-9a-f]{40}") && !digest.matches("\\+0+"), digest);

      Map<String, String> aux = new LinkedHashMap<>();
      Map<Integer, Long> perDb = new LinkedHashMap<>();
      try (InputStream in = Files.newInputStream(first.resolve("dump.rdb"))) {
        RdbFileReader reader = new RdbFileReader(in);
        for (RdbItem item = reader.next(); item != null; item = reader.next()) {
          if (item instanceof RdbItem.Aux a) {
            aux.put(a.name(), a.value());
          } else if (item instanceof RdbItem.DbSize s) {
            perDb.put(s.db(), s.keys());
          } else if (item instanceof RdbItem.Entry e) {
            redis.call("SELECT", e.db());
            String name = Values.show(e.key());
            assertNotNull(e.value(), name);
            assertEquals(RedisContents.of(redis, e.key()), RedisContents.of(e.value()), name);
            assertEquals(RedisContents.encoding(redis, e.key()), e.value().encoding(), name);
            // PEXPIRETIME: the absolute expiry Redis holds, -1 for none.
            assertEquals(redis.call("PEXPIRETIME", e.key()), e.expireAtMs(), name);
            keys.add(new Key(e.db(), new String(e.key(), StandardCharsets.ISO_8859_1),
                e.value(), e.expireAtMs()));
          } else {
            throw new AssertionError("unexpected " + item);
          }
        }
        assertTrue(reader.checksumVerified());
        assertEquals(10, reader.version());
      }
      assertEquals(List.of("redis-ver", "redis-bits", "ctime", "used-mem", "aof-base"),
          List.copyOf(aux.keySet()));
      assertEquals("7.0.15", aux.get("redis-ver"));
      for (int db : List.of(0, 1, 9)) {
        redis.call("SELECT", db);
        long size = (Long) redis.call("DBSIZE");
        assertEquals(size, perDb.get(db));
        assertEquals(size, keys.stream().filter(k -> k.db() == db).count());
      }
    }
    // Back to Redis through RdbFileWriter: the same data, DEBUG DIGEST says.
    RdbFileWriterVsRedisTest.write(keys, Files.newOutputStream(second.resolve("dump.rdb")),
        RdbFileWriter.Header.now(0));
    String check = RedisServer.checkRdb(second.resolve("dump.rdb"));
    assertTrue(check.startsWith("exit 0"), check);
    try (RedisServer redis = RedisServer.start(second, "--enable-debug-command", "yes")) {
      assertEquals(digest, String.valueOf(redis.call("DEBUG", "DIGEST")));
    }
  }

  @Test
  void streamsAndFunctionsAreReadAndLruLfuHintsSkipped() throws Exception {
    try (RedisServer redis = RedisServer.start(dir, "--maxmemory-policy", "allkeys-lru")) {
      assertEquals("mylib", new String((byte[]) redis.call("FUNCTION", "LOAD",
          "#!lua name=mylib\nredis.register_function('f', function() return 1 end)")));
      redis.call("SET", "before", "1");
      redis.call("XADD", "stream", "1-1", "a", "1");
      redis.call("XGROUP", "CREATE", "stream", "group", "0");
      redis.call("XADD", "stream", "2-1", "b", "2");
      redis.call("XREADGROUP", "GROUP", "group", "consumer", "COUNT", "1", "STREAMS", "stream",
          ">");
      redis.call("PEXPIRE", "stream", 100_000);
      redis.call("HSET", "after", "f", "v");
      redis.call("XADD", "empty-stream", "MAXLEN", "0", "*", "x", "y");

      for (String policy : List.of("allkeys-lru", "allkeys-lfu")) {
        redis.call("CONFIG", "SET", "maxmemory-policy", policy);
        assertEquals("+OK", redis.call("SAVE"));
        List<String> seen = new ArrayList<>();
        try (InputStream in = Files.newInputStream(dir.resolve("dump.rdb"))) {
          RdbFileReader reader = new RdbFileReader(in);
          for (RdbItem item = reader.next(); item != null; item = reader.next()) {
            if (item instanceof RdbItem.Entry e) {
              seen.add("entry " + new String(e.key()) + " " + RedisContents.of(e.value())
                  + " ttl " + (e.expireAtMs() != -1));
            } else if (item instanceof RdbItem.Unsupported u) {
              seen.add(u.kind() + " " + (u.key() == null ? "" : new String(u.key())) + " "
                  + u.detail());
            } else if (item instanceof RdbItem.Function f) {
              seen.add("FUNCTION " + f.name() + " " + new String(f.code()));
            }
          }
          assertTrue(reader.checksumVerified());
        }
        seen.sort(null);
        // Streams are values since Keyshard holds them (the reader skips each key's LRU/LFU
        // hint either way); a function library is its code, not a key.
        assertEquals(List.of("FUNCTION mylib #!lua name=mylib\nredis.register_function('f', function() return 1 end)",
            "entry after hash:f=v ttl false",
            "entry before string:1 ttl false",
            "entry empty-stream stream: ttl false",
            "entry stream stream: ttl true"), seen, policy);
      }
    }
  }
}
