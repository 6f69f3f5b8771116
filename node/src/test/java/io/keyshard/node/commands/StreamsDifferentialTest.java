package io.keyshard.node.commands;

import io.keyshard.node.testing.DifferentialTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every stream command against a real redis-server 7.0.15: replies compared exactly, error texts
 * and RESP3 shapes included. What depends on each server's clock (delivery and seen times, idle
 * times, ids of XADD *) is masked by {@link #TIMES}; everything else must be equal.
 */
@Timeout(120)
class StreamsDifferentialTest extends DifferentialTestBase {

  /** Masks epoch-ms timestamps, idle times and auto ids, which each server's clock decides. */
  static final UnaryOperator<String> TIMES =
      r -> r.replaceAll(":1\\d{12}", ":T")
          .replaceAll("\"1\\d{12}-(\\d+)\"", "\"T-$1\"")
          .replaceAll("(\"idle\"[=,] ?):\\d+", "$1:I")
          .replaceAll("(\\[\"\\d+-\\d+\", \"[^\"]*\", ):\\d+(, :\\d+\\])", "$1:I$2");

  @AfterEach
  void resetNodeLimits() throws Exception {
    d.both("CONFIG", "SET", "stream-node-max-entries", "100");
    d.both("CONFIG", "SET", "stream-node-max-bytes", "4096");
  }

  private void check(String... args) throws Exception {
    d.check(TIMES, args);
  }

  @Test
  void xaddIdsAndErrors() throws Exception {
    check("XADD", "s", "1-1", "a", "1", "b", "2");
    check("XADD", "s", "1-1", "a", "1");
    check("XADD", "s", "1-*", "a", "1");
    check("XADD", "s", "1-*", "a", "1");
    check("XADD", "s", "0-0", "a", "1");
    check("XADD", "s", "0-*", "a", "1");
    check("XADD", "s", "5", "a", "1");
    check("XADD", "s", "5-*", "a", "1");
    check("XADD", "s", "+5-1", "a", "1");
    check("XADD", "s", "007-1", "a", "1");
    check("XADD", "s", "-", "a", "1");
    check("XADD", "s", "+", "a", "1");
    check("XADD", "s", "abc", "a", "1");
    check("XADD", "s", "1-2-3", "a", "1");
    check("XADD", "s", "18446744073709551616-1", "a", "1");
    check("XADD", "s", "10-1", "a");
    check("XADD", "s", "10-1", "a", "1", "b");
    check("XADD", "s", "*", "a");
    check("XADD", "s", "*", "f", "v");
    check("XADD", "s", "18446744073709551615-18446744073709551614", "a", "1");
    check("XADD", "s", "18446744073709551615-*", "a", "1");
    check("XADD", "s", "*", "a", "1");
    check("XLEN", "s");
    check("XRANGE", "s", "-", "+");
    check("XADD", "n", "NOMKSTREAM", "1-1", "f", "v");
    check("EXISTS", "n");
    check("XADD", "s2", "NOMKSTREAM", "MAXLEN", "1", "*", "f", "v");
    check("SET", "str", "x");
    check("XADD", "str", "*", "a", "1");
    check("XLEN", "str");
    check("XRANGE", "str", "-", "+");
    check("TYPE", "s");
    check("OBJECT", "ENCODING", "s");
    check("XLEN", "nokey");
  }

  @Test
  void trimming() throws Exception {
    for (int i = 1; i <= 30; i++) {
      check("XADD", "s", i + "-1", "f", "v" + i);
    }
    check("XADD", "s", "MAXLEN", "25", "31-1", "f", "v");
    check("XLEN", "s");
    check("XADD", "s", "MAXLEN", "=", "20", "32-1", "f", "v");
    check("XADD", "s", "MINID", "15", "33-1", "f", "v");
    check("XRANGE", "s", "-", "+", "COUNT", "2");
    check("XTRIM", "s", "MAXLEN", "10");
    check("XTRIM", "s", "MINID", "=", "28-1");
    check("XTRIM", "s", "MAXLEN", "~", "0");
    check("XINFO", "STREAM", "s");
    check("XTRIM", "s");
    check("XTRIM", "s", "MAXLEN");
    check("XTRIM", "s", "MAXLEN", "-1");
    check("XTRIM", "s", "MAXLEN", "abc");
    check("XTRIM", "s", "MAXLEN", "1", "MINID", "2");
    check("XTRIM", "s", "MAXLEN", "1", "LIMIT", "1");
    check("XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "-1");
    check("XTRIM", "s", "LIMIT", "1", "MAXLEN", "=", "1");
    check("XTRIM", "s", "FOO", "1");
    check("XTRIM", "s", "MINID", "abc");
    check("XTRIM", "nokey", "MAXLEN", "1");
    check("XADD", "s", "LIMIT", "1", "40-1", "f", "v");

    // Approximate trims remove whole nodes only: the node layout must be Redis's.
    d.both("CONFIG", "SET", "stream-node-max-entries", "10");
    for (int i = 1; i <= 95; i++) {
      check("XADD", "t", i + "-0", "f", "v" + i, "g", Integer.toString(i * 1000));
    }
    check("XINFO", "STREAM", "t");
    check("XTRIM", "t", "MAXLEN", "~", "42");
    check("XTRIM", "t", "MINID", "~", "77");
    check("XADD", "t", "MAXLEN", "~", "5", "LIMIT", "10", "96-0", "f", "v");
    check("XTRIM", "t", "MAXLEN", "~", "0", "LIMIT", "3");
    check("XINFO", "STREAM", "t");
    check("XDEL", "t", "91-0", "92-0", "93-0", "94-0", "95-0");
    check("XTRIM", "t", "MAXLEN", "~", "0");
    check("XINFO", "STREAM", "t", "FULL");
    // Entries too large for a node by bytes open nodes of their own.
    d.both("CONFIG", "SET", "stream-node-max-bytes", "100");
    for (int i = 1; i <= 8; i++) {
      check("XADD", "b", i + "-0", "field", "x".repeat(i * 15));
    }
    check("XINFO", "STREAM", "b");
    check("XTRIM", "b", "MAXLEN", "~", "3");
    check("XINFO", "STREAM", "b");
  }

  @Test
  void rangesAndDeletes() throws Exception {
    for (int i = 1; i <= 6; i++) {
      check("XADD", "s", i + "-" + i, "k", "v" + i);
    }
    check("XRANGE", "s", "-", "+");
    check("XRANGE", "s", "2", "4");
    check("XRANGE", "s", "(2-2", "(5-5");
    check("XRANGE", "s", "(-", "+");
    check("XRANGE", "s", "-", "(0-0");
    check("XRANGE", "s", "(18446744073709551615-18446744073709551615", "+");
    check("XRANGE", "s", "(18446744073709551615", "+");
    check("XRANGE", "s", "-", "+", "COUNT", "2");
    check("XRANGE", "s", "-", "+", "COUNT", "0");
    check("XRANGE", "s", "-", "+", "COUNT", "-3");
    check("XRANGE", "s", "-", "+", "COUNT");
    check("XRANGE", "s", "-", "+", "LIMIT", "1");
    check("XRANGE", "s", "x", "+");
    check("XRANGE", "s", "5", "2");
    check("XREVRANGE", "s", "+", "-");
    check("XREVRANGE", "s", "+", "-", "COUNT", "2");
    check("XREVRANGE", "s", "(5-5", "(2-2");
    check("XRANGE", "nokey", "-", "+");
    check("XDEL", "s", "2-2", "3-3", "3-3", "99-1");
    check("XDEL", "s", "abc");
    check("XDEL", "nokey", "abc");
    check("XDEL", "s", "1-1");
    check("XINFO", "STREAM", "s");
    check("XDEL", "s", "4-4", "5-5", "6-6");
    check("XINFO", "STREAM", "s");
    check("EXISTS", "s");
    check("XADD", "s", "6-6", "k", "v");
    check("XADD", "s", "7-0", "k", "v");
    check("XINFO", "STREAM", "s", "FULL");
  }

  @Test
  void readsWithoutGroups() throws Exception {
    check("XADD", "a", "1-1", "f", "1");
    check("XADD", "a", "2-1", "f", "2");
    check("XADD", "b", "3-1", "f", "3");
    check("XREAD", "STREAMS", "a", "0");
    check("XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0");
    check("XREAD", "STREAMS", "a", "b", "$", "$");
    check("XREAD", "STREAMS", "a", "b", "1-1", "0");
    check("XREAD", "STREAMS", "a", "nokey", "0", "0");
    check("XREAD", "STREAMS", "a");
    check("XREAD", "STREAMS", "a", "b", "0");
    check("XREAD", "COUNT", "x", "STREAMS", "a", "0");
    check("XREAD", "BLOCK", "x", "STREAMS", "a", "0");
    check("XREAD", "BLOCK", "-1", "STREAMS", "a", "0");
    check("XREAD", "GROUP", "g", "c", "STREAMS", "a", "0");
    check("XREAD", "NOACK", "STREAMS", "a", "0");
    check("XREAD", "STREAMS", "a", ">");
    check("XREAD", "STREAMS", "a", "abc");
    check("XREAD", "FOO", "STREAMS", "a", "0");
    check("XREAD", "COUNT", "1", "a", "0");
    check("SET", "str", "x");
    check("XREAD", "STREAMS", "a", "str", "0", "0");
    check("XREAD", "STREAMS", "a", "b", "a", "0", "0", "1-1");
    // Keys in other slots: the read spans slots in Keyshard, in key order as in Redis.
    check("XADD", "{x}c", "1-1", "f", "c");
    check("XREAD", "STREAMS", "a", "{x}c", "b", "0", "0", "0");
    check("XREAD", "STREAMS", "a", "{x}c", "str", "0", "0", "0");
    check("XREAD", "STREAMS", "a", "{x}c", "b", "0", "abc", "0");
    check("MULTI");
    check("XREAD", "BLOCK", "0", "STREAMS", "a", "$");
    check("XREAD", "BLOCK", "0", "STREAMS", "a", "0");
    check("EXEC");
  }

  @Test
  void groupsPendingAndAcks() throws Exception {
    for (int i = 1; i <= 5; i++) {
      check("XADD", "s", i + "-1", "f", "v" + i);
    }
    check("XGROUP", "CREATE", "s", "g", "0");
    check("XGROUP", "CREATE", "s", "g", "0");
    check("XGROUP", "CREATE", "s", "g2", "$");
    check("XGROUP", "CREATE", "s", "g3", "3-1", "ENTRIESREAD", "3");
    check("XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "-2");
    check("XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "x");
    check("XGROUP", "CREATE", "s", "g4", "-");
    check("XGROUP", "CREATE", "s", "g4", "0", "FOO");
    check("XGROUP", "CREATE", "s", "g4", "0", "MKSTREAM", "ENTRIESREAD", "1", "X");
    check("XGROUP", "CREATE", "nokey", "g", "0");
    check("XGROUP", "CREATE", "nokey", "g", "$", "MKSTREAM");
    check("XINFO", "STREAM", "nokey");
    check("XGROUP", "CREATE", "s");
    check("XGROUP", "FOO", "s", "g");
    check("XGROUP", "HELP");
    check("XGROUP", "HELP", "x");
    check("XINFO", "GROUPS", "s");
    check("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">");
    check("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">");
    check("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">");
    check("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0");
    check("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "1-1");
    check("XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0");
    check("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "$");
    check("XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "s", ">");
    check("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "nokey", ">");
    check("XREADGROUP", "STREAMS", "s", ">");
    check("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s");
    check("XREADGROUP", "GROUP", "g2", "dave", "NOACK", "STREAMS", "s", ">");
    check("XADD", "s", "6-1", "f", "v6");
    check("XREADGROUP", "GROUP", "g2", "dave", "NOACK", "STREAMS", "s", ">");
    check("XREADGROUP", "GROUP", "g3", "erin", "STREAMS", "s", ">");
    check("XINFO", "GROUPS", "s");
    check("XINFO", "CONSUMERS", "s", "g");
    check("XINFO", "CONSUMERS", "s", "nog");
    check("XPENDING", "s", "g");
    check("XPENDING", "s", "g", "-", "+", "10");
    check("XPENDING", "s", "g", "-", "+", "10", "bob");
    check("XPENDING", "s", "g", "-", "+", "10", "nobody");
    check("XPENDING", "s", "g", "(1-1", "(5-1", "2");
    check("XPENDING", "s", "g", "IDLE", "0", "-", "+", "10");
    check("XPENDING", "s", "g", "IDLE", "999999", "-", "+", "10");
    check("XPENDING", "s", "g", "IDLE", "0", "-", "+");
    check("XPENDING", "s", "g", "-", "+");
    check("XPENDING", "s", "g", "-", "+", "x");
    check("XPENDING", "s", "nog");
    check("XPENDING", "nokey", "g");
    check("XACK", "s", "g", "1-1", "1-1", "9-9");
    check("XACK", "s", "g", "abc");
    check("XACK", "s", "nog", "abc");
    check("XACK", "nokey", "g", "1-1");
    check("XPENDING", "s", "g");
    check("XDEL", "s", "2-1");
    check("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0");
    check("XINFO", "STREAM", "s", "FULL");
    check("XINFO", "STREAM", "s", "FULL", "COUNT", "1");
    check("XINFO", "STREAM", "s", "FULL", "COUNT", "0");
    check("XINFO", "STREAM", "s", "FULL", "COUNT");
    check("XINFO", "STREAM", "s", "FOO");
    check("XINFO", "HELP");
    check("XINFO", "FOO", "s");
    check("XINFO", "GROUPS");
    check("XGROUP", "SETID", "s", "g", "0");
    check("XGROUP", "SETID", "s", "g", "$", "ENTRIESREAD", "2");
    check("XGROUP", "SETID", "s", "g", "-");
    check("XGROUP", "SETID", "s", "nog", "0");
    check("XINFO", "GROUPS", "s");
    check("XGROUP", "SETID", "s", "g", "0");
    check("XREADGROUP", "GROUP", "g", "frank", "COUNT", "2", "STREAMS", "s", ">");
    check("XPENDING", "s", "g", "-", "+", "10");
    check("XGROUP", "CREATECONSUMER", "s", "g", "zed");
    check("XGROUP", "CREATECONSUMER", "s", "g", "zed");
    check("XGROUP", "CREATECONSUMER", "s", "nog", "zed");
    check("XGROUP", "DELCONSUMER", "s", "g", "frank");
    check("XGROUP", "DELCONSUMER", "s", "g", "nobody");
    check("XPENDING", "s", "g");
    check("XGROUP", "DESTROY", "s", "g");
    check("XGROUP", "DESTROY", "s", "g");
    check("XGROUP", "DESTROY", "nokey", "g");
    check("XINFO", "GROUPS", "s");
  }

  @Test
  void claims() throws Exception {
    for (int i = 1; i <= 6; i++) {
      check("XADD", "s", i + "-1", "f", "v" + i);
    }
    check("XGROUP", "CREATE", "s", "g", "0");
    check("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">");
    check("XDEL", "s", "2-1");
    check("XCLAIM", "s", "g", "bob", "0", "1-1", "2-1", "3-1", "JUSTID");
    check("XPENDING", "s", "g", "-", "+", "10");
    check("XCLAIM", "s", "g", "bob", "0", "3-1", "4-1", "RETRYCOUNT", "7");
    check("XCLAIM", "s", "g", "bob", "0", "4-1", "TIME", "1000", "JUSTID");
    check("XCLAIM", "s", "g", "bob", "0", "5-1", "IDLE", "5000", "JUSTID");
    check("XCLAIM", "s", "g", "bob", "3600000", "5-1");
    check("XCLAIM", "s", "g", "carol", "0", "9-9", "FORCE");
    check("XCLAIM", "s", "g", "carol", "0", "6-1", "1-1", "FORCE", "JUSTID");
    check("XCLAIM", "s", "g", "carol", "0", "4-1", "LASTID", "10-1", "JUSTID");
    check("XINFO", "GROUPS", "s");
    check("XCLAIM", "s", "g", "carol", "0", "4-1", "FOO");
    check("XCLAIM", "s", "g", "carol", "x", "4-1");
    check("XCLAIM", "s", "g", "carol", "0", "4-1", "IDLE", "x");
    check("XCLAIM", "s", "g", "carol", "0", "4-1", "TIME", "x");
    check("XCLAIM", "s", "g", "carol", "0", "4-1", "RETRYCOUNT", "x");
    check("XCLAIM", "s", "g", "carol", "0", "4-1", "LASTID", "x");
    check("XCLAIM", "s", "nog", "carol", "0", "4-1");
    check("XCLAIM", "nokey", "g", "carol", "0", "4-1");
    check("XPENDING", "s", "g");
    check("XADD", "s", "7-1", "f", "v7");
    check("XADD", "s", "8-1", "f", "v8");
    check("XREADGROUP", "GROUP", "g", "dave", "STREAMS", "s", ">");
    check("XDEL", "s", "7-1");
    check("XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "1");
    check("XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "2", "JUSTID");
    check("XAUTOCLAIM", "s", "g", "erin", "0", "(3-1");
    check("XAUTOCLAIM", "s", "g", "erin", "3600000", "0");
    check("XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "0");
    check("XAUTOCLAIM", "s", "g", "erin", "0", "0", "FOO");
    check("XAUTOCLAIM", "s", "g", "erin", "x", "0");
    check("XAUTOCLAIM", "s", "g", "erin", "0", "x");
    check("XAUTOCLAIM", "s", "nog", "erin", "0", "0");
    check("XAUTOCLAIM", "nokey", "g", "erin", "0", "0");
    check("XINFO", "STREAM", "s", "FULL");
  }

  @Test
  void setIdAndCounters() throws Exception {
    check("XADD", "s", "1-1", "f", "v");
    check("XADD", "s", "2-1", "f", "v");
    check("XSETID", "s", "1-1");
    check("XSETID", "s", "5-0");
    check("XSETID", "s", "6-0", "ENTRIESADDED", "1");
    check("XSETID", "s", "6-0", "ENTRIESADDED", "-1");
    check("XSETID", "s", "6-0", "ENTRIESADDED", "10", "MAXDELETEDID", "7-0");
    check("XSETID", "s", "6-0", "ENTRIESADDED", "10", "MAXDELETEDID", "3-0");
    check("XSETID", "s", "6-0", "FOO", "1");
    check("XSETID", "s", "abc");
    check("XSETID", "nokey", "1-1");
    check("XINFO", "STREAM", "s");
    check("XADD", "s", "6-0", "f", "v");
    check("XADD", "s", "*", "f", "v");
    check("XGROUP", "CREATE", "s", "g", "0");
    check("XINFO", "GROUPS", "s");
    check("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">");
    check("XINFO", "GROUPS", "s");
    check("XDEL", "s", "2-1");
    check("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">");
    check("XINFO", "GROUPS", "s");
  }

  @Test
  void keyCommandsOnStreams() throws Exception {
    check("XADD", "s", "1-1", "f", "v");
    check("XGROUP", "CREATE", "s", "g", "0");
    check("TYPE", "s");
    check("OBJECT", "ENCODING", "s");
    check("EXISTS", "s");
    check("SCAN", "0", "TYPE", "stream");
    check("COPY", "s", "{s}copy");
    check("XINFO", "STREAM", "{s}copy", "FULL");
    check("RENAME", "{s}copy", "{s}renamed");
    check("XINFO", "GROUPS", "{s}renamed");
    check("COPY", "s", "other");
    check("XLEN", "other");
    check("RENAME", "other", "other2");
    check("XLEN", "other2");
    check("DEL", "s", "other2");
    check("EXISTS", "s");
    check("XADD", "e", "1-1", "f", "v");
    check("XDEL", "e", "1-1");
    check("EXISTS", "e");
    check("TYPE", "e");
  }

  @Test
  void resp3Shapes() throws Exception {
    d.both("HELLO", "3");
    check("XADD", "s", "1-1", "f", "v");
    check("XADD", "t", "2-1", "f", "v");
    check("XREAD", "STREAMS", "s", "t", "0", "0");
    check("XREAD", "STREAMS", "s", "$");
    check("XRANGE", "s", "-", "+", "COUNT", "0");
    check("XGROUP", "CREATE", "s", "g", "0");
    check("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">");
    check("XDEL", "s", "1-1");
    check("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0");
    check("XPENDING", "s", "g");
    check("XPENDING", "s", "nog");
    check("XINFO", "STREAM", "s");
    check("XINFO", "STREAM", "s", "FULL");
    check("XINFO", "GROUPS", "s");
    check("XINFO", "CONSUMERS", "s", "g");
    check("XAUTOCLAIM", "s", "g", "c", "0", "0");
    check("XADD", "s", "NOMKSTREAM", "3-1", "f", "v");
    check("XADD", "n", "NOMKSTREAM", "3-1", "f", "v");
    check("XGROUP", "HELP");
  }

  @Test
  void manyFieldsAndBinaryValues() throws Exception {
    List<String> args = new ArrayList<>(List.of("XADD", "s", "1-0"));
    for (int i = 0; i < 50; i++) {
      args.add("f" + i);
      args.add(i % 3 == 0 ? Integer.toString(i * 1_000_003) : "v\u00e9" + i);
    }
    check(args.toArray(new String[0]));
    for (int i = 1; i < 120; i++) {
      check("XADD", "s", i + "-" + (i % 7), i % 2 == 0 ? "f0" : "other", "-" + i, "x", "");
    }
    check("XINFO", "STREAM", "s");
    check("XRANGE", "s", "50", "60");
    check("XTRIM", "s", "MAXLEN", "~", "10");
    check("XINFO", "STREAM", "s");
  }
}
