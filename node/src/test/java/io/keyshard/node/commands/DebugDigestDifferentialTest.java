package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DEBUG DIGEST and DEBUG DIGEST-VALUE against a real redis-server 7.0.15, both with
 * enable-debug-command yes, filled by the same commands: every type in each of its encodings,
 * keys with and without a TTL, several databases, an empty one, and a dataset built by
 * cross-slot writes. The digests must be equal, hex for hex.
 */
class DebugDigestDifferentialTest {
  private static RedisProcess redis;
  private static TestNode node;
  private Differential d;

  @BeforeAll
  static void start() throws Exception {
    redis = RedisProcess.start("--enable-debug-command", "yes");
    node =
        TestNode.start(
            Files.createTempDirectory("keyshard-debug"), Map.of("keyshard.enable-debug-command", "yes"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @BeforeEach
  void open() throws Exception {
    d = new Differential(node.port(), redis.port());
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

  /** Fills the selected database with every type and encoding; returns the keys made. */
  private List<String> fill(String prefix) throws Exception {
    List<String> keys = new ArrayList<>();
    // Strings: int, embstr, raw, empty, binary-ish, integer-looking but not canonical.
    String[][] strings = {
      {"int", "12345"}, {"neg", "-7"}, {"big", "9223372036854775807"}, {"embstr", "hello"},
      {"raw", "x".repeat(100)}, {"empty", ""}, {"zeros", "007"}, {"float", "1.5"},
      {"bin", "\u00e9\u0000\u00ff"}
    };
    for (String[] s : strings) {
      d.check("SET", prefix + "s:" + s[0], s[1]);
      keys.add(prefix + "s:" + s[0]);
    }
    d.check("APPEND", prefix + "s:appended", "12");
    keys.add(prefix + "s:appended");
    d.check("INCRBYFLOAT", prefix + "s:incrfloat", "2.5");
    keys.add(prefix + "s:incrfloat");
    // Lists: small, with integers, and one over several quicklist nodes.
    d.check("RPUSH", prefix + "l:small", "a", "b", "1", "-2", "", "a");
    d.check("LPUSH", prefix + "l:pushed", "x", "y", "z");
    List<String> big = new ArrayList<>(List.of("RPUSH", prefix + "l:big"));
    for (int i = 0; i < 1500; i++) {
      big.add("element-" + i);
    }
    d.check(big.toArray(new String[0]));
    keys.addAll(List.of(prefix + "l:small", prefix + "l:pushed", prefix + "l:big"));
    // Sets: intset, listpack-sized strings (hashtable in 7.0), a large intset, a hashtable.
    d.check("SADD", prefix + "st:ints", "1", "-5", "300", "70000", "5000000000");
    d.check("SADD", prefix + "st:strs", "a", "b", "c");
    List<String> many = new ArrayList<>(List.of("SADD", prefix + "st:many"));
    for (int i = 0; i < 600; i++) {
      many.add(Integer.toString(i * 3));
    }
    d.check(many.toArray(new String[0]));
    d.check("SADD", prefix + "st:mixed", "1", "2", "x");
    keys.addAll(List.of(prefix + "st:ints", prefix + "st:strs", prefix + "st:many", prefix + "st:mixed"));
    // Hashes: listpack, hashtable by a long value, hashtable by many fields.
    d.check("HSET", prefix + "h:small", "f1", "v1", "f2", "2", "f3", "");
    d.check("HSET", prefix + "h:long", "f", "v".repeat(100));
    List<String> fields = new ArrayList<>(List.of("HSET", prefix + "h:many"));
    for (int i = 0; i < 600; i++) {
      fields.add("field-" + i);
      fields.add(Integer.toString(i));
    }
    d.check(fields.toArray(new String[0]));
    keys.addAll(List.of(prefix + "h:small", prefix + "h:long", prefix + "h:many"));
    // Sorted sets: listpack and skiplist, integer, fractional, infinite, tiny/huge scores, -0.
    d.check("ZADD", prefix + "z:small", "1", "a", "2.5", "b", "-inf", "c", "+inf", "d", "0.1", "e",
        "1e300", "f", "-3e-12", "g", "-0", "h", "4611686018427387904", "i");
    d.check("ZADD", prefix + "z:long", "1", "m".repeat(100), "-0", "negzero", "3.3", "x");
    List<String> members = new ArrayList<>(List.of("ZADD", prefix + "z:many"));
    for (int i = 0; i < 200; i++) {
      members.add(Double.toString(i / 7.0));
      members.add("member-" + i);
    }
    d.check(members.toArray(new String[0]));
    keys.addAll(List.of(prefix + "z:small", prefix + "z:long", prefix + "z:many"));
    return keys;
  }

  private void compareDigests(List<String> keys) throws Exception {
    String digest = d.check("DEBUG", "DIGEST");
    assertNotEquals("+" + "0".repeat(40), digest);
    List<String> args = new ArrayList<>(List.of("DEBUG", "DIGEST-VALUE"));
    args.addAll(keys);
    args.add("no-such-key");
    d.check(args.toArray(new String[0]));
    for (String k : keys) {
      d.check("DEBUG", "DIGEST-VALUE", k);
    }
  }

  @Test
  void emptyDatasetDigestsToZeros() throws Exception {
    assertEquals("+" + "0".repeat(40), d.check("DEBUG", "DIGEST"));
    d.check("DEBUG", "DIGEST-VALUE", "a", "b");
    d.check("DEBUG", "DIGEST-VALUE");
  }

  @Test
  void everyTypeAndEncodingInSeveralDatabases() throws Exception {
    List<String> db0 = fill("");
    compareDigests(db0);
    d.check("SELECT", "3");
    List<String> db3 = fill("three:");
    compareDigests(db3);
    d.check("SELECT", "15");
    List<String> db15 = fill("");
    compareDigests(db15);
    // Database 7 stays empty; the same data in another database digests differently.
    d.check("SELECT", "0");
    d.check("MOVE", "s:int", "7");
    d.check("DEBUG", "DIGEST");
  }

  @Test
  void expiriesCountAsWhetherNotWhen() throws Exception {
    List<String> keys = fill("");
    for (String k : keys) {
      if (k.contains("s:int") || k.contains("l:big") || k.contains("z:") || k.contains("h:small")
          || k.contains("st:many")) {
        d.check("EXPIRE", k, "1000");
      }
    }
    compareDigests(keys);
    String before = d.check("DEBUG", "DIGEST");
    // Another time, the same digest: Redis digests only whether a key expires.
    d.check("EXPIRE", "s:int", "5000");
    assertEquals(before, d.check("DEBUG", "DIGEST"));
    d.check("PERSIST", "s:int");
    assertNotEquals(before, d.check("DEBUG", "DIGEST"));
  }

  @Test
  void crossSlotWritesAndTransactions() throws Exception {
    d.check("MSET", "a", "1", "b", "2", "c", "3", "{x}1", "v");
    d.check("MULTI");
    d.check("SADD", "s1", "m");
    d.check("HSET", "h1", "f", "v");
    d.check("SELECT", "2");
    d.check("RPUSH", "l1", "e");
    d.check("DEBUG", "DIGEST");
    d.check("DEBUG", "DIGEST-VALUE", "l1", "a");
    d.check("EXEC");
    d.check("SELECT", "0");
    compareDigests(List.of("a", "b", "c", "{x}1", "s1", "h1"));
  }

  @Test
  void subcommandErrorsAsRedis() throws Exception {
    d.check("DEBUG", "DIGEST", "extra");
    d.check("DEBUG", "NO-SUCH-THING");
    d.check("DEBUG");
    d.check("DEBUG", "HELP", "x");
  }
}
