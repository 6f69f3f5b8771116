package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.DifferentialTestBase;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.TestNode;
import io.keyshard.protocol.Slots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every set command against a real redis-server: replies compared exactly, error texts
 * included. An intset's order is Redis's (ascending) and compared exactly; a hashtable's order
 * is unspecified and compared sorted; random picks (SPOP, SRANDMEMBER) are compared by shape and
 * checked by property. Keys without a hash tag ("a", "b", "c") sit in different slots, so the
 * multi-key commands also run as cross-slot transactions here (and inside MULTI/EXEC).
 */
@Timeout(120)
class SetsDifferentialTest extends DifferentialTestBase {

  /** Sorts the items of a flat array or RESP3 set reply. */
  static final UnaryOperator<String> SORTED =
      r -> {
        String prefix = r.startsWith("~[") ? "~" : "";
        String body = r.substring(prefix.length());
        if (!body.startsWith("[") || body.equals("[]")) {
          return r;
        }
        List<String> items = new ArrayList<>(List.of(body.substring(1, body.length() - 1).split(", ")));
        Collections.sort(items);
        return prefix + items;
      };

  /** An SSCAN reply with its members sorted. */
  static final UnaryOperator<String> SCAN_SORTED =
      r -> {
        Matcher m = Pattern.compile("^\\[(\"\\d+\"), (\\[.*\\])\\]$").matcher(r);
        return m.matches() ? "[" + m.group(1) + ", " + SORTED.apply(m.group(2)) + "]" : r;
      };

  /** Keeps only a reply's shape: every bulk string becomes the same placeholder. */
  static final UnaryOperator<String> SHAPE = r -> r.replaceAll("\"[^\"]*\"", "\"_\"");

  @Test
  void keysWithoutTagsAreInDifferentSlots() {
    Set<Integer> slots = new HashSet<>();
    for (String k : List.of("a", "b", "c", "d")) {
      slots.add(Slots.slot(k.getBytes(StandardCharsets.UTF_8)));
    }
    assertEquals(4, slots.size(), "the cross-slot checks below rely on this");
  }

  @Test
  void addRemoveAndMembership() throws Exception {
    d.check("SADD", "s", "b", "a", "c", "a");
    d.check("SADD", "s", "a", "d");
    d.check("SADD", "s", "a");
    d.check("SCARD", "s");
    d.check("SCARD", "nokey");
    d.check("SISMEMBER", "s", "a");
    d.check("SISMEMBER", "s", "zz");
    d.check("SISMEMBER", "nokey", "a");
    d.check("SMISMEMBER", "s", "a", "zz", "d", "a");
    d.check("SMISMEMBER", "nokey", "a", "b");
    d.check(SORTED, "SMEMBERS", "s");
    d.check("SMEMBERS", "nokey");
    d.check("SREM", "s", "a", "zz", "a");
    d.check("SREM", "s", "zz");
    d.check("SREM", "nokey", "a");
    d.check("SREM", "s", "b", "c", "d");
    d.check("EXISTS", "s");
    d.check("TYPE", "s");
    d.check("SADD", "bin", "", "\u00e9", "a b");
    d.check(SORTED, "SMEMBERS", "bin");
    d.check("SISMEMBER", "bin", "");
    d.check("TYPE", "bin");
  }

  @Test
  void arityAndSyntax() throws Exception {
    d.check("SADD", "s");
    d.check("SADD");
    d.check("SREM", "s");
    d.check("SCARD");
    d.check("SCARD", "s", "t");
    d.check("SISMEMBER", "s");
    d.check("SMISMEMBER", "s");
    d.check("SMEMBERS", "s", "t");
    d.check("SPOP");
    d.check("SRANDMEMBER");
    d.check("SMOVE", "a", "b");
    d.check("SINTER");
    d.check("SUNION");
    d.check("SDIFF");
    d.check("SINTERSTORE", "d");
    d.check("SUNIONSTORE", "d");
    d.check("SDIFFSTORE", "d");
    d.check("SINTERCARD", "1");
    d.check("SSCAN", "s");
    d.check("SPOP", "s", "1", "2");
    d.check("SRANDMEMBER", "s", "1", "2");
  }

  @Test
  void encodingFollowsRedis() throws Exception {
    d.check("SADD", "i", "3", "-5", "10", "0", "-9223372036854775808", "9223372036854775807");
    d.check("OBJECT", "ENCODING", "i");
    // An intset answers in ascending order: compared exactly.
    d.check("SMEMBERS", "i");
    d.check("SSCAN", "i", "0");
    d.check("SSCAN", "i", "0", "MATCH", "-*", "COUNT", "1");
    d.check("SRANDMEMBER", "i", "6");
    d.check("SRANDMEMBER", "i", "100");
    d.check("SUNION", "i");
    d.check("SDIFF", "i");
    d.check("SINTER", "i");
    for (String notCanonical :
        List.of("007", "-0", "+1", " 1", "1 ", "9223372036854775808", "-9223372036854775809", "1.0", "0x10", "")) {
      d.check("SADD", "n", "1", notCanonical);
      d.check("OBJECT", "ENCODING", "n");
      d.check("DEL", "n");
    }
    // Redis never converts back: not after SREM, not after SPOP.
    d.check("SADD", "back", "1", "2", "x");
    d.check("SREM", "back", "x");
    d.check("OBJECT", "ENCODING", "back");
    d.check(SORTED, "SMEMBERS", "back");
    d.both("SPOP", "back");
    d.check("OBJECT", "ENCODING", "back");
    d.check("DEL", "back");
    d.check("SADD", "back", "1", "x");
    d.check("SREM", "back", "x");
    // 512 integers stay an intset; the 513th converts.
    List<String> args = new ArrayList<>(List.of("SADD", "many"));
    for (int i = 0; i < 512; i++) {
      args.add(Integer.toString(1000 - 3 * i));
    }
    d.check(args.toArray(String[]::new));
    d.check("OBJECT", "ENCODING", "many");
    d.check("SMEMBERS", "many");
    d.check("SADD", "many", "-5000");
    d.check("OBJECT", "ENCODING", "many");
    d.check("SREM", "many", "-5000", "1000");
    d.check("OBJECT", "ENCODING", "many");
    d.check("SCARD", "many");
    d.check(SORTED, "SMEMBERS", "many");
    // Results are built as Redis builds them: an integer result is an intset.
    d.check("SINTERSTORE", "inter", "many", "i");
    d.check("OBJECT", "ENCODING", "inter");
    d.check("SMEMBERS", "inter");
    d.check("SUNIONSTORE", "u", "back", "i");
    d.check("OBJECT", "ENCODING", "u");
    d.check("SMEMBERS", "u");
    d.check("SADD", "str", "a", "1");
    d.check("SDIFFSTORE", "df", "str", "u");
    d.check("OBJECT", "ENCODING", "df");
    d.check("SUNIONSTORE", "big", "many", "i");
    d.check("OBJECT", "ENCODING", "big");
  }

  @Test
  void spop() throws Exception {
    d.check("SPOP", "nokey");
    d.check("SPOP", "nokey", "0");
    d.check("SPOP", "nokey", "5");
    d.check("SPOP", "nokey", "-1");
    d.check("SPOP", "nokey", "x");
    d.check("SADD", "s", "1", "2", "3");
    d.check("SPOP", "s", "-1");
    d.check("SPOP", "s", "x");
    d.check("SPOP", "s", "-9223372036854775808");
    d.check("SPOP", "s", "9223372036854775808");
    d.check("SPOP", "s", "0");
    d.check("SCARD", "s");
    // A count reaching the size pops the whole set, in the intset's order, and deletes the key.
    d.check("SPOP", "s", "9223372036854775807");
    d.check("EXISTS", "s");
    d.check("SADD", "s", "5", "4");
    d.check("SPOP", "s", "2");
    d.check("EXISTS", "s");
    d.check("SADD", "h", "a", "b", "c");
    d.check(SORTED, "SPOP", "h", "3");
    d.check("EXISTS", "h");
    d.check("SADD", "one", "x");
    d.check("SPOP", "one");
    d.check("EXISTS", "one");

    // Popping everything answers the set as SUNION builds it: ascending when all are integers.
    d.check("SADD", "hs", "15", "3", "9", "1", "20", "7", "12", "5", "x");
    d.check("SREM", "hs", "x");
    d.check("SPOP", "hs", "100");
    // Few members left (at most a fifth of those popped): the set is rebuilt from them, so a
    // hashtable of integers is an intset again, with its TTL; otherwise it changes in place.
    for (String[] c : List.of(new String[] {"case3", "9", "intset"}, new String[] {"case2", "8", "hashtable"})) {
      d.check("SADD", c[0], "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "x");
      d.check("SREM", c[0], "x");
      d.check("EXPIRE", c[0], "100");
      d.check(SHAPE, "SPOP", c[0], c[1]);
      d.check("OBJECT", "ENCODING", c[0]);
      d.check("SCARD", c[0]);
      d.check("TTL", c[0]);
    }
    for (RawClient c : List.of(d.keyshard(), d.redis())) {
      c.call("SADD", "asc", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10");
      List<String> popped = items(c.call("SPOP", "asc", "9"));
      List<Long> numbers = popped.stream().map(Long::parseLong).toList();
      assertEquals(numbers.stream().sorted().toList(), numbers, "rebuilt from an intset: ascending");
      assertEquals(":1", c.call("SCARD", "asc"));
      assertEquals("\"intset\"", c.call("OBJECT", "ENCODING", "asc"));
    }

    Set<String> all = new TreeSet<>();
    for (int i = 0; i < 40; i++) {
      all.add("m" + i);
    }
    for (RawClient c : List.of(d.keyshard(), d.redis())) {
      List<String> add = new ArrayList<>(List.of("SADD", "p"));
      add.addAll(all);
      c.call(add.toArray(String[]::new));
      Set<String> popped = new HashSet<>();
      String single = unquote(c.call("SPOP", "p"));
      assertTrue(all.contains(single));
      popped.add(single);
      for (int count : List.of(3, 20, 1)) {
        List<String> got = items(c.call("SPOP", "p", Integer.toString(count)));
        assertEquals(count, got.size());
        assertEquals(count, new HashSet<>(got).size(), "SPOP count pops distinct members");
        for (String m : got) {
          assertTrue(all.contains(m), m);
          assertTrue(popped.add(m), "never popped twice: " + m);
        }
      }
      assertEquals(":15", c.call("SCARD", "p"));
      Set<String> rest = new HashSet<>(items(c.call("SMEMBERS", "p")));
      assertEquals(15, rest.size());
      assertTrue(Collections.disjoint(rest, popped));
      rest.addAll(popped);
      assertEquals(all, new TreeSet<>(rest));
    }
  }

  @Test
  void srandmember() throws Exception {
    d.check("SRANDMEMBER", "nokey");
    d.check("SRANDMEMBER", "nokey", "0");
    d.check("SRANDMEMBER", "nokey", "3");
    d.check("SRANDMEMBER", "nokey", "-3");
    d.check("SRANDMEMBER", "nokey", "x");
    d.check("SRANDMEMBER", "nokey", "-9223372036854775808");
    d.check("SADD", "s", "a", "b", "c", "d", "e");
    d.check("SRANDMEMBER", "s", "0");
    d.check("SRANDMEMBER", "s", "x");
    d.check("SRANDMEMBER", "s", "1.5");
    d.check("SRANDMEMBER", "s", "-9223372036854775808");
    d.check("SRANDMEMBER", "s", "9223372036854775808");
    d.check(SORTED, "SRANDMEMBER", "s", "9223372036854775807");
    d.check(SORTED, "SRANDMEMBER", "s", "5");
    d.check(SHAPE, "SRANDMEMBER", "s");
    d.check(SHAPE, "SRANDMEMBER", "s", "3");
    d.check(SHAPE, "SRANDMEMBER", "s", "-12");
    d.check(SORTED, "SMEMBERS", "s");
    Set<String> set = Set.of("a", "b", "c", "d", "e");
    for (RawClient c : List.of(d.keyshard(), d.redis())) {
      for (int round = 0; round < 20; round++) {
        assertTrue(set.contains(unquote(c.call("SRANDMEMBER", "s"))));
        List<String> three = items(c.call("SRANDMEMBER", "s", "3"));
        assertEquals(3, three.size());
        assertEquals(3, new HashSet<>(three).size(), "a positive count picks distinct members");
        assertTrue(set.containsAll(three));
        List<String> many = items(c.call("SRANDMEMBER", "s", "-20"));
        assertEquals(20, many.size());
        assertTrue(set.containsAll(many));
      }
      assertEquals(set, new HashSet<>(items(c.call("SRANDMEMBER", "s", "-300"))));
      assertEquals(":5", c.call("SCARD", "s"), "a read changes nothing");
    }
    // Beyond what can be answered: Redis runs out of memory, Keyshard refuses.
    assertEquals("-ERR value is out of range", d.keyshard().call("SRANDMEMBER", "s", "-9223372036854775807"));
    assertEquals(":5", d.keyshard().call("SCARD", "s"));
  }

  @Test
  void smoveWithinAndAcrossSlots() throws Exception {
    for (String[] keys : List.of(new String[] {"{t}src", "{t}dst", "{t}str"}, new String[] {"a", "b", "c"})) {
      String src = keys[0];
      String dst = keys[1];
      String str = keys[2];
      d.check("SADD", src, "1", "2", "x");
      d.check("SET", str, "v");
      d.check("SMOVE", src, dst, "1");
      d.check("SMOVE", src, dst, "1");
      d.check("SMEMBERS", dst);
      d.check(SORTED, "SMEMBERS", src);
      d.check("SMOVE", src, src, "2");
      d.check("SMOVE", src, src, "zz");
      d.check("SMOVE", src, str, "2");
      d.check("SMOVE", src, str, "zz");
      d.check("SMOVE", str, src, "2");
      d.check("SMOVE", "{t}nokey", str, "2");
      d.check("SMOVE", "nokey", str, "2");
      d.check("SMOVE", "nokey", dst, "2");
      d.check("SADD", dst, "x");
      d.check("SMOVE", src, dst, "x");
      d.check("SMEMBERS", src);
      d.check("SMOVE", src, dst, "2");
      d.check("EXISTS", src);
      d.check(SORTED, "SMEMBERS", dst);
      d.check("OBJECT", "ENCODING", dst);
      d.check("EXPIRE", dst, "100");
      d.check("SADD", src, "y");
      d.check("SMOVE", src, dst, "y");
      d.check("TTL", dst);
      d.check("FLUSHALL");
    }
  }

  @Test
  void algebraWithinAndAcrossSlots() throws Exception {
    for (String[] k : List.of(new String[] {"{t}a", "{t}b", "{t}c", "{t}d", "{t}s", "{t}h"},
        new String[] {"a", "b", "c", "d", "s", "h"})) {
      d.check("SADD", k[0], "1", "2", "3", "4", "5");
      d.check("SADD", k[1], "4", "5", "6", "2");
      d.check("SADD", k[2], "x", "4", "y", "5");
      d.check("SET", k[4], "str");
      d.check("HSET", k[5], "f", "v");
      d.check("SINTER", k[0], k[1]);
      d.check(SORTED, "SINTER", k[0], k[1], k[2]);
      d.check("SINTER", k[0], k[3]);
      d.check("SINTER", k[0], k[0]);
      d.check("SUNION", k[0], k[1]);
      d.check(SORTED, "SUNION", k[0], k[2], k[3]);
      d.check("SDIFF", k[0], k[1]);
      d.check("SDIFF", k[0], k[1], k[2]);
      d.check("SDIFF", k[3], k[0]);
      d.check("SDIFF", k[0], k[0]);
      d.check("SINTERCARD", "2", k[0], k[1]);
      d.check("SINTERCARD", "3", k[0], k[1], k[2]);
      d.check("SINTERCARD", "2", k[0], k[1], "LIMIT", "1");
      d.check("SINTERCARD", "2", k[0], k[1], "limit", "0");
      d.check("SINTERCARD", "2", k[0], k[3]);
      d.check("SINTERCARD", "1", k[0], "LIMIT", "2", "LIMIT", "9");
      // WRONGTYPE from any source, wherever the missing keys are.
      for (String wrong : List.of(k[4], k[5])) {
        d.check("SINTER", k[3], wrong);
        d.check("SINTER", wrong, k[3]);
        d.check("SINTER", k[0], wrong);
        d.check("SUNION", k[0], k[3], wrong);
        d.check("SDIFF", k[3], wrong);
        d.check("SDIFF", k[0], k[1], wrong);
        d.check("SINTERCARD", "2", k[3], wrong);
        d.check("SINTERSTORE", k[2], k[3], wrong);
        d.check("SUNIONSTORE", k[2], k[0], wrong);
        d.check("SDIFFSTORE", k[2], k[3], wrong);
      }
      d.check(SORTED, "SMEMBERS", k[2]);
      // STORE forms: the destination is replaced, loses its TTL, may be a source.
      d.check("SINTERSTORE", k[3], k[0], k[1]);
      d.check("SMEMBERS", k[3]);
      d.check("EXPIRE", k[3], "100");
      d.check("SUNIONSTORE", k[3], k[3], k[1]);
      d.check("TTL", k[3]);
      d.check("SMEMBERS", k[3]);
      d.check("SDIFFSTORE", k[3], k[3], k[0]);
      d.check("SMEMBERS", k[3]);
      d.check("SDIFFSTORE", k[4], k[0], k[2]);
      d.check("TYPE", k[4]);
      d.check("SMEMBERS", k[4]);
      d.check("SUNIONSTORE", k[5], k[2]);
      d.check("TYPE", k[5]);
      d.check(SORTED, "SMEMBERS", k[5]);
      d.check("OBJECT", "ENCODING", k[5]);
      // An empty result deletes the destination.
      d.check("SINTERSTORE", k[5], k[0], "{t}nokey");
      d.check("EXISTS", k[5]);
      d.check("SDIFFSTORE", k[4], k[0], k[0]);
      d.check("EXISTS", k[4]);
      d.check("SUNIONSTORE", "{t}none", "{t}nokey", "nokey");
      d.check("EXISTS", "{t}none");
      d.check("SINTERSTORE", k[0], k[0]);
      d.check("SMEMBERS", k[0]);
      d.check("FLUSHALL");
    }
  }

  @Test
  void sintercardArguments() throws Exception {
    d.check("SADD", "s", "1", "2", "3");
    for (String numkeys : List.of("0", "-1", "x", "01", "+1", "9223372036854775808", "")) {
      d.check("SINTERCARD", numkeys, "s");
    }
    d.check("SINTERCARD", "3", "s", "t");
    d.check("SINTERCARD", "9223372036854775807", "s");
    d.check("SINTERCARD", "2", "s", "s", "extra");
    d.check("SINTERCARD", "1", "s", "LIMIT");
    d.check("SINTERCARD", "1", "s", "LIMIT", "-1");
    d.check("SINTERCARD", "1", "s", "LIMIT", "x");
    d.check("SINTERCARD", "1", "s", "LIMIT", "9223372036854775807");
    d.check("SINTERCARD", "1", "s", "FOO", "1");
    d.check("SET", "str", "v");
    d.check("SINTERCARD", "1", "str", "LIMIT", "-1");
    d.check("SINTERCARD", "2", "str", "nokey", "LIMIT", "1");
    // Keys found from the key count, as COMMAND GETKEYS reports them.
    d.check("COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1");
    d.check("COMMAND", "GETKEYS", "SINTERCARD", "0", "a");
    d.check("COMMAND", "GETKEYS", "SINTERCARD", "3", "a", "b");
    d.check("COMMAND", "GETKEYS", "SINTERSTORE", "d", "a", "b");
    d.check("COMMAND", "GETKEYS", "SMOVE", "a", "b", "m");
    // Invalid key counts run in one slot and answer the argument error there, in or out of MULTI.
    d.check("SINTERCARD", "5", "a", "b");
    d.check("MULTI");
    d.check("SINTERCARD", "0", "a");
    d.check("SINTERCARD", "2", "a", "s", "LIMIT", "-3");
    d.check("SINTERCARD", "2", "s", "a", "LIMIT", "1");
    d.check("EXEC");
  }

  @Test
  void sscan() throws Exception {
    d.check("SSCAN", "nokey", "0");
    d.check("SSCAN", "nokey", "0", "COUNT", "0");
    d.check("SSCAN", "nokey", "x");
    d.check("SADD", "s", "apple", "avocado", "banana");
    d.check(SCAN_SORTED, "SSCAN", "s", "0");
    d.check(SCAN_SORTED, "SSCAN", "s", "0", "MATCH", "a*");
    d.check(SCAN_SORTED, "SSCAN", "s", "0", "match", "*an*", "count", "100");
    d.check(SCAN_SORTED, "SSCAN", "s", "0", "MATCH", "zz*");
    d.check("SSCAN", "s", "x");
    d.check("SSCAN", "s", "18446744073709551616");
    d.check("SSCAN", "s", "0", "COUNT", "0");
    d.check("SSCAN", "s", "0", "COUNT", "-1");
    d.check("SSCAN", "s", "0", "COUNT", "x");
    d.check("SSCAN", "s", "0", "MATCH");
    d.check("SSCAN", "s", "0", "TYPE", "set");
    d.check("SSCAN", "s", "0", "NOVALUES");
    d.check("SSCAN", "s", "0", "FOO", "1");
    d.check("SADD", "i", "5", "-1", "3");
    for (String cursor : List.of("0", "7", "-1", "18446744073709551615", "", "+5")) {
      d.check("SSCAN", "i", cursor, "COUNT", "1");
    }
    // A big hashtable set: a full iteration answers every member, however COUNT splits it.
    List<String> add = new ArrayList<>(List.of("SADD", "big"));
    Set<String> expected = new TreeSet<>();
    for (int i = 0; i < 700; i++) {
      add.add("m" + i);
      expected.add("m" + i);
    }
    d.check(add.toArray(String[]::new));
    for (RawClient c : List.of(d.keyshard(), d.redis())) {
      for (String count : List.of("10", "1", "333")) {
        Set<String> seen = new TreeSet<>();
        String cursor = "0";
        int calls = 0;
        do {
          Matcher m = Pattern.compile("^\\[\"(\\d+)\", (\\[.*\\])\\]$").matcher(c.call("SSCAN", "big", cursor, "COUNT", count));
          assertTrue(m.matches());
          cursor = m.group(1);
          seen.addAll(items(m.group(2)));
          assertTrue(++calls < 2000);
        } while (!cursor.equals("0"));
        assertEquals(expected, seen);
        assertTrue(calls > 1, "a hashtable set is scanned in several calls");
      }
    }
  }

  @Test
  void sscanKeepsItsGuaranteesWhileTheSetChanges() throws Exception {
    RawClient c = d.keyshard();
    List<String> add = new ArrayList<>(List.of("SADD", "big"));
    for (int i = 0; i < 300; i++) {
      add.add("m" + i);
    }
    c.call(add.toArray(String[]::new));
    Set<String> seen = new HashSet<>();
    String cursor = "0";
    int round = 0;
    do {
      Matcher m = Pattern.compile("^\\[\"(\\d+)\", (\\[.*\\])\\]$").matcher(c.call("SSCAN", "big", cursor, "COUNT", "7"));
      assertTrue(m.matches());
      cursor = m.group(1);
      seen.addAll(items(m.group(2)));
      // Members come and go between calls: m0..m99 are removed (some after being seen), new ones added.
      if (round < 100) {
        c.call("SREM", "big", "m" + round);
        c.call("SADD", "big", "new" + round);
      }
      round++;
    } while (!cursor.equals("0"));
    for (int i = 100; i < 300; i++) {
      assertTrue(seen.contains("m" + i), "present all along, so returned: m" + i);
    }
  }

  @Test
  void wrongTypeBothWays() throws Exception {
    d.check("SET", "str", "v");
    d.check("HSET", "hash", "f", "v");
    for (String k : List.of("str", "hash")) {
      d.check("SADD", k, "a");
      d.check("SREM", k, "a");
      d.check("SCARD", k);
      d.check("SISMEMBER", k, "a");
      d.check("SMISMEMBER", k, "a");
      d.check("SMEMBERS", k);
      d.check("SPOP", k);
      d.check("SPOP", k, "0");
      d.check("SPOP", k, "-1");
      d.check("SRANDMEMBER", k);
      d.check("SRANDMEMBER", k, "0");
      d.check("SRANDMEMBER", k, "-9223372036854775808");
      d.check("SSCAN", k, "0");
      d.check("SSCAN", k, "x");
      d.check("SINTERCARD", "1", k);
    }
    d.check("SADD", "s", "1", "a");
    d.check("GET", "s");
    d.check("APPEND", "s", "x");
    d.check("INCR", "s");
    d.check("HSET", "s", "f", "v");
    d.check("HGET", "s", "f");
    d.check("STRLEN", "s");
    d.check("SET", "s", "now a string");
    d.check("GET", "s");
    d.check("TYPE", "s");
  }

  @Test
  void resp3Replies() throws Exception {
    d.both("HELLO", "3");
    d.check("SADD", "i", "3", "1", "2");
    d.check("SADD", "h", "x", "y");
    d.check("SMEMBERS", "i");
    d.check(SORTED, "SMEMBERS", "h");
    d.check("SMEMBERS", "nokey");
    d.check("SMISMEMBER", "i", "1", "9");
    d.check("SISMEMBER", "i", "1");
    d.check("SINTER", "i", "i");
    d.check("SINTER", "i", "nokey");
    d.check("SUNION", "i", "nokey");
    d.check("SDIFF", "i", "h");
    d.check("SINTER", "i", "h");
    d.check("SPOP", "nokey");
    d.check("SPOP", "nokey", "0");
    d.check("SPOP", "nokey", "3");
    d.check("SPOP", "i", "0");
    d.check(SHAPE, "SPOP", "i", "1");
    d.check(SHAPE, "SPOP", "i");
    d.check("DEL", "i");
    d.check("SADD", "i", "9", "7", "8");
    d.check("SPOP", "i", "10");
    d.check("SRANDMEMBER", "nokey");
    d.check("SRANDMEMBER", "nokey", "2");
    d.check(SORTED, "SRANDMEMBER", "h", "2");
    d.check(SORTED, "SRANDMEMBER", "h", "5");
    d.check(SHAPE, "SRANDMEMBER", "h", "1");
    d.check(SHAPE, "SRANDMEMBER", "h", "-5");
    d.check(SCAN_SORTED, "SSCAN", "h", "0");
    d.check("SINTERCARD", "1", "h");
    d.both("HELLO", "2");
  }

  @Test
  void keyCommandsCopySets() throws Exception {
    d.check("SADD", "{t}s", "1", "2", "x");
    d.check("EXPIRE", "{t}s", "100");
    d.check("COPY", "{t}s", "{t}copy");
    d.check("SADD", "{t}copy", "y");
    d.check("SREM", "{t}copy", "1");
    d.check(SORTED, "SMEMBERS", "{t}s");
    d.check(SORTED, "SMEMBERS", "{t}copy");
    d.check("COPY", "{t}s", "{u}copy");
    d.check("SREM", "{u}copy", "x");
    d.check(SORTED, "SMEMBERS", "{t}s");
    d.check(SORTED, "SMEMBERS", "{u}copy");
    d.check("OBJECT", "ENCODING", "{u}copy");
    d.check("RENAME", "{t}s", "{v}moved");
    d.check(SORTED, "SMEMBERS", "{v}moved");
    d.check("TYPE", "{v}moved");
    d.check("SADD", "{w}i", "1", "2");
    d.check("RENAME", "{w}i", "{x}i");
    d.check("OBJECT", "ENCODING", "{x}i");
  }

  @Test
  void multiExecRunsSetCommandsAcrossSlots() throws Exception {
    d.check("SADD", "a", "1", "2", "3");
    d.check("SADD", "b", "2", "3", "4");
    d.check("SET", "c", "str");
    d.check("MULTI");
    d.check("SINTERSTORE", "d", "a", "b");
    d.check("SMOVE", "a", "b", "1");
    d.check("SUNION", "a", "b");
    d.check("SINTER", "a", "b", "d");
    d.check("SDIFF", "b", "a");
    d.check("SINTERCARD", "3", "a", "b", "d", "LIMIT", "1");
    d.check("SUNIONSTORE", "a", "a", "b", "d");
    d.check("SDIFFSTORE", "e", "a", "b");
    d.check("SINTER", "a", "c");
    d.check("SMOVE", "a", "c", "1");
    d.check("SPOP", "d", "5");
    d.check("SCARD", "a");
    d.check("EXEC");
    d.check("SMEMBERS", "a");
    d.check("SMEMBERS", "b");
    d.check("EXISTS", "d", "e");
    // A failed WATCH discards the queued cross-slot writes.
    d.check("WATCH", "a");
    d.both("SADD", "a", "9");
    d.check("MULTI");
    d.check("SDIFFSTORE", "f", "a", "b");
    d.check("EXEC");
    d.check("EXISTS", "f");
  }

  @Test
  void setsSurviveARestartIncludingSpop() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-sets");
    Set<String> remaining;
    String intsetMembers;
    String rebuilt;
    try (TestNode n = TestNode.start(dir, Map.of());
        RawClient c = new RawClient(n.port())) {
      // More writes than a slot takes between snapshots, so recovery uses a snapshot and events.
      for (int i = 0; i < 1100; i++) {
        assertEquals(":1", c.call("SADD", "s", "m" + i));
      }
      assertEquals(":1", c.call("SREM", "s", "m0"));
      List<String> popped = items(c.call("SPOP", "s", "100"));
      assertEquals(100, popped.size());
      String one = unquote(c.call("SPOP", "s"));
      assertFalse(popped.contains(one));
      remaining = new TreeSet<>(items(c.call("SMEMBERS", "s")));
      assertEquals(998, remaining.size());
      assertEquals(":3", c.call("SADD", "{s}i", "30", "-2", "10"));
      assertEquals(":1", c.call("SADD", "{s}conv", "x"));
      assertEquals(":1", c.call("SADD", "{s}conv", "5"));
      assertEquals(":1", c.call("SREM", "{s}conv", "x"));
      intsetMembers = c.call("SMEMBERS", "{s}i");
      // An SPOP that rebuilds the set (few members left) persists the members it kept.
      assertEquals(":12", c.call("SADD", "{s}rebuilt", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "x"));
      assertEquals(":1", c.call("SREM", "{s}rebuilt", "x"));
      assertEquals(10, items(c.call("SPOP", "{s}rebuilt", "10")).size());
      rebuilt = c.call("SMEMBERS", "{s}rebuilt");
      assertEquals("\"intset\"", c.call("OBJECT", "ENCODING", "{s}rebuilt"));
      assertEquals(":4", c.call("SUNIONSTORE", "{x}stored", "{s}i", "{s}conv"));
      assertEquals(":1", c.call("SMOVE", "{s}i", "{y}moved", "10"));
    }
    try (TestNode n = TestNode.start(dir, Map.of());
        RawClient c = new RawClient(n.port())) {
      assertEquals("+set", c.call("TYPE", "s"));
      assertEquals(":998", c.call("SCARD", "s"));
      assertEquals(remaining, new TreeSet<>(items(c.call("SMEMBERS", "s"))));
      assertEquals("\"hashtable\"", c.call("OBJECT", "ENCODING", "s"));
      assertEquals("[\"-2\", \"30\"]", c.call("SMEMBERS", "{s}i"));
      assertEquals("[\"-2\", \"10\", \"30\"]", intsetMembers);
      assertEquals("\"intset\"", c.call("OBJECT", "ENCODING", "{s}i"));
      assertEquals("\"hashtable\"", c.call("OBJECT", "ENCODING", "{s}conv"));
      assertEquals("[\"5\"]", c.call("SMEMBERS", "{s}conv"));
      assertEquals("[\"-2\", \"5\", \"10\", \"30\"]", c.call("SMEMBERS", "{x}stored"));
      assertEquals("\"intset\"", c.call("OBJECT", "ENCODING", "{x}stored"));
      assertEquals("[\"10\"]", c.call("SMEMBERS", "{y}moved"));
      assertEquals(rebuilt, c.call("SMEMBERS", "{s}rebuilt"));
      assertEquals("\"intset\"", c.call("OBJECT", "ENCODING", "{s}rebuilt"));
    }
  }

  private static String unquote(String s) {
    assertTrue(s.startsWith("\"") && s.endsWith("\""), s);
    return s.substring(1, s.length() - 1);
  }

  /** The bulk strings of a flat array (or RESP3 set) reply. */
  private static List<String> items(String reply) {
    String body = reply.startsWith("~") ? reply.substring(1) : reply;
    assertTrue(body.startsWith("[") && body.endsWith("]"), reply);
    if (body.equals("[]")) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String s : body.substring(1, body.length() - 1).split(", ")) {
      out.add(unquote(s));
    }
    return out;
  }
}
