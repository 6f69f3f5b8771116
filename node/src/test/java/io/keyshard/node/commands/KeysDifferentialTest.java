package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.Differential;
import io.keyshard.node.testing.DifferentialTestBase;
import io.keyshard.node.testing.RawClient;
import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Generic key commands against a real redis-server: exact replies and error texts. DEL, UNLINK,
 * EXISTS and TOUCH also run over keys in different slots (Keyshard splits them per slot and adds
 * the counts). SCAN and RANDOMKEY, whose replies Redis leaves unspecified, are checked by their
 * guarantees instead: a full SCAN returns every key, RANDOMKEY an existing one.
 */
@Timeout(60)
class KeysDifferentialTest extends DifferentialTestBase {

  static UnaryOperator<String> ttl(long seconds) {
    return near(seconds, 1);
  }

  static UnaryOperator<String> pttl(long seconds) {
    return near(seconds * 1000, 1000);
  }

  @Test
  void delUnlinkExistsTouchTypeInOneSlot() throws Exception {
    d.check("MSET", "{t}a", "1", "{t}b", "2", "{t}c", "3");
    assertEquals(":3", d.check("EXISTS", "{t}a", "{t}b", "{t}c"));
    d.check("EXISTS", "{t}a", "{t}a", "{t}missing");
    d.check("TOUCH", "{t}a", "{t}a", "{t}missing");
    d.check("TYPE", "{t}a");
    d.check("TYPE", "{t}missing");
    d.check("DEL", "{t}a", "{t}a", "{t}missing");
    d.check("EXISTS", "{t}a");
    d.check("UNLINK", "{t}b", "{t}c", "{t}b");
    d.check("DEL", "{t}b");
    d.check("DBSIZE");
    d.check("DEL");
    d.check("UNLINK");
    d.check("EXISTS");
    d.check("TOUCH");
    d.check("TYPE");
    d.check("TYPE", "a", "b");
  }

  @Test
  void delUnlinkExistsTouchAcrossSlots() throws Exception {
    d.check("MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5");
    assertEquals(":6", d.check("EXISTS", "a", "b", "c", "d", "e", "a", "missing"));
    d.check("TOUCH", "a", "b", "c", "missing", "c");
    d.check("EXISTS", "x", "y", "z");
    d.check("DEL", "a", "b", "a", "missing", "nope");
    d.check("EXISTS", "a", "b", "c");
    d.check("UNLINK", "c", "d", "missing", "d");
    d.check("DEL", "x", "y", "z");
    d.check("UNLINK", "x", "y");
    d.check("TOUCH", "x", "y");
    d.check("DBSIZE");
    d.check(Differential::sorted, "KEYS", "*");
  }

  @Test
  void expireFamily() throws Exception {
    d.check("SET", "k", "v");
    d.check("TTL", "k");
    d.check("PTTL", "k");
    d.check("EXPIRETIME", "k");
    d.check("PEXPIRETIME", "k");
    d.check("TTL", "missing");
    d.check("PTTL", "missing");
    d.check("EXPIRETIME", "missing");
    d.check("PEXPIRETIME", "missing");
    assertEquals(":1", d.check("EXPIRE", "k", "100"));
    d.check(ttl(100), "TTL", "k");
    d.check(pttl(100), "PTTL", "k");
    d.check(near(System.currentTimeMillis() / 1000 + 100, 2), "EXPIRETIME", "k");
    d.check("PEXPIRE", "k", "200000");
    d.check(ttl(200), "TTL", "k");
    long at = System.currentTimeMillis() / 1000 + 300;
    d.check("EXPIREAT", "k", Long.toString(at));
    d.check("EXPIRETIME", "k");
    d.check("PEXPIRETIME", "k");
    d.check("PEXPIREAT", "k", Long.toString(at * 1000 + 999));
    d.check("PEXPIRETIME", "k");
    d.check("EXPIRETIME", "k");
    d.check("EXPIRE", "missing", "100");
    d.check("PEXPIRE", "missing", "100");
    d.check("EXPIREAT", "missing", "100");
    d.check("PEXPIREAT", "missing", "100");
    d.check("PERSIST", "k");
    d.check("TTL", "k");
    d.check("PERSIST", "k");
    d.check("PERSIST", "missing");
    // Times in the past delete the key.
    d.check("SET", "k", "v");
    d.check("EXPIRE", "k", "0");
    d.check("EXISTS", "k");
    d.check("SET", "k", "v");
    d.check("EXPIRE", "k", "-1");
    d.check("GET", "k");
    d.check("SET", "k", "v");
    d.check("PEXPIRE", "k", "-9223372036854775808");
    d.check("EXISTS", "k");
    d.check("SET", "k", "v");
    d.check("EXPIREAT", "k", "1");
    d.check("EXISTS", "k");
    d.check("SET", "k", "v");
    d.check("PEXPIREAT", "k", "0");
    d.check("EXISTS", "k");
    // Overflow, non-integers and huge negatives (which delete the key when they do not
    // overflow). Huge positive times that are valid are in expiryCenturiesAhead.
    d.check("SET", "k", "v");
    for (String cmd : new String[] {"EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"}) {
      for (String t : new String[] {"abc", "1.5", "", " 1", "+1", "9223372036854775808",
          "-9223372036854775808", "-9223372036854775807", "-9223372036854776"}) {
        d.check(cmd, "k", t);
        d.check("EXISTS", "k");
        d.check("SET", "k", "v");
      }
    }
    d.check("EXPIRE", "k", "9223372036854775807");
    d.check("EXPIRE", "k", "9223372036854775");
    d.check("PEXPIRE", "k", "9223372036854775807");
    d.check("EXPIREAT", "k", "9223372036854775807");
    d.check("EXPIREAT", "k", "9223372036854776");
    d.check("TTL", "k");
    d.check("EXPIRE", "k");
    d.check("TTL");
    d.check("TTL", "k", "x");
    d.check("PERSIST", "k", "x");
  }

  /**
   * Valid expiry times centuries ahead (up to PEXPIREAT's LLONG_MAX) are kept and reported like
   * any other, and the slot holding such a key keeps answering, also after a restart. Runs on a
   * node of its own: a slot that fails here would hold up the other tests.
   */
  @Test
  void expiryCenturiesAhead() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-far-expiry");
    Map<String, Object> settings = Map.of("keyshard.request-timeout", "2s");
    try (TestNode far = TestNode.start(dir, settings);
        Differential f = new Differential(far.port(), redis.port())) {
      long nowSec = System.currentTimeMillis() / 1000;
      f.check("SET", "{f}a", "v", "EX", "10000000000");
      f.check(near(10_000_000_000L, 1), "TTL", "{f}a");
      // Fail fast: if the slot died, every further command would wait for the request timeout.
      f.assertNoMismatches();
      f.check("SET", "{f}b", "v", "PXAT", "9000000000000000000");
      f.check("PEXPIRETIME", "{f}b");
      f.check("SET", "{f}c", "v");
      f.check("PEXPIREAT", "{f}c", "9223372036854775807");
      f.check("PEXPIRETIME", "{f}c");
      f.check("EXPIRETIME", "{f}c");
      f.check("SET", "{f}d", "v");
      f.check("EXPIREAT", "{f}d", "9223372036854775");
      f.check("EXPIRETIME", "{f}d");
      f.check("SET", "{f}e", "v");
      f.check("PEXPIRE", "{f}e", "9223372036854775");
      f.check(near(9223372036854775L / 1000, 1), "TTL", "{f}e");
      f.check("SET", "{f}g", "v");
      f.check("EXPIRE", "{f}g", Long.toString(9223372036854775L - nowSec - 1000));
      f.check("GETEX", "{f}g", "EX", "99999999999");
      f.check("MGET", "{f}a", "{f}b", "{f}c", "{f}d", "{f}e", "{f}g");
      f.check("SET", "{f}z", "alive");
      f.check("GET", "{f}z");
      f.assertNoMismatches();
    }
    try (TestNode again = TestNode.start(dir, settings);
        RawClient c = new RawClient(again.port())) {
      assertEquals("[\"v\", \"v\", \"v\", \"v\", \"v\", \"alive\"]",
          c.call("MGET", "{f}a", "{f}b", "{f}c", "{f}d", "{f}e", "{f}z"),
          "keys with far expiries after a restart");
      assertEquals(":9223372036854775807", c.call("PEXPIRETIME", "{f}c"));
    }
  }

  /** A key whose time has passed, removed or not yet, is absent to every command. */
  @Test
  void expiredKeysAreAbsentEverywhere() throws Exception {
    String[] keys = {"{x}a", "{x}b", "c", "d"};
    for (String k : keys) {
      d.check("SET", k, "5", "PXAT", "1");
    }
    d.check("SET", "{x}live", "v");
    d.check("GET", "{x}a");
    d.check("MGET", "{x}a", "{x}b", "c", "d", "{x}live");
    d.check("EXISTS", "{x}a", "c", "{x}live");
    d.check("TTL", "{x}a");
    d.check("PTTL", "c");
    d.check("EXPIRETIME", "d");
    d.check("TYPE", "{x}b");
    d.check("OBJECT", "ENCODING", "{x}a");
    d.check("STRLEN", "c");
    d.check("GETRANGE", "c", "0", "-1");
    d.check("LCS", "{x}a", "{x}live");
    d.check("EXPIRE", "{x}a", "100");
    d.check("PERSIST", "{x}b");
    d.check("RENAME", "{x}a", "{x}z");
    d.check("RENAMENX", "{x}b", "{x}z");
    d.check("COPY", "{x}a", "{x}z");
    d.check("MOVE", "c", "1");
    d.check("GETDEL", "{x}a");
    d.check("GETEX", "{x}a", "EX", "100");
    d.check("TOUCH", "{x}a", "c");
    d.check("DEL", "{x}b", "c", "{x}live");
    d.check(Differential::sorted, "KEYS", "*");
    for (String k : keys) {
      d.check("SET", k, "5", "PXAT", "1");
    }
    d.check("INCR", "{x}a");
    d.check("TTL", "{x}a");
    d.check("INCRBYFLOAT", "{x}b", "1.5");
    d.check("APPEND", "c", "x");
    d.check("SETRANGE", "d", "2", "x");
    d.check("GET", "d");
    for (String k : keys) {
      d.check("SET", k, "5", "PXAT", "1");
    }
    d.check("SET", "{x}a", "v", "KEEPTTL");
    d.check("TTL", "{x}a");
    d.check("SET", "{x}b", "v", "NX");
    d.check("SET", "c", "v", "XX");
    d.check("SET", "d", "v", "GET");
    d.check("SETNX", "d", "w");
    d.check("GETSET", "{x}b", "w");
    d.check("MSETNX", "{x}a", "1", "{x}b", "2");
    d.check("MSETNX", "c", "1", "{x}z", "2");
    d.check(Differential::sorted, "KEYS", "*");
  }

  @Test
  void expireOptions() throws Exception {
    d.check("SET", "k", "v");
    d.check("EXPIRE", "k", "100", "XX");
    d.check("EXPIRE", "k", "100", "GT");
    d.check("TTL", "k");
    d.check("EXPIRE", "k", "100", "NX");
    d.check(ttl(100), "TTL", "k");
    d.check("EXPIRE", "k", "200", "NX");
    d.check("EXPIRE", "k", "200", "XX");
    d.check(ttl(200), "TTL", "k");
    d.check("EXPIRE", "k", "150", "GT");
    d.check("EXPIRE", "k", "300", "GT");
    d.check(ttl(300), "TTL", "k");
    d.check("EXPIRE", "k", "400", "LT");
    d.check("EXPIRE", "k", "50", "LT");
    d.check(ttl(50), "TTL", "k");
    d.check("EXPIRE", "k", "60", "XX", "GT");
    d.check("EXPIRE", "k", "10", "XX", "GT");
    d.check(ttl(60), "TTL", "k");
    d.check("PEXPIRE", "k", "30000", "lt", "xx");
    d.check(pttl(30), "PTTL", "k");
    d.check("PERSIST", "k");
    d.check("EXPIRE", "k", "100", "LT");
    d.check(ttl(100), "TTL", "k");
    d.check("PERSIST", "k");
    d.check("EXPIREAT", "k", Long.toString(System.currentTimeMillis() / 1000 + 500), "NX");
    d.check("PEXPIREAT", "k", "1", "GT");
    d.check("EXISTS", "k");
    d.check("PEXPIREAT", "k", "1", "LT");
    d.check("EXISTS", "k");
    d.check("EXPIRE", "missing", "100", "NX");
    d.check("SET", "k", "v");
    d.check("EXPIRE", "k", "100", "NX", "XX");
    d.check("EXPIRE", "k", "100", "XX", "NX");
    d.check("EXPIRE", "k", "100", "NX", "GT");
    d.check("EXPIRE", "k", "100", "LT", "NX");
    d.check("EXPIRE", "k", "100", "GT", "LT");
    d.check("EXPIRE", "k", "100", "GT", "LT", "NX");
    d.check("EXPIRE", "k", "100", "FOO");
    d.check("EXPIRE", "k", "100", "NX", "foo");
    d.check("EXPIRE", "k", "100", "NX", "NX");
    d.check("TTL", "k");
    d.check("EXPIRE", "k", "abc", "FOO");
    d.check("EXPIRE", "missing", "abc", "NX");
    d.check("EXPIRE", "missing", "100", "FOO");
    d.check("EXPIRE", "missing", "9223372036854775807", "NX");
  }

  @Test
  void renameAndRenamenx() throws Exception {
    d.check("SET", "{t}a", "1");
    d.check("RENAME", "{t}a", "{t}b");
    d.check("MGET", "{t}a", "{t}b");
    d.check("RENAME", "{t}a", "{t}b");
    d.check("RENAME", "{t}a", "{t}a");
    d.check("RENAME", "{t}b", "{t}b");
    d.check("GET", "{t}b");
    d.check("SET", "{t}c", "3", "EX", "100");
    d.check("RENAME", "{t}c", "{t}b");
    d.check(ttl(100), "TTL", "{t}b");
    d.check("GET", "{t}b");
    d.check("SET", "{t}d", "4");
    d.check("RENAME", "{t}d", "{t}b");
    d.check("TTL", "{t}b");
    d.check("RENAMENX", "{t}b", "{t}e");
    d.check("SET", "{t}f", "6");
    d.check("RENAMENX", "{t}f", "{t}e");
    d.check("MGET", "{t}e", "{t}f");
    d.check("RENAMENX", "{t}e", "{t}e");
    d.check("RENAMENX", "{t}missing", "{t}x");
    d.check("RENAMENX", "{t}missing", "{t}missing");
    d.check("RENAME", "{t}a");
    d.check("RENAMENX", "{t}a", "{t}b", "{t}c");
    d.check(Differential::sorted, "KEYS", "*");
  }

  /** RENAME, RENAMENX, COPY and MSETNX over keys in different slots answer as in one slot. */
  @Test
  void renameCopyMsetnxAcrossSlots() throws Exception {
    d.check("SET", "a", "1", "EX", "100");
    d.check("RENAME", "a", "b");
    d.check("MGET", "a", "b");
    d.check(ttl(100), "TTL", "b");
    d.check("RENAME", "a", "c");
    d.check("SET", "c", "3");
    d.check("RENAMENX", "b", "c");
    d.check("RENAMENX", "b", "d");
    d.check("MGET", "b", "c", "d");
    d.check(ttl(100), "TTL", "d");
    d.check("RENAME", "c", "d");
    d.check("GET", "d");
    d.check("TTL", "d");
    d.check("COPY", "d", "e");
    d.check("COPY", "d", "e");
    d.check("SET", "d", "4", "PX", "100000");
    d.check("COPY", "d", "e", "REPLACE");
    d.check("GET", "e");
    d.check(pttl(100), "PTTL", "e");
    d.check("COPY", "missing", "e");
    d.check("COPY", "d", "f", "DB", "3");
    d.check("COPY", "d", "f", "DB", "16");
    d.check("COPY", "d", "f", "FOO");
    d.check("MSETNX", "g", "1", "h", "2", "i", "3");
    d.check("MSETNX", "i", "x", "j", "y");
    d.check("MGET", "g", "h", "i", "j");
    d.check("MSETNX", "k", "1", "l");
    d.check("SELECT", "3");
    d.check("GET", "f");
    d.check("SELECT", "0");
    d.check(Differential::sorted, "KEYS", "*");
  }

  @Test
  void copyAndMove() throws Exception {
    d.check("SET", "{t}a", "1", "EX", "100");
    d.check("COPY", "{t}a", "{t}b");
    d.check("GET", "{t}b");
    d.check(ttl(100), "TTL", "{t}b");
    d.check("SET", "{t}a", "2");
    d.check("COPY", "{t}a", "{t}b");
    d.check("GET", "{t}b");
    d.check("COPY", "{t}a", "{t}b", "REPLACE");
    d.check("GET", "{t}b");
    d.check("TTL", "{t}b");
    d.check("COPY", "{t}a", "{t}a");
    d.check("COPY", "{t}a", "{t}a", "REPLACE");
    d.check("COPY", "{t}missing", "{t}a");
    d.check("COPY", "{t}missing", "{t}missing");
    d.check("COPY", "{t}a", "{t}a", "DB", "1");
    d.check("COPY", "{t}a", "{t}c", "DB", "2", "REPLACE");
    d.check("COPY", "{t}a", "{t}c", "DB", "2");
    d.check("COPY", "{t}a", "{t}a", "DB", "0");
    d.check("COPY", "{t}a", "{t}c", "DB", "16");
    d.check("COPY", "{t}a", "{t}c", "DB", "-1");
    d.check("COPY", "{t}a", "{t}c", "DB", "abc");
    d.check("COPY", "{t}a", "{t}c", "DB", "9999999999");
    d.check("COPY", "{t}a", "{t}c", "DB");
    d.check("COPY", "{t}a", "{t}c", "FOO");
    d.check("COPY", "{t}a", "{t}c", "REPLACE", "REPLACE");
    d.check("COPY", "{t}a", "{t}c", "DB", "abc", "FOO");
    d.check("COPY", "{t}a", "{t}c", "FOO", "DB", "abc");
    d.check("COPY", "{t}a");
    d.check("SELECT", "1");
    d.check("GET", "{t}a");
    d.check("SELECT", "2");
    d.check("GET", "{t}c");
    d.check("SELECT", "0");
    // MOVE
    d.check("SET", "m", "v", "EX", "100");
    d.check("MOVE", "m", "3");
    d.check("EXISTS", "m");
    d.check("SET", "m", "other");
    d.check("MOVE", "m", "3");
    d.check("MOVE", "missing", "3");
    d.check("MOVE", "m", "0");
    d.check("MOVE", "missing", "0");
    d.check("MOVE", "m", "16");
    d.check("MOVE", "m", "-1");
    d.check("MOVE", "m", "abc");
    d.check("MOVE", "m", "9999999999");
    d.check("MOVE", "m");
    d.check("SELECT", "3");
    d.check("GET", "m");
    d.check(ttl(100), "TTL", "m");
    d.check("DBSIZE");
    d.check("MOVE", "m", "0");
    d.check("SELECT", "0");
    d.check("GET", "m");
  }

  @Test
  void keysPatterns() throws Exception {
    d.check("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5",
        "h*llo", "6", "h[llo", "7", "user:1", "8", "user:2", "9", "user:10", "10", "Hello", "11",
        "h\\llo", "12", "", "13");
    d.check(Differential::sorted, "KEYS", "*");
    d.check(Differential::sorted, "KEYS", "h?llo");
    d.check(Differential::sorted, "KEYS", "h*llo");
    d.check(Differential::sorted, "KEYS", "h[ae]llo");
    d.check(Differential::sorted, "KEYS", "h[^e]llo");
    d.check(Differential::sorted, "KEYS", "h[a-b]llo");
    d.check(Differential::sorted, "KEYS", "h[b-a]llo");
    d.check(Differential::sorted, "KEYS", "h\\*llo");
    d.check(Differential::sorted, "KEYS", "h\\[llo");
    d.check(Differential::sorted, "KEYS", "h[llo");
    d.check(Differential::sorted, "KEYS", "h\\\\llo");
    d.check(Differential::sorted, "KEYS", "user:*");
    d.check(Differential::sorted, "KEYS", "user:?");
    d.check(Differential::sorted, "KEYS", "*:1*");
    d.check(Differential::sorted, "KEYS", "nomatch*");
    d.check(Differential::sorted, "KEYS", "");
    d.check(Differential::sorted, "KEYS", "hello");
    d.check(Differential::sorted, "KEYS", "[hH]ello");
    for (String p : new String[] {"h\\", "*\\", "[", "[]", "[a-", "h[a-", "h[^", "\\",
        "h[\\]]llo", "h[]llo", "h[!e]llo", "h[a-z-]llo", "**", "*?*", "h*[", "user:[0-9]",
        "user:[1-1]*", "user:[!2]", "h[llo*", "[h"}) {
      d.check(Differential::sorted, "KEYS", p);
    }
    d.check("KEYS");
    d.check("KEYS", "a", "b");
    d.check("SELECT", "5");
    d.check(Differential::sorted, "KEYS", "*");
    d.check("SET", "only5", "v");
    d.check(Differential::sorted, "KEYS", "*");
    d.check("SELECT", "0");
    d.check("SET", "gone", "v", "PX", "1");
    Thread.sleep(20);
    // An expired key that nothing removed yet is not listed.
    d.check(Differential::sorted, "KEYS", "g*");
  }

  @Test
  void scanReturnsEveryKey() throws Exception {
    Set<String> all = new TreeSet<>();
    List<String> mset = new ArrayList<>(List.of("MSET"));
    for (int i = 0; i < 300; i++) {
      String key = (i % 3 == 0 ? "user:" : "item:") + i;
      all.add(key);
      mset.add(key);
      mset.add("v" + i);
    }
    d.both(mset.toArray(new String[0]));
    Set<String> users = new TreeSet<>();
    for (String k : all) {
      if (k.startsWith("user:")) {
        users.add(k);
      }
    }
    for (RawClient c : List.of(d.keyshard(), d.redis())) {
      String who = c == d.keyshard() ? "keyshard" : "redis";
      assertEquals(all, scanAll(c, "COUNT", "1"), who + " SCAN COUNT 1");
      assertEquals(all, scanAll(c), who + " SCAN");
      assertEquals(all, scanAll(c, "COUNT", "1000"), who + " SCAN COUNT 1000");
      assertEquals(users, scanAll(c, "MATCH", "user:*"), who + " SCAN MATCH");
      assertEquals(users, scanAll(c, "MATCH", "user:*", "COUNT", "7"), who + " SCAN MATCH COUNT");
      assertEquals(users, scanAll(c, "COUNT", "5", "MATCH", "user:*", "TYPE", "string"),
          who + " SCAN MATCH TYPE");
      assertEquals(all, scanAll(c, "TYPE", "STRING"), who + " SCAN TYPE STRING");
      assertEquals(Set.of(), scanAll(c, "TYPE", "list"), who + " SCAN TYPE list");
      assertEquals(Set.of(), scanAll(c, "MATCH", "nothing*"), who + " SCAN MATCH nothing");
      c.call("SELECT", "9");
      assertEquals(Set.of(), scanAll(c), who + " SCAN of an empty database");
      c.call("SELECT", "0");
    }
    d.check("SCAN", "abc");
    // Redis reads -1 as the largest unsigned cursor; what one SCAN call at an arbitrary cursor
    // returns is unspecified (it depends on the hash table), so compare only that it is accepted.
    d.check(r -> r.startsWith("-") ? r : "accepted", "SCAN", "-1");
    d.check("SCAN", "1.5");
    d.check("SCAN", "0", "COUNT", "0");
    d.check("SCAN", "0", "COUNT", "-1");
    d.check("SCAN", "0", "COUNT", "abc");
    d.check("SCAN", "0", "COUNT");
    d.check("SCAN", "0", "MATCH");
    d.check("SCAN", "0", "TYPE");
    d.check("SCAN", "0", "FOO", "bar");
    d.check("SCAN");
    d.check("SELECT", "9");
    d.check("SCAN", "0");
    d.check("SCAN", "0", "MATCH", "*", "COUNT", "100", "TYPE", "string");
    // Redis reads the cursor as an unsigned 64-bit number: the largest is still a cursor.
    String unsigned = d.keyshard().call("SCAN", "18446744073709551615");
    assertFalse(unsigned.startsWith("-"), "SCAN 18446744073709551615 answered " + unsigned);
  }

  /** The union of a full SCAN iteration's keys; fails if it does not end within 1,000 calls. */
  static Set<String> scanAll(RawClient c, String... options) throws Exception {
    Set<String> keys = new TreeSet<>();
    String cursor = "0";
    for (int calls = 0; calls < 1000; calls++) {
      List<String> argv = new ArrayList<>(List.of("SCAN", cursor));
      argv.addAll(List.of(options));
      String reply = c.call(argv.toArray(new String[0]));
      // [\"cursor\", [\"k1\", \"k2\"]]
      assertTrue(reply.startsWith("[\""), "SCAN answered " + reply);
      int end = reply.indexOf('"', 2);
      cursor = reply.substring(2, end);
      String list = reply.substring(end + 3, reply.length() - 1);
      if (!list.equals("[]")) {
        for (String k : list.substring(1, list.length() - 1).split(", ")) {
          keys.add(k.substring(1, k.length() - 1));
        }
      }
      if (cursor.equals("0")) {
        return keys;
      }
    }
    throw new AssertionError("SCAN did not finish in 1000 calls");
  }

  @Test
  void randomkey() throws Exception {
    d.check("RANDOMKEY");
    d.check("RANDOMKEY", "x");
    d.check("MSET", "a", "1", "b", "2", "c", "3", "{t}d", "4");
    Set<String> seen = new TreeSet<>();
    for (int i = 0; i < 40; i++) {
      String key = d.keyshard().call("RANDOMKEY");
      assertTrue(key.startsWith("\""), "RANDOMKEY answered " + key);
      String name = key.substring(1, key.length() - 1);
      assertEquals(":1", d.keyshard().call("EXISTS", name), "RANDOMKEY answered " + key);
      seen.add(name);
    }
    assertTrue(seen.size() > 1, "40 RANDOMKEY calls all answered " + seen);
    d.both("SELECT", "4");
    d.check("RANDOMKEY");
    d.both("SELECT", "0");
    d.both("SET", "exp", "v", "PX", "1");
    d.both("DEL", "a", "b", "c", "{t}d");
    Thread.sleep(20);
    // Only an expired key left: Redis answers nil rather than a dead key.
    String last = d.keyshard().call("RANDOMKEY");
    assertEquals("(nil)", last, "RANDOMKEY with only an expired key");
  }

  @Test
  void object() throws Exception {
    d.check("MSET", "int", "123", "big", "99999", "neg", "-5", "str", "abc", "long",
        "x".repeat(45), "huge", "12345678901234567890", "max", "9223372036854775807", "zero",
        "0", "lead", "0123", "float", "1.5", "space", " 1", "empty", "");
    for (String k : new String[] {"int", "big", "neg", "str", "long", "huge", "max", "zero",
        "lead", "float", "space", "empty", "missing"}) {
      d.check("OBJECT", "ENCODING", k);
      d.check("OBJECT", "REFCOUNT", k);
    }
    // Redis counts idle time on a clock of whole seconds: just set may already read 1.
    d.check(r -> r.equals(":0") || r.equals(":1") ? ":0..1" : r, "OBJECT", "IDLETIME", "str");
    d.check("OBJECT", "IDLETIME", "missing");
    d.check("OBJECT", "FREQ", "str");
    d.check("OBJECT", "FREQ", "missing");
    d.check("OBJECT", "HELP");
    d.check("object", "help");
    d.check("OBJECT", "HELP", "x");
    d.check("OBJECT", "FOO", "str");
    d.check("OBJECT", "FOO");
    d.check("OBJECT");
    d.check("OBJECT", "ENCODING");
    d.check("OBJECT", "ENCODING", "a", "b");
    d.check("OBJECT", "encoding", "str");
    d.check("APPEND", "str", "d");
    d.check("OBJECT", "ENCODING", "str");
    d.check("SETRANGE", "int", "0", "9");
    d.check("OBJECT", "ENCODING", "int");
    d.check("INCR", "big");
    d.check("OBJECT", "ENCODING", "big");
    d.check("OBJECT", "REFCOUNT", "big");
    // A copy keeps the encoding; an INCRBYFLOAT result is a string even when it looks whole.
    d.check("MSET", "{o}int", "7", "{o}raw", "ab", "{o}emb", "abc");
    d.check("APPEND", "{o}raw", "c");
    d.check("COPY", "{o}int", "{o}int2");
    d.check("COPY", "{o}raw", "{o}raw2");
    d.check("COPY", "{o}emb", "{o}emb2");
    d.check("RENAME", "{o}raw", "{o}raw3");
    for (String k : new String[] {"{o}int2", "{o}raw2", "{o}emb2", "{o}raw3"}) {
      d.check("OBJECT", "ENCODING", k);
      d.check("OBJECT", "REFCOUNT", k);
    }
    d.check("INCRBYFLOAT", "neg", "1");
    d.check("OBJECT", "ENCODING", "neg");
    d.check("OBJECT", "REFCOUNT", "neg");
    d.check("INCRBYFLOAT", "fl", "5");
    d.check("OBJECT", "ENCODING", "fl");
    d.check("OBJECT", "REFCOUNT", "fl");
  }

  @Test
  void objectIdletimeGrows() throws Exception {
    d.both("SET", "k", "v");
    d.both("SET", "t", "v");
    Thread.sleep(2100);
    d.check(r -> r.equals(":2") || r.equals(":3") ? ":2..3" : r, "OBJECT", "IDLETIME", "k");
    // Introspection does not count as an access; GET and TOUCH do.
    d.check(r -> r.equals(":2") || r.equals(":3") ? ":2..3" : r, "OBJECT", "IDLETIME", "k");
    d.check("TTL", "k");
    d.check("TYPE", "k");
    d.check("EXISTS", "k");
    d.check(r -> r.equals(":2") || r.equals(":3") ? ":2..3" : r, "OBJECT", "IDLETIME", "k");
    d.check("GET", "k");
    d.check(r -> r.equals(":0") || r.equals(":1") ? ":0..1" : r, "OBJECT", "IDLETIME", "k");
    d.check("TOUCH", "t");
    d.check(r -> r.equals(":0") || r.equals(":1") ? ":0..1" : r, "OBJECT", "IDLETIME", "t");
  }
}
