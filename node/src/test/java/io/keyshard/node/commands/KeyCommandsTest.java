package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.persistence.SlotEvent;
import io.keyshard.protocol.Reply;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Key commands run directly against a slot's state. Expected replies were taken from
 * redis-server 7.0.15; every test ends by replaying its journal into a fresh state.
 */
class KeyCommandsTest {
  private static final String NOT_INT = "-ERR value is not an integer or out of range";
  private static final String SYNTAX = "-ERR syntax error";
  private static final String SAME = "-ERR source and destination objects are the same";
  private static final String DB_RANGE = "-ERR DB index is out of range";
  private static final String INT_RANGE =
      "-ERR value is out of range, value must between -2147483648 and 2147483647";

  private final SlotHarness h = new SlotHarness();

  @AfterEach
  void replayGivesTheSameState() {
    h.assertReplayMatches();
  }

  private String r(String... args) {
    return h.r(args);
  }

  private long expireAt(int db, String key) {
    return h.raw(db, key).expireAt;
  }

  private SlotEvent lastEvent() {
    return h.journal.get(h.journal.size() - 1);
  }

  // ---------------------------------------------------------------- DEL, EXISTS, TYPE, TOUCH

  @Test
  void delCountsEachLiveKeyOnce() {
    r("mset", "a", "1", "b", "2");
    r("set", "gone", "x", "px", "10");
    h.now += 10;
    assertEquals(":2", r("del", "a", "a", "b", "gone", "missing"));
    assertNull(h.raw(0, "a"));
    assertNull(h.raw(0, "gone"));
    assertEquals(":0", r("unlink", "missing"));
    r("set", "c", "3");
    assertEquals(":1", r("unlink", "c"));
    int before = h.journal.size();
    assertEquals(":0", r("del", "nothing", "here"));
    assertEquals(before, h.journal.size());
  }

  @Test
  void existsCountsDuplicates() {
    r("set", "p", "v");
    assertEquals(":3", r("exists", "p", "p", "missing", "p"));
    assertEquals(":0", r("exists", "missing"));
    r("pexpire", "p", "5");
    h.now += 5;
    assertEquals(":0", r("exists", "p"));
  }

  @Test
  void type() {
    r("set", "p", "v");
    assertEquals("+string", r("type", "p"));
    assertEquals("+none", r("type", "missing"));
  }

  @Test
  void touchCountsAndRefreshesIdleTime() {
    r("set", "p", "v");
    h.now += 30_000;
    assertEquals(":30", r("object", "idletime", "p"));
    assertEquals(":30", r("object", "idletime", "p"));
    assertEquals(":1", r("exists", "p"));
    assertEquals("+string", r("type", "p"));
    assertEquals(":30", r("object", "idletime", "p"));
    assertEquals(":2", r("touch", "p", "p", "missing"));
    assertEquals(":0", r("object", "idletime", "p"));
  }

  // ---------------------------------------------------------------- EXPIRE family

  @Test
  void expireOptionErrors() {
    r("set", "k", "v");
    String nxErr = "-ERR NX and XX, GT or LT options at the same time are not compatible";
    assertEquals(nxErr, r("expire", "k", "10", "nx", "xx"));
    assertEquals(nxErr, r("expire", "k", "10", "nx", "gt"));
    assertEquals(nxErr, r("expire", "k", "10", "lt", "nx"));
    assertEquals(nxErr, r("expire", "missing", "10", "nx", "xx"));
    assertEquals(nxErr, r("expire", "k", "abc", "nx", "xx"));
    assertEquals(
        "-ERR GT and LT options at the same time are not compatible",
        r("expire", "k", "10", "gt", "lt"));
    assertEquals("-ERR Unsupported option foo", r("expire", "k", "10", "foo"));
    assertEquals("-ERR Unsupported option foo", r("expire", "k", "abc", "foo"));
    assertEquals(NOT_INT, r("expire", "k", "abc"));
    assertEquals(NOT_INT, r("pexpire", "k", "1.5"));
    assertEquals(0, expireAt(0, "k"));
  }

  @Test
  void expireOverflowNamesTheCommand() {
    r("set", "k", "v");
    assertEquals(
        "-ERR invalid expire time in 'expire' command", r("expire", "k", "9223372036854776"));
    assertEquals(
        "-ERR invalid expire time in 'expire' command", r("expire", "k", "-9223372036854776"));
    // Fits in milliseconds but not once the current time is added.
    assertEquals(
        "-ERR invalid expire time in 'expire' command", r("expire", "k", "9223372036854775"));
    assertEquals(
        "-ERR invalid expire time in 'pexpire' command",
        r("pexpire", "k", "9223372036854775807"));
    assertEquals(
        "-ERR invalid expire time in 'expireat' command",
        r("expireat", "k", "9223372036854776"));
    // Absolute times have no base to overflow with.
    assertEquals(":1", r("pexpireat", "k", "9223372036854775807"));
    assertEquals(Long.MAX_VALUE, expireAt(0, "k"));
    assertEquals(":1", r("expireat", "k", "9223372036854775"));
    assertEquals(9_223_372_036_854_775_000L, expireAt(0, "k"));
  }

  @Test
  void expireSetsAbsoluteMilliseconds() {
    r("set", "k", "v");
    assertEquals(":1", r("expire", "k", "10"));
    assertEquals(h.now + 10_000, expireAt(0, "k"));
    assertEquals(":1", r("pexpire", "k", "1500"));
    assertEquals(h.now + 1_500, expireAt(0, "k"));
    assertEquals(":1", r("expireat", "k", "2000000000"));
    assertEquals(2_000_000_000_000L, expireAt(0, "k"));
    assertEquals(":1", r("pexpireat", "k", "2000000000001"));
    SlotEvent.ExpirySet e = assertInstanceOf(SlotEvent.ExpirySet.class, lastEvent());
    assertEquals(2_000_000_000_001L, e.expireAt());
    assertEquals(":0", r("expire", "missing", "10"));
  }

  @Test
  void expireConditions() {
    r("set", "p", "v");
    assertEquals(":0", r("expire", "p", "10", "xx"));
    assertEquals(":0", r("expire", "p", "10", "gt"));
    assertEquals(":1", r("expire", "p", "10", "lt"));
    assertEquals(":0", r("expire", "p", "20", "lt"));
    assertEquals(":0", r("expire", "p", "10", "lt"));
    assertEquals(":1", r("expire", "p", "5", "lt"));
    assertEquals(":0", r("expire", "p", "5", "gt"));
    assertEquals(":1", r("expire", "p", "6", "GT"));
    assertEquals(":1", r("expire", "p", "5", "xx"));
    assertEquals(":0", r("expire", "p", "5", "nx"));
    assertEquals(":1", r("expire", "p", "7", "xx", "gt"));
    assertEquals(":0", r("expire", "p", "10", "LT", "lt", "Lt", "xx"));
    assertEquals(h.now + 7_000, expireAt(0, "p"));
    assertEquals(":1", r("persist", "p"));
    assertEquals(":1", r("expire", "p", "5", "nx"));
    assertEquals(":0", r("expire", "p", "10", "nx", "nx"));
  }

  @Test
  void expireInThePastDeletes() {
    r("set", "p", "v");
    assertEquals(":1", r("expire", "p", "0"));
    assertInstanceOf(SlotEvent.KeysDeleted.class, lastEvent());
    assertNull(h.raw(0, "p"));
    r("set", "p", "v");
    // GT against "no expiry" fails even for a time in the past.
    assertEquals(":0", r("expire", "p", "-5", "gt"));
    assertEquals(":1", r("exists", "p"));
    assertEquals(":1", r("expire", "p", "-1", "lt"));
    assertEquals(":0", r("exists", "p"));
    r("set", "p", "v");
    assertEquals(":1", r("pexpireat", "p", String.valueOf(h.now)));
    assertNull(h.raw(0, "p"));
    r("set", "p", "v");
    assertEquals(":1", r("expire", "p", "-9223372036854775"));
    assertNull(h.raw(0, "p"));
  }

  @Test
  void ttlFamily() {
    assertEquals(":-2", r("ttl", "missing"));
    assertEquals(":-2", r("pttl", "missing"));
    assertEquals(":-2", r("expiretime", "missing"));
    assertEquals(":-2", r("pexpiretime", "missing"));
    r("set", "p", "v");
    assertEquals(":-1", r("ttl", "p"));
    assertEquals(":-1", r("pttl", "p"));
    assertEquals(":-1", r("expiretime", "p"));
    assertEquals(":-1", r("pexpiretime", "p"));
    r("pexpire", "p", "1500");
    assertEquals(":2", r("ttl", "p"));
    assertEquals(":1500", r("pttl", "p"));
    h.now += 1;
    assertEquals(":1", r("ttl", "p"));
    assertEquals(":1499", r("pttl", "p"));
    r("pexpireat", "p", "1700000001499");
    assertEquals(":1700000001", r("expiretime", "p"));
    assertEquals(":1700000001499", r("pexpiretime", "p"));
    r("pexpireat", "p", "1700000001500");
    assertEquals(":1700000002", r("expiretime", "p"));
    // Rounding Long.MAX_VALUE up must not wrap.
    r("pexpireat", "p", "9223372036854775807");
    assertEquals(":9223372036854776", r("expiretime", "p"));
    assertEquals(":9223372036854775807", r("pexpiretime", "p"));
    h.now += 100_000;
    r("pexpire", "p", "100");
    h.now += 100;
    assertEquals(":-2", r("ttl", "p"));
  }

  @Test
  void persist() {
    assertEquals(":0", r("persist", "missing"));
    r("set", "p", "v");
    assertEquals(":0", r("persist", "p"));
    r("expire", "p", "100");
    assertEquals(":1", r("persist", "p"));
    assertEquals(0, expireAt(0, "p"));
    assertEquals(":0", r("persist", "p"));
  }

  // ---------------------------------------------------------------- RENAME

  @Test
  void renameErrorsAndSelf() {
    assertEquals("-ERR no such key", r("rename", "missing", "x"));
    assertEquals("-ERR no such key", r("rename", "missing", "missing"));
    assertEquals("-ERR no such key", r("renamenx", "missing", "missing"));
    r("set", "a", "1");
    int before = h.journal.size();
    assertEquals("+OK", r("rename", "a", "a"));
    assertEquals(":0", r("renamenx", "a", "a"));
    assertEquals(before, h.journal.size());
  }

  @Test
  void renameMovesValueAndTtlAndOverwrites() {
    r("set", "a", "1");
    r("set", "b", "2");
    r("expire", "a", "100");
    assertEquals(":0", r("renamenx", "a", "b"));
    assertEquals("+OK", r("rename", "a", "b"));
    assertEquals("$1", r("get", "b"));
    assertEquals(h.now + 100_000, expireAt(0, "b"));
    assertEquals(":0", r("exists", "a"));
    assertEquals(":1", r("renamenx", "b", "c"));
    assertEquals("$1", r("get", "c"));
    assertInstanceOf(SlotEvent.KeyRenamed.class, lastEvent());
  }

  @Test
  void renameOntoAnExpiredKey() {
    r("set", "a", "1");
    r("set", "b", "2", "px", "5");
    h.now += 5;
    assertEquals(":1", r("renamenx", "a", "b"));
    assertEquals("$1", r("get", "b"));
    assertEquals(0, expireAt(0, "b"));
  }

  // ---------------------------------------------------------------- COPY, MOVE

  @Test
  void copyErrors() {
    r("set", "c", "1");
    assertEquals(SAME, r("copy", "c", "c"));
    assertEquals(SAME, r("copy", "missing", "missing"));
    assertEquals(SAME, r("copy", "c", "c", "db", "0"));
    assertEquals(DB_RANGE, r("copy", "c", "d", "db", "16"));
    assertEquals(DB_RANGE, r("copy", "c", "d", "db", "-1"));
    assertEquals(NOT_INT, r("copy", "c", "d", "db", "abc"));
    assertEquals(INT_RANGE, r("copy", "c", "d", "db", "99999999999"));
    assertEquals(SYNTAX, r("copy", "c", "d", "db"));
    assertEquals(SYNTAX, r("copy", "c", "d", "foo"));
    assertEquals(SYNTAX, r("copy", "c", "d", "db", "1", "foo"));
    assertEquals(DB_RANGE, r("copy", "c", "d", "db", "16", "foo"));
    assertEquals(SYNTAX, r("copy", "c", "d", "foo", "db", "16"));
  }

  @Test
  void copyWithinAndAcrossDatabases() {
    r("set", "c", "1");
    r("expire", "c", "100");
    assertEquals(":1", r("copy", "c", "c", "db", "1"));
    assertEquals(h.now + 100_000, expireAt(1, "c"));
    assertEquals(":0", r("copy", "missing", "d"));
    r("set", "d", "x");
    assertEquals(":0", r("copy", "c", "d"));
    assertEquals("$x", r("get", "d"));
    assertEquals(":1", r("copy", "c", "d", "replace"));
    assertEquals("$1", r("get", "d"));
    assertEquals(h.now + 100_000, expireAt(0, "d"));
    assertEquals(":1", r("copy", "c", "e", "replace", "replace", "db", "0", "db", "2"));
    assertEquals("$1", r("get", "c"));
    h.db = 2;
    assertEquals("$1", r("get", "e"));
  }

  @Test
  void copyFromAnotherSelectedDatabase() {
    h.db = 3;
    r("set", "k", "v");
    assertEquals(":1", r("copy", "k", "k", "db", "0"));
    h.db = 0;
    assertEquals("$v", r("get", "k"));
  }

  @Test
  void move() {
    r("set", "d", "x");
    r("expire", "d", "100");
    assertEquals(SAME, r("move", "d", "0"));
    assertEquals(DB_RANGE, r("move", "d", "16"));
    assertEquals(DB_RANGE, r("move", "d", "-1"));
    assertEquals(NOT_INT, r("move", "d", "abc"));
    assertEquals(INT_RANGE, r("move", "d", "99999999999"));
    assertEquals(":0", r("move", "missing", "1"));
    assertEquals(":1", r("move", "d", "1"));
    assertNull(h.raw(0, "d"));
    assertEquals(h.now + 100_000, expireAt(1, "d"));
    r("set", "d", "y");
    assertEquals(":0", r("move", "d", "1"));
    assertEquals("$y", r("get", "d"));
    h.db = 1;
    assertEquals("$x", r("get", "d"));
  }

  // ---------------------------------------------------------------- OBJECT

  @Test
  void objectOnMissingKeyIsNil() {
    assertEquals("nil", r("object", "encoding", "missing"));
    assertEquals("nil", r("object", "refcount", "missing"));
    assertEquals("nil", r("object", "idletime", "missing"));
    assertEquals("nil", r("object", "freq", "missing"));
  }

  @Test
  void objectEncoding() {
    r("set", "i", "1234567890123456789");
    assertEquals("$int", r("object", "encoding", "i"));
    r("set", "big", "12345678901234567890");
    assertEquals("$embstr", r("object", "encoding", "big"));
    r("set", "e", "x".repeat(44));
    assertEquals("$embstr", r("object", "ENCODING", "e"));
    r("set", "raw", "x".repeat(45));
    assertEquals("$raw", r("object", "encoding", "raw"));
    r("set", "z", "012");
    assertEquals("$embstr", r("object", "encoding", "z"));
  }

  @Test
  void objectRefcountReportsSharedIntegers() {
    r("set", "s", "100");
    assertEquals(":2147483647", r("object", "refcount", "s"));
    r("set", "s", "9999");
    assertEquals(":2147483647", r("object", "refcount", "s"));
    r("set", "s", "10000");
    assertEquals(":1", r("object", "refcount", "s"));
    r("set", "s", "-1");
    assertEquals(":1", r("object", "refcount", "s"));
    r("incr", "s");
    assertEquals(":2147483647", r("object", "refcount", "s"));
    r("set", "s", "abc");
    assertEquals(":1", r("object", "refcount", "s"));
    r("set", "s", "5");
    r("append", "s", "");
    assertEquals(":1", r("object", "refcount", "s"));
  }

  @Test
  void objectFreqAndIdletime() {
    r("set", "c", "1");
    assertEquals(
        "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note"
            + " that when switching between policies at runtime LRU and LFU data will take some"
            + " time to adjust.",
        r("object", "freq", "c"));
    assertEquals(":0", r("object", "idletime", "c"));
    h.now += 2_999;
    assertEquals(":2", r("object", "idletime", "c"));
    r("get", "c");
    assertEquals(":0", r("object", "idletime", "c"));
  }

  @Test
  void objectHelpAndBadSubcommands() {
    Reply help = h.call("object", "help");
    List<Reply> lines = ((Reply.Array) help).items();
    assertEquals(15, lines.size());
    assertEquals(
        "+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        SlotHarness.render(lines.get(0)));
    assertEquals("+ENCODING <key>", SlotHarness.render(lines.get(1)));
    assertEquals("+HELP", SlotHarness.render(lines.get(13)));
    assertEquals("+    Prints this help.", SlotHarness.render(lines.get(14)));
    assertTrue(lines.stream().allMatch(l -> l instanceof Reply.Simple));
    assertEquals("-ERR unknown subcommand 'foo'. Try OBJECT HELP.", r("object", "foo"));
    assertEquals(
        "-ERR wrong number of arguments for 'object|encoding' command",
        r("object", "encoding", "a", "b"));
    assertEquals(
        "-ERR wrong number of arguments for 'object|help' command", r("object", "help", "x"));
  }
}
