package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.DifferentialTestBase;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every hash command against a real redis-server: replies compared exactly, error texts
 * included. Replies in no set order (HKEYS, HVALS, HGETALL of a hashtable-encoded hash) are
 * compared as sets; HRANDFIELD's random picks are compared by shape and checked by property.
 */
@Timeout(120)
class HashesDifferentialTest extends DifferentialTestBase {

  /** Sorts a flat field, value, field, value array (RESP2 HGETALL) by pair. */
  static final UnaryOperator<String> PAIRS_SORTED =
      r -> {
        if (!r.startsWith("[") || r.equals("[]")) {
          return r;
        }
        List<String> items = List.of(r.substring(1, r.length() - 1).split(", "));
        List<String> pairs = new ArrayList<>();
        for (int i = 0; i + 1 < items.size(); i += 2) {
          pairs.add(items.get(i) + "=" + items.get(i + 1));
        }
        Collections.sort(pairs);
        return pairs.toString();
      };

  /** Sorts the entries of a RESP3 map. */
  static final UnaryOperator<String> MAP_SORTED =
      r -> {
        if (!r.startsWith("{") || r.equals("{}")) {
          return r;
        }
        List<String> entries = new ArrayList<>(List.of(r.substring(1, r.length() - 1).split(", ")));
        Collections.sort(entries);
        return "{" + String.join(", ", entries) + "}";
      };

  /** Keeps only a reply's shape: every bulk string becomes the same placeholder. */
  static final UnaryOperator<String> SHAPE = r -> r.replaceAll("\"[^\"]*\"", "\"_\"");

  static final UnaryOperator<String> SORTED = Differential::sorted;

  static final UnaryOperator<String> TTL_100 = near(100, 1);

  @Test
  void setAndGet() throws Exception {
    d.check("HSET", "h", "a", "1", "b", "2");
    d.check("HSET", "h", "a", "10", "c", "3");
    d.check("HSET", "h", "d", "4", "d", "5");
    d.check("HGET", "h", "a");
    d.check("HGET", "h", "d");
    d.check("HGET", "h", "missing");
    d.check("HGET", "nokey", "a");
    d.check("HMSET", "h", "e", "5", "a", "11");
    d.check("HMGET", "h", "a", "missing", "e");
    d.check("HMGET", "nokey", "a", "b");
    d.check("HSETNX", "h", "a", "x");
    d.check("HSETNX", "h", "z", "26");
    d.check("HSETNX", "new", "f", "v");
    d.check("HGETALL", "new");
    d.check("HLEN", "h");
    d.check("HLEN", "nokey");
    d.check("HSTRLEN", "h", "a");
    d.check("HSTRLEN", "h", "missing");
    d.check("HSTRLEN", "nokey", "a");
    d.check("HEXISTS", "h", "a");
    d.check("HEXISTS", "h", "missing");
    d.check("HEXISTS", "nokey", "a");
    d.check("HSET", "h", "", "");
    d.check("HGET", "h", "");
    d.check("HSTRLEN", "h", "");
    // A small hash keeps insertion order in both, so even the order matches.
    d.check("HKEYS", "h");
    d.check("HVALS", "h");
    d.check("HGETALL", "h");
    d.check("HKEYS", "nokey");
    d.check("HVALS", "nokey");
    d.check("HGETALL", "nokey");
    d.check("TYPE", "h");
    d.check("EXISTS", "h");
  }

  @Test
  void arityAndSyntax() throws Exception {
    d.check("HSET", "h");
    d.check("HSET", "h", "a");
    d.check("HSET", "h", "a", "1", "b");
    d.check("HMSET", "h", "a");
    d.check("HMSET", "h", "a", "1", "b");
    d.check("HSETNX", "h", "a");
    d.check("HGET", "h");
    d.check("HMGET", "h");
    d.check("HDEL", "h");
    d.check("HLEN");
    d.check("HKEYS", "h", "x");
    d.check("HINCRBY", "h", "a");
    d.check("HINCRBYFLOAT", "h", "a");
    d.check("HRANDFIELD");
    d.check("HSCAN", "h");
    d.check("EXISTS", "h");
  }

  @Test
  void deleteRemovesEmptyHashes() throws Exception {
    d.check("HSET", "h", "a", "1", "b", "2", "c", "3");
    d.check("HDEL", "h", "a", "a", "missing");
    d.check("HDEL", "h", "missing");
    d.check("HDEL", "nokey", "a");
    d.check("HGETALL", "h");
    d.check("HDEL", "h", "b", "c");
    d.check("EXISTS", "h");
    d.check("TYPE", "h");
    d.check("HLEN", "h");
    d.check("HSET", "h", "a", "1");
    d.check("HDEL", "h", "a");
    d.check("EXISTS", "h");
  }

  @Test
  void wrongTypeBothWays() throws Exception {
    d.check("SET", "s", "v");
    for (String[] c :
        List.of(
            new String[] {"HSET", "s", "a", "1"},
            new String[] {"HMSET", "s", "a", "1"},
            new String[] {"HSETNX", "s", "a", "1"},
            new String[] {"HGET", "s", "a"},
            new String[] {"HMGET", "s", "a"},
            new String[] {"HDEL", "s", "a"},
            new String[] {"HLEN", "s"},
            new String[] {"HSTRLEN", "s", "a"},
            new String[] {"HEXISTS", "s", "a"},
            new String[] {"HKEYS", "s"},
            new String[] {"HVALS", "s"},
            new String[] {"HGETALL", "s"},
            new String[] {"HINCRBY", "s", "a", "1"},
            new String[] {"HINCRBYFLOAT", "s", "a", "1"},
            new String[] {"HRANDFIELD", "s"},
            new String[] {"HRANDFIELD", "s", "2"},
            new String[] {"HSCAN", "s", "0"},
            new String[] {"HSCAN", "s", "0", "COUNT", "0"})) {
      d.check(c);
    }
    // Argument errors come before the type check, as in Redis.
    d.check("HINCRBY", "s", "a", "x");
    d.check("HINCRBYFLOAT", "s", "a", "x");
    d.check("HINCRBYFLOAT", "s", "a", "inf");
    d.check("HRANDFIELD", "s", "x");
    d.check("HRANDFIELD", "s", "1", "x");
    d.check("HSCAN", "s", "x");
    d.check("GET", "s");

    d.check("HSET", "h", "a", "1");
    for (String[] c :
        List.of(
            new String[] {"GET", "h"},
            new String[] {"GETSET", "h", "v"},
            new String[] {"GETDEL", "h"},
            new String[] {"GETEX", "h"},
            new String[] {"APPEND", "h", "x"},
            new String[] {"STRLEN", "h"},
            new String[] {"INCR", "h"},
            new String[] {"DECRBY", "h", "2"},
            new String[] {"INCRBYFLOAT", "h", "1.5"},
            new String[] {"GETRANGE", "h", "0", "1"},
            new String[] {"SETRANGE", "h", "0", "x"},
            new String[] {"MGET", "h", "s"},
            new String[] {"SET", "h", "v", "GET"})) {
      d.check(c);
    }
    d.check("HGETALL", "h");
    // SET replaces a hash whatever it held.
    d.check("SET", "h", "v");
    d.check("TYPE", "h");
    d.check("GET", "h");
  }

  @Test
  void hincrby() throws Exception {
    d.check("HINCRBY", "h", "n", "5");
    d.check("HINCRBY", "h", "n", "-7");
    d.check("HINCRBY", "h", "n", "0");
    d.check("HGET", "h", "n");
    d.check("HINCRBY", "h", "n", "x");
    d.check("HINCRBY", "h", "n", "1.5");
    d.check("HSET", "h", "max", "9223372036854775807", "min", "-9223372036854775808");
    d.check("HINCRBY", "h", "max", "1");
    d.check("HINCRBY", "h", "min", "-1");
    d.check("HINCRBY", "h", "max", "-9223372036854775808");
    d.check("HINCRBY", "h", "n", "9223372036854775807");
    d.check("HSET", "h", "s", "abc", "sp", " 1", "f", "1.0", "big", "99999999999999999999");
    d.check("HINCRBY", "h", "s", "1");
    d.check("HINCRBY", "h", "sp", "1");
    d.check("HINCRBY", "h", "f", "1");
    d.check("HINCRBY", "h", "big", "1");
    d.check("HINCRBY", "new", "f", "-3");
    d.check("HGETALL", "new");
  }

  @Test
  void hincrbyfloat() throws Exception {
    d.check("HINCRBYFLOAT", "h", "f", "10.5");
    d.check("HINCRBYFLOAT", "h", "f", "0.1");
    d.check("HINCRBYFLOAT", "h", "f", "-5e3");
    d.check("HINCRBYFLOAT", "h", "g", "3.0");
    d.check("HINCRBYFLOAT", "h", "g", "1e20");
    d.check("HINCRBYFLOAT", "h", "g", "1");
    d.check("HINCRBYFLOAT", "h", "hex", "0x10");
    d.check("HINCRBYFLOAT", "h", "f", "nan");
    d.check("HINCRBYFLOAT", "h", "f", "inf");
    d.check("HINCRBYFLOAT", "h", "f", "-inf");
    d.check("HINCRBYFLOAT", "h", "f", "x");
    d.check("HINCRBYFLOAT", "h", "f", "");
    d.check("HSET", "h", "s", "abc", "huge", "1e4932", "i", "7", "e", "");
    d.check("HINCRBYFLOAT", "h", "s", "1");
    d.check("HINCRBYFLOAT", "h", "e", "1");
    d.check("HINCRBYFLOAT", "h", "huge", "1e4932");
    d.check("HINCRBYFLOAT", "h", "i", "0.5");
    d.check("HINCRBY", "h", "i", "1");
    d.check("HGETALL", "h");
  }

  @Test
  void hrandfield() throws Exception {
    d.check("HRANDFIELD", "nokey");
    d.check("HRANDFIELD", "nokey", "3");
    d.check("HRANDFIELD", "nokey", "-3", "WITHVALUES");
    d.check("HRANDFIELD", "nokey", "x");
    d.check("HRANDFIELD", "nokey", "1", "x");
    d.check("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5");
    Map<String, String> hash = Map.of("a", "1", "b", "2", "c", "3", "d", "4", "e", "5");
    d.check("HRANDFIELD", "h", "0");
    d.check("HRANDFIELD", "h", "0", "WITHVALUES");
    d.check("HRANDFIELD", "h", "1", "WITHVALUES", "x");
    d.check("HRANDFIELD", "h", "1", "x");
    d.check("HRANDFIELD", "h", "x");
    d.check("HRANDFIELD", "h", "-9223372036854775808");
    d.check("HRANDFIELD", "h", "9223372036854775808");
    d.check("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES");
    d.check("HRANDFIELD", "h", "-4611686018427387905", "withvalues");
    // A count of at least the size answers the whole hash.
    d.check(SORTED, "HRANDFIELD", "h", "5");
    d.check(SORTED, "HRANDFIELD", "h", "100");
    d.check(PAIRS_SORTED, "HRANDFIELD", "h", "100", "WITHVALUES");
    // Random picks: same shape as Redis, and the right properties.
    d.check(SHAPE, "HRANDFIELD", "h");
    d.check(SHAPE, "HRANDFIELD", "h", "3");
    d.check(SHAPE, "HRANDFIELD", "h", "-12");
    d.check(SHAPE, "HRANDFIELD", "h", "-12", "WITHVALUES");
    d.check(SHAPE, "HRANDFIELD", "h", "2", "WITHVALUES");
    for (RawClient c : List.of(d.keyshard(), d.redis())) {
      for (int round = 0; round < 20; round++) {
        assertTrue(hash.containsKey(unquote(c.call("HRANDFIELD", "h"))));
        List<String> three = items(c.call("HRANDFIELD", "h", "3"));
        assertEquals(3, three.size());
        assertEquals(3, new HashSet<>(three).size(), "a positive count picks distinct fields");
        assertTrue(hash.keySet().containsAll(three));
        List<String> many = items(c.call("HRANDFIELD", "h", "-20"));
        assertEquals(20, many.size());
        assertTrue(hash.keySet().containsAll(many));
        List<String> pairs = items(c.call("HRANDFIELD", "h", "-7", "WITHVALUES"));
        assertEquals(14, pairs.size());
        for (int i = 0; i < pairs.size(); i += 2) {
          assertEquals(hash.get(pairs.get(i)), pairs.get(i + 1));
        }
      }
      // Over many picks a negative count repeats and eventually reaches every field.
      assertEquals(hash.keySet(), new HashSet<>(items(c.call("HRANDFIELD", "h", "-200"))));
    }
  }

  @Test
  void hscan() throws Exception {
    d.check("HSCAN", "nokey", "0");
    d.check("HSCAN", "nokey", "0", "COUNT", "0");
    d.check("HSET", "h", "apple", "1", "avocado", "2", "banana", "3");
    d.check("HSCAN", "h", "0");
    d.check("HSCAN", "h", "0", "MATCH", "a*");
    d.check("HSCAN", "h", "0", "match", "*an*", "count", "1");
    d.check("HSCAN", "h", "0", "MATCH", "*");
    d.check("HSCAN", "h", "0", "MATCH", "zz*");
    d.check("HSCAN", "h", "0", "COUNT", "1000");
    d.check("HSCAN", "h", "x");
    d.check("HSCAN", "h", "18446744073709551615");
    d.check("HSCAN", "h", "18446744073709551616");
    d.check("HSCAN", "h", "-1");
    for (String cursor : List.of("", "+5", "-0", "00", " 5", "5 ", "0x1", "+", "-")) {
      d.check("HSCAN", "h", cursor, "COUNT", "1");
    }
    d.check("HSCAN", "h", "-18446744073709551615");
    d.check("HSCAN", "h", "-18446744073709551616");
    d.check("HSCAN", "h", "0", "COUNT", "0");
    d.check("HSCAN", "h", "0", "COUNT", "x");
    d.check("HSCAN", "h", "0", "MATCH");
    d.check("HSCAN", "h", "0", "TYPE", "hash");
    d.check("HSCAN", "h", "0", "NOVALUES");
    d.check("HSCAN", "h", "0", "FOO", "1");
  }

  @Test
  void encodingFollowsRedis() throws Exception {
    d.check("HSET", "small", "f", "v".repeat(64));
    d.check("OBJECT", "ENCODING", "small");
    d.check("HSET", "longvalue", "f", "v".repeat(65));
    d.check("OBJECT", "ENCODING", "longvalue");
    d.check("HSET", "longfield", "f".repeat(65), "v");
    d.check("OBJECT", "ENCODING", "longfield");
    // Redis never converts back, even once the long value is gone.
    d.check("HSET", "longvalue", "g", "short");
    d.check("HDEL", "longvalue", "f");
    d.check("OBJECT", "ENCODING", "longvalue");
    d.check("HGETALL", "longvalue");
    List<String> args = new ArrayList<>(List.of("HSET", "many"));
    for (int i = 0; i < 512; i++) {
      args.add("f" + i);
      args.add(Integer.toString(i));
    }
    d.check(args.toArray(String[]::new));
    d.check("OBJECT", "ENCODING", "many");
    d.check("HSETNX", "many", "f512", "512");
    d.check("OBJECT", "ENCODING", "many");
    d.check("HDEL", "many", "f512", "f0");
    d.check("OBJECT", "ENCODING", "many");
    d.check("HLEN", "many");
    d.check(SORTED, "HKEYS", "many");
    d.check(SORTED, "HVALS", "many");
    d.check(PAIRS_SORTED, "HGETALL", "many");
    d.check(PAIRS_SORTED, "HRANDFIELD", "many", "1000", "WITHVALUES");
    d.check(
        r -> PAIRS_SORTED.apply(r.substring(r.indexOf(", ") + 2, r.length() - 1)),
        "HSCAN", "many", "0", "COUNT", "1000");
    d.check("HINCRBYFLOAT", "small", "n", "1.5");
    d.check("OBJECT", "ENCODING", "small");
  }

  @Test
  void resp3Replies() throws Exception {
    d.both("HELLO", "3");
    d.check("HSET", "h", "a", "1", "b", "2", "c", "3");
    d.check("HGETALL", "h");
    d.check("HGETALL", "nokey");
    d.check("HKEYS", "h");
    d.check("HMGET", "h", "a", "zz");
    d.check("HGET", "h", "zz");
    d.check("HRANDFIELD", "nokey");
    d.check("HRANDFIELD", "nokey", "2", "WITHVALUES");
    d.check("HRANDFIELD", "h", "0", "WITHVALUES");
    d.check(SHAPE, "HRANDFIELD", "h", "2", "WITHVALUES");
    d.check(SHAPE, "HRANDFIELD", "h", "-5", "WITHVALUES");
    d.check(SHAPE, "HRANDFIELD", "h", "-5");
    d.check(SHAPE, "HRANDFIELD", "h");
    d.check("HSCAN", "h", "0");
    d.check("HINCRBYFLOAT", "h", "a", "0.5");
    d.check("HINCRBY", "h", "b", "1");
    List<String> args = new ArrayList<>(List.of("HSET", "many"));
    for (int i = 0; i < 600; i++) {
      args.add("f" + i);
      args.add(Integer.toString(i));
    }
    d.check(args.toArray(String[]::new));
    d.check(MAP_SORTED, "HGETALL", "many");
    d.both("HELLO", "2");
  }

  @Test
  void keyCommandsMoveHashes() throws Exception {
    d.check("HSET", "{t}h", "a", "1", "b", "2");
    d.check("EXPIRE", "{t}h", "100");
    d.check("HSET", "{t}h", "c", "3");
    d.check(TTL_100, "TTL", "{t}h");
    // Within a slot.
    d.check("COPY", "{t}h", "{t}copy");
    d.check("HSET", "{t}copy", "a", "changed", "z", "26");
    d.check("HGETALL", "{t}h");
    d.check("HGETALL", "{t}copy");
    d.check(TTL_100, "TTL", "{t}copy");
    d.check("RENAME", "{t}h", "{t}renamed");
    d.check("EXISTS", "{t}h");
    d.check("HGETALL", "{t}renamed");
    d.check("TYPE", "{t}renamed");
    d.check(TTL_100, "TTL", "{t}renamed");
    // Across slots.
    d.check("COPY", "{t}renamed", "{u}copy");
    d.check("HDEL", "{u}copy", "a");
    d.check("HGETALL", "{t}renamed");
    d.check("HGETALL", "{u}copy");
    d.check("RENAME", "{t}renamed", "{v}moved");
    d.check("HGETALL", "{v}moved");
    d.check(TTL_100, "TTL", "{v}moved");
    d.check("EXISTS", "{t}renamed");
    d.check("RENAMENX", "{v}moved", "{u}copy");
    d.check("COPY", "{v}moved", "{u}copy", "REPLACE");
    d.check("HGETALL", "{u}copy");
    d.check("MOVE", "{u}copy", "3");
    d.check("SELECT", "3");
    d.check("HGETALL", "{u}copy");
    d.check("TYPE", "{u}copy");
    d.check("COPY", "{u}copy", "{u}copy2", "DB", "0");
    d.check("SELECT", "0");
    d.check("HGETALL", "{u}copy2");
    d.check("OBJECT", "ENCODING", "{u}copy2");
    d.check("DEL", "{v}moved", "{u}copy2");
    d.check("EXISTS", "{v}moved");
  }

  @Test
  void transactionsSeeAndUndoHashWrites() throws Exception {
    d.check("HSET", "{t}h", "a", "1");
    d.check("MULTI");
    d.check("HSET", "{t}h", "b", "2");
    d.check("HINCRBY", "{t}h", "a", "5");
    d.check("HDEL", "{t}h", "b");
    d.check("HGETALL", "{t}h");
    d.check("HSET", "{u}other", "x", "y");
    d.check("EXEC");
    d.check("HGETALL", "{t}h");
    d.check("HGETALL", "{u}other");
    // A watched hash changed in place aborts the transaction.
    d.check("WATCH", "{t}h");
    d.both("HSET", "{t}h", "c", "3");
    d.check("MULTI");
    d.check("HSET", "{t}h", "d", "4");
    d.check("EXEC");
    d.check("HGETALL", "{t}h");
  }

  @Test
  void hashesSurviveARestart() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-hashes");
    Map<String, String> expected = new LinkedHashMap<>();
    try (TestNode n = TestNode.start(dir, Map.of());
        RawClient c = new RawClient(n.port())) {
      // More writes than a slot takes between snapshots, so recovery uses a snapshot and events.
      for (int i = 0; i < 1100; i++) {
        assertEquals(":1", c.call("HSET", "h", "f" + i, "v" + i));
        expected.put("f" + i, "v" + i);
      }
      assertEquals(":1", c.call("HDEL", "h", "f0"));
      expected.remove("f0");
      assertEquals("\"2.5\"", c.call("HINCRBYFLOAT", "h", "n", "2.5"));
      expected.put("n", "2.5");
      assertEquals(":1", c.call("HSET", "small", "a", "1"));
      assertEquals("+OK", c.call("SELECT", "2"));
      assertEquals(":1", c.call("HSET", "other", "x", "y"));
    }
    try (TestNode n = TestNode.start(dir, Map.of());
        RawClient c = new RawClient(n.port())) {
      assertEquals("+hash", c.call("TYPE", "h"));
      assertEquals(":" + expected.size(), c.call("HLEN", "h"));
      Map<String, String> actual = new LinkedHashMap<>();
      List<String> flat = items(c.call("HGETALL", "h"));
      for (int i = 0; i < flat.size(); i += 2) {
        actual.put(flat.get(i), flat.get(i + 1));
      }
      assertEquals(expected, actual);
      assertEquals("\"hashtable\"", c.call("OBJECT", "ENCODING", "h"));
      assertEquals("\"listpack\"", c.call("OBJECT", "ENCODING", "small"));
      assertEquals("\"1\"", c.call("HGET", "small", "a"));
      assertEquals("+OK", c.call("SELECT", "2"));
      assertEquals("\"y\"", c.call("HGET", "other", "x"));
    }
  }

  private static String unquote(String s) {
    assertTrue(s.startsWith("\"") && s.endsWith("\""), s);
    return s.substring(1, s.length() - 1);
  }

  /** The bulk strings of a flat array reply. */
  private static List<String> items(String reply) {
    assertTrue(reply.startsWith("[") && reply.endsWith("]"), reply);
    if (reply.equals("[]")) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String s : reply.substring(1, reply.length() - 1).split(", ")) {
      out.add(unquote(s));
    }
    return out;
  }
}
