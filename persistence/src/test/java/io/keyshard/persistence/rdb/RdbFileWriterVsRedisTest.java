package io.keyshard.persistence.rdb;

import static io.keyshard.persistence.rdb.Values.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import io.keyshard.persistence.ZSetValue;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file written by RdbFileWriter with every type and encoding Keyshard has, expiries and several
 * databases: redis-check-rdb accepts it, and a real redis-server 7.0 started on it holds every
 * key with its type, contents, encoding and expiry (PTTL within a second).
 */
class RdbFileWriterVsRedisTest {

  record Key(int db, String name, Value value, long expireAtMs) {}

  @TempDir Path dir;

  static List<Key> everyTypeAndEncoding(long now) {
    Random r = new Random(17);
    List<Key> keys = new ArrayList<>();
    // Strings: integers of each short form and beyond 32 bits, text, empty, binary, large.
    for (String s : List.of("0", "-1", "127", "-128", "32767", "-32769", "2147483647",
        "-2147483648", "2147483648", "12345678901234567", "007", "1 ", "", "Hello World")) {
      keys.add(new Key(0, "str:" + s, Values.string(s), -1));
    }
    byte[] binary = new byte[300];
    r.nextBytes(binary);
    keys.add(new Key(0, "str:binary", StringValue.of(binary), -1));
    keys.add(new Key(0, "str:compressible", Values.string("a".repeat(200_000)), -1));
    byte[] big = new byte[3 << 20];
    r.nextBytes(big);
    keys.add(new Key(0, "str:big", StringValue.of(big), -1));
    // Lists: one listpack node, many nodes, elements larger than a node, integers.
    keys.add(new Key(0, "list:small", Values.list("a", "1", "-7", "", "b"), -1));
    ListValue many = new ListValue();
    for (int i = 0; i < 20_000; i++) {
      many.addLast(b(i % 3 == 0 ? Integer.toString(i) : "element-" + i));
    }
    keys.add(new Key(0, "list:quicklist", many, -1));
    ListValue large = new ListValue();
    large.addLast(b("x".repeat(10_000)));
    large.addLast(b("y"));
    large.addLast(b("z".repeat(20_000)));
    keys.add(new Key(0, "list:large-elements", large, -1));
    // Sets: intsets of each width, a hashtable of text, an intset grown past 512 members.
    keys.add(new Key(0, "set:int16", Values.set("1", "2", "-3"), -1));
    keys.add(new Key(0, "set:int32", Values.set("100000", "-200000"), -1));
    keys.add(new Key(0, "set:int64", Values.set("5000000000", "1"), -1));
    keys.add(new Key(0, "set:text", Values.set("a", "b", "1"), -1));
    SetValue bigInts = new SetValue();
    for (int i = 0; i < 600; i++) {
      bigInts.add(b(Integer.toString(i * 7)));
    }
    keys.add(new Key(0, "set:many-ints", bigInts, -1));
    // Hashes: listpack, hashtable by count, hashtable by a long value.
    keys.add(new Key(0, "hash:small", Values.hash("f", "v", "n", "12", "e", ""), -1));
    HashValue manyFields = new HashValue();
    for (int i = 0; i < 1000; i++) {
      manyFields.put(b("field" + i), b(Integer.toString(i)));
    }
    keys.add(new Key(0, "hash:many", manyFields, -1));
    keys.add(new Key(0, "hash:long-value", Values.hash("f", "v".repeat(100)), -1));
    // Sorted sets: listpack (integer, fractional, infinite scores), skiplist by count and length.
    keys.add(new Key(0, "zset:small", Values.zset("a", 1, "b", 2.5, "c", -3, "d",
        Double.POSITIVE_INFINITY, "e", Double.NEGATIVE_INFINITY, "f", 1e300, "g", 0.1), -1));
    ZSetValue manyMembers = new ZSetValue();
    for (int i = 0; i < 300; i++) {
      manyMembers.put(b("m" + i), i / 3.0);
    }
    keys.add(new Key(0, "zset:many", manyMembers, -1));
    keys.add(new Key(0, "zset:long-member", Values.zset("m".repeat(100), 1, "n", 2), -1));
    // Expiries, in several databases, with keys of each type.
    keys.add(new Key(0, "ttl:string", Values.string("v"), now + 100_000));
    keys.add(new Key(3, "ttl:list", Values.list("a", "b"), now + 3_600_000));
    keys.add(new Key(3, "plain", Values.string("in db 3"), -1));
    keys.add(new Key(3, "ttl:hash", Values.hash("f", "v"), now + 50_000_000_000L));
    keys.add(new Key(15, "ttl:zset", Values.zset("a", 1), now + 10_000));
    keys.add(new Key(15, "ttl:set", Values.set("1", "x"), now + 86_400_000));
    keys.add(new Key(15, "123", Values.string("an integer key"), -1));
    return keys;
  }

  /** Writes the keys, grouped by database in ascending order as Redis does. */
  static void write(List<Key> keys, OutputStream out, RdbFileWriter.Header header)
      throws Exception {
    Map<Integer, List<Key>> byDb = new TreeMap<>();
    keys.forEach(k -> byDb.computeIfAbsent(k.db(), d -> new ArrayList<>()).add(k));
    try (RdbFileWriter w = new RdbFileWriter(out, header)) {
      for (Map.Entry<Integer, List<Key>> db : byDb.entrySet()) {
        long expires = db.getValue().stream().filter(k -> k.expireAtMs() != -1).count();
        w.selectDb(db.getKey(), db.getValue().size(), expires);
        for (Key k : db.getValue()) {
          w.write(b(k.name()), k.value(), k.expireAtMs());
        }
      }
      w.finish();
    }
  }

  @Test
  void redisCheckRdbAcceptsItAndRedisLoadsEveryKey() throws Exception {
    long now = System.currentTimeMillis();
    List<Key> keys = everyTypeAndEncoding(now);
    Path file = dir.resolve("dump.rdb");
    write(keys, Files.newOutputStream(file), RdbFileWriter.Header.now(1234567));

    String check = RedisServer.checkRdb(file);
    assertTrue(check.startsWith("exit 0") && check.contains("RDB looks OK"), check);
    assertTrue(check.contains(keys.size() + " keys read"), check);
    assertTrue(check.contains("AUX FIELD redis-ver = '7.0.15'"), check);

    try (RedisServer redis = RedisServer.start(dir)) {
      for (int db : List.of(0, 3, 15)) {
        redis.call("SELECT", db);
        assertEquals(keys.stream().filter(k -> k.db() == db).count(), redis.call("DBSIZE"));
      }
      for (Key k : keys) {
        redis.call("SELECT", k.db());
        byte[] key = b(k.name());
        assertEquals(RedisContents.of(k.value()), RedisContents.of(redis, key), k.name());
        assertEquals(k.value().encoding(), RedisContents.encoding(redis, key), k.name());
        long pttl = (Long) redis.call("PTTL", key);
        if (k.expireAtMs() == -1) {
          assertEquals(-1, pttl, k.name());
        } else {
          long expected = k.expireAtMs() - System.currentTimeMillis();
          assertTrue(Math.abs(expected - pttl) < 1000, k.name() + ": " + pttl + " vs " + expected);
        }
      }
    }
  }

  @Test
  void itsAuxFieldsAreRedisOwnInRedisOrder() throws Exception {
    // What redis-server 7.0.15 writes with SAVE, learnt from its own files (RdbFileReaderVsRedisTest).
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    write(List.of(new Key(0, "k", Values.string("v"), -1)), out,
        new RdbFileWriter.Header("7.0.15", 1796611173L, 964192, Map.of()));
    byte[] expected = Payloads.hex("5245444953303031 30fa0972656469732d76657206372e302e3135"
        + "fa0a72656469732d62697473c040fa056374696d65c2651c166b"
        + "fa08757365642d6d656dc260b60e00fa08616f662d62617365c000"
        + "fe00fb0100 00016b0176 ff");
    byte[] file = out.toByteArray();
    assertEquals(Values.show(expected), Values.show(Arrays.copyOf(file, file.length - 8)));
    assertEquals(Crc64.of(file, 0, file.length - 8),
        Listpack.le(file, file.length - 8, 8));
  }
}
