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
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every sorted-set command against a real redis-server: replies compared exactly, error texts
 * and RESP3 shapes included. Random picks (ZRANDMEMBER) are compared by shape and property.
 */
@Timeout(120)
class ZSetsDifferentialTest extends DifferentialTestBase {

  static final UnaryOperator<String> SORTED = Differential::sorted;

  /** Keeps only a reply's shape: every bulk string and double becomes a placeholder. */
  static final UnaryOperator<String> SHAPE =
      r -> r.replaceAll("\"[^\"]*\"", "\"_\"").replaceAll(",[-0-9.e+inf]+", ",_");

  private static String[] cmd(String... a) {
    return a;
  }

  private void fill(String key, int n) throws Exception {
    List<String> args = new ArrayList<>(List.of("ZADD", key));
    for (int i = 0; i < n; i++) {
      args.add(Integer.toString(i));
      args.add("m" + i);
    }
    d.check(args.toArray(new String[0]));
  }

  @Test
  void zaddOptionsAndErrors() throws Exception {
    d.check("ZADD", "z", "1", "a", "2", "b", "3", "c");
    d.check("ZADD", "z", "1", "a", "5", "b");
    d.check("ZADD", "z", "CH", "1", "a", "6", "b", "7", "d");
    d.check("ZADD", "z", "NX", "100", "a", "8", "e");
    d.check("ZADD", "z", "XX", "100", "a", "8", "f");
    d.check("ZADD", "z", "XX", "CH", "100", "a", "8", "f");
    d.check("ZADD", "z", "GT", "CH", "50", "a", "200", "b", "1", "g");
    d.check("ZADD", "z", "LT", "CH", "60", "a", "0", "b");
    d.check("ZADD", "z", "XX", "GT", "CH", "70", "a", "1", "zz");
    d.check("ZRANGE", "z", "0", "-1", "WITHSCORES");
    d.check("ZADD", "z", "INCR", "5", "a");
    d.check("ZADD", "z", "INCR", "NX", "5", "a");
    d.check("ZADD", "z", "INCR", "XX", "5", "nope");
    d.check("ZADD", "z", "INCR", "GT", "-5", "a");
    d.check("ZADD", "z", "INCR", "LT", "-5", "a");
    d.check("ZADD", "z", "INCR", "XX", "0", "a");
    d.check("ZADD", "missing", "XX", "1", "a");
    d.check("ZADD", "missing", "XX", "INCR", "1", "a");
    d.check("EXISTS", "missing");
    d.check("ZADD", "z", "NX", "XX", "1", "a");
    d.check("ZADD", "z", "NX", "GT", "1", "a");
    d.check("ZADD", "z", "GT", "LT", "1", "a");
    d.check("ZADD", "z", "INCR", "1", "a", "2", "b");
    d.check("ZADD", "z", "1", "a", "2");
    d.check("ZADD", "z", "NX");
    d.check("ZADD", "z", "NX", "XX", "1");
    d.check("ZADD", "z", "x", "a");
    d.check("ZADD", "z", "1", "a", "nan", "b");
    d.check("ZADD", "z");
    d.check("ZADD", "z", "1");
    // The same member twice in one ZADD: the later pair wins, both count once.
    d.check("ZADD", "dup", "1", "x", "2", "x", "3", "y");
    d.check("ZADD", "dup", "CH", "5", "x", "5", "x");
    d.check("ZRANGE", "dup", "0", "-1", "WITHSCORES");
    d.check("ZADD", "z", "CH", "INCR", "1", "a");
    d.check("ZADD", "z", "INCR", "CH", "GT", "XX", "1", "a");
    d.check("ZADD", "z", "1", "a", "2");
    d.check("ZCARD", "z");
    d.check("ZCARD", "nokey");
    // A key whose time has passed is a new, empty set.
    d.check("ZADD", "exp", "1", "a");
    d.check("PEXPIRE", "exp", "1");
    Thread.sleep(20);
    d.check("ZADD", "exp", "XX", "2", "a");
    d.check("ZADD", "exp", "3", "b");
    d.check("ZRANGE", "exp", "0", "-1", "WITHSCORES");
    d.check("TTL", "exp");
  }

  @Test
  void scoresParseAndPrintAsRedis() throws Exception {
    String[] good = {
      "0.1", "1", "1e20", "1.5e-7", "inf", "+inf", "-inf", "Infinity", "-INFINITY", "1e3",
      "0x10", "0x1p3", "0x.8", "5.", ".5", "+1", "-0", "1e-310", "123456789012345678",
      "3.14159265358979323846", "-2.5E+3", "1e308", "9007199254740993", "0.3"
    };
    int i = 0;
    for (String s : good) {
      d.check("ZADD", "z", s, "m" + i);
      d.check("ZSCORE", "z", "m" + i);
      i++;
    }
    String[] bad = {
      "nan", "NaN", "-nan", " 1", "1 ", "", "1e", "abc", "1e400", "-1e400", "1e-400", "0x",
      "1d", "1f", "inf1", "--1", "1..2", "nan(123)", "infinit"
    };
    for (String s : bad) {
      d.check("ZADD", "z", s, "bad");
      d.check("ZINCRBY", "z", s, "bad");
    }
    d.check("ZRANGE", "z", "0", "-1", "WITHSCORES");
    d.check("ZADD", "n", "inf", "x");
    d.check("ZINCRBY", "n", "-inf", "x");
    d.check("ZADD", "n", "INCR", "-inf", "x");
    d.check("ZINCRBY", "n", "1", "x");
    d.check("ZINCRBY", "n", "1e308", "big");
    d.check("ZINCRBY", "n", "1e308", "big");
    d.check("ZINCRBY", "n", "0.1", "f");
    d.check("ZINCRBY", "n", "0.2", "f");
    d.check("ZINCRBY", "n", "1", "new");
    d.check("ZINCRBY", "n", "x", "new");
    d.check("ZMSCORE", "n", "x", "missing", "f", "big");
    d.check("ZMSCORE", "nokey", "a", "b");
    d.check("ZSCORE", "n", "missing");
    d.check("ZSCORE", "nokey", "a");
    // -0 survives in a skiplist only.
    d.check("ZADD", "sk", "1", "x".repeat(70), "-0", "mz");
    d.check("ZSCORE", "sk", "mz");
    d.check("ZADD", "sk", "0", "mz");
    d.check("ZSCORE", "sk", "mz");
    d.check("OBJECT", "ENCODING", "sk");
  }

  @Test
  void rankAndRangeByRank() throws Exception {
    fill("z", 10);
    d.check("ZADD", "z", "5", "a5", "5", "b5", "-1", "neg");
    for (String m : List.of("m0", "m5", "a5", "b5", "neg", "m9", "none")) {
      d.check("ZRANK", "z", m);
      d.check("ZREVRANK", "z", m);
    }
    d.check("ZRANK", "nokey", "a");
    long[][] ranges = {
      {0, -1}, {0, 0}, {-1, -1}, {2, 5}, {5, 2}, {-100, 100}, {100, 200}, {-3, -1}, {-200, -100},
      {0, Long.MAX_VALUE}, {Long.MIN_VALUE, Long.MAX_VALUE}, {12, 12}, {13, 13}
    };
    for (long[] r : ranges) {
      d.check("ZRANGE", "z", "" + r[0], "" + r[1]);
      d.check("ZRANGE", "z", "" + r[0], "" + r[1], "WITHSCORES");
      d.check("ZRANGE", "z", "" + r[0], "" + r[1], "REV", "WITHSCORES");
      d.check("ZREVRANGE", "z", "" + r[0], "" + r[1]);
      d.check("ZREVRANGE", "z", "" + r[0], "" + r[1], "WITHSCORES");
    }
    d.check("ZRANGE", "z", "a", "1");
    d.check("ZRANGE", "z", "0", "1", "LIMIT", "0", "1");
    d.check("ZRANGE", "z", "0", "1", "LIMIT", "0", "-1");
    d.check("ZRANGE", "z", "0", "1", "LIMIT", "0");
    d.check("ZRANGE", "z", "0", "1", "BOGUS");
    d.check("ZRANGE", "z", "0", "1", "REV", "REV");
    d.check("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX");
    d.check("ZREVRANGE", "z", "0", "1", "REV");
    d.check("ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1");
    d.check("ZRANGE", "nokey", "0", "-1");
    d.check("ZRANGE", "nokey", "0", "-1", "WITHSCORES");
    d.check("ZRANGE", "z", "0");
  }

  @Test
  void rangeByScore() throws Exception {
    d.check("ZADD", "z", "-inf", "ninf", "1", "a", "2", "b", "2", "bb", "3", "c", "4.5", "d", "inf", "pinf");
    String[][] ranges = {
      {"-inf", "+inf"}, {"1", "3"}, {"(1", "3"}, {"1", "(3"}, {"(1", "(3"}, {"2", "2"}, {"(2", "2"},
      {"3", "1"}, {"-inf", "-inf"}, {"inf", "inf"}, {"(-inf", "(inf"}, {"0", "0"}, {"4.5", "10"},
      {"", ""}, {"(", "5"}, {" 1", "3"}, {"1e400", "inf"}, {"0x1", "0x2"}
    };
    for (String[] r : ranges) {
      d.check("ZRANGEBYSCORE", "z", r[0], r[1]);
      d.check("ZRANGEBYSCORE", "z", r[0], r[1], "WITHSCORES");
      d.check("ZREVRANGEBYSCORE", "z", r[1], r[0]);
      d.check("ZREVRANGEBYSCORE", "z", r[1], r[0], "WITHSCORES");
      d.check("ZRANGE", "z", r[0], r[1], "BYSCORE", "WITHSCORES");
      d.check("ZRANGE", "z", r[1], r[0], "BYSCORE", "REV");
      d.check("ZCOUNT", "z", r[0], r[1]);
    }
    String[][] limits = {
      {"0", "2"}, {"1", "2"}, {"2", "-1"}, {"0", "0"}, {"-1", "2"}, {"6", "10"}, {"7", "1"},
      {"100", "1"}, {"0", "-5"}, {"3", "100"}, {"9223372036854775807", "1"}
    };
    for (String[] l : limits) {
      d.check("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", l[0], l[1]);
      d.check("ZRANGEBYSCORE", "z", "(1", "4.5", "WITHSCORES", "LIMIT", l[0], l[1]);
      d.check("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", l[0], l[1], "WITHSCORES");
      d.check("ZRANGE", "z", "inf", "(1", "BYSCORE", "REV", "LIMIT", l[0], l[1]);
    }
    for (String bad : List.of("x", "nan", "(nan", "((1", "1x", "[1", " ", "(")) {
      d.check("ZRANGEBYSCORE", "z", bad, "2");
      d.check("ZCOUNT", "z", "1", bad);
      d.check("ZREMRANGEBYSCORE", "z", bad, "1");
    }
    d.check("ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "x", "1");
    d.check("ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "1");
    d.check("ZRANGEBYSCORE", "z", "1", "2", "BYSCORE");
    d.check("ZRANGEBYSCORE", "z", "1", "2", "REV");
    d.check("ZRANGEBYSCORE", "nokey", "1", "2");
    d.check("ZCOUNT", "nokey", "1", "2");
    d.check("ZRANGEBYSCORE", "z", "1", "2", "BYLEX");
  }

  @Test
  void rangeByLex() throws Exception {
    d.check("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "aa", "0", "", "0", "\u00ff");
    String[][] ranges = {
      {"-", "+"}, {"[a", "[c"}, {"(a", "[c"}, {"[a", "(c"}, {"(a", "(c"}, {"-", "[b"}, {"[c", "+"},
      {"+", "-"}, {"-", "-"}, {"+", "+"}, {"[", "[a"}, {"(", "+"}, {"[c", "[a"}, {"[b", "[b"},
      {"(b", "[b"}, {"[z", "+"}
    };
    for (String[] r : ranges) {
      d.check("ZRANGEBYLEX", "z", r[0], r[1]);
      d.check("ZREVRANGEBYLEX", "z", r[1], r[0]);
      d.check("ZRANGE", "z", r[0], r[1], "BYLEX");
      d.check("ZRANGE", "z", r[1], r[0], "BYLEX", "REV", "LIMIT", "1", "2");
      d.check("ZLEXCOUNT", "z", r[0], r[1]);
      d.check("ZRANGEBYLEX", "z", r[0], r[1], "LIMIT", "1", "3");
      d.check("ZRANGEBYLEX", "z", r[0], r[1], "LIMIT", "-1", "3");
      d.check("ZRANGEBYLEX", "z", r[0], r[1], "LIMIT", "2", "-1");
    }
    for (String bad : List.of("a", "", "++", "--", "{a", "+a")) {
      d.check("ZRANGEBYLEX", "z", bad, "+");
      d.check("ZLEXCOUNT", "z", "-", bad);
      d.check("ZREMRANGEBYLEX", "z", bad, "+");
    }
    // Scores that differ: Redis scans a listpack in order, whatever the members.
    d.check("ZADD", "mixed", "1", "c", "2", "a", "3", "b", "4", "e", "5", "d");
    for (String[] r : ranges) {
      d.check("ZRANGEBYLEX", "mixed", r[0], r[1]);
      d.check("ZREVRANGEBYLEX", "mixed", r[1], r[0]);
      d.check("ZLEXCOUNT", "mixed", r[0], r[1]);
    }
    d.check("ZREMRANGEBYLEX", "mixed", "[b", "[c");
    d.check("ZRANGE", "mixed", "0", "-1");
    d.check("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES");
    d.check("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES");
    d.check("ZRANGEBYLEX", "nokey", "-", "+");
    d.check("ZLEXCOUNT", "nokey", "-", "+");
  }

  @Test
  void removals() throws Exception {
    fill("z", 20);
    d.check("ZREM", "z", "m1", "m1", "m2", "none");
    d.check("ZREM", "nokey", "a");
    d.check("ZREMRANGEBYRANK", "z", "0", "1");
    d.check("ZREMRANGEBYRANK", "z", "-2", "-1");
    d.check("ZREMRANGEBYRANK", "z", "5", "2");
    d.check("ZREMRANGEBYRANK", "z", "100", "200");
    d.check("ZREMRANGEBYRANK", "z", "x", "2");
    d.check("ZREMRANGEBYSCORE", "z", "(5", "8");
    d.check("ZREMRANGEBYSCORE", "z", "100", "200");
    d.check("ZRANGE", "z", "0", "-1", "WITHSCORES");
    d.check("ZREMRANGEBYRANK", "nokey", "0", "1");
    d.check("ZREMRANGEBYSCORE", "nokey", "0", "1");
    d.check("ZREMRANGEBYLEX", "nokey", "-", "+");
    d.check("ZADD", "lex", "0", "a", "0", "b", "0", "c");
    d.check("ZREMRANGEBYLEX", "lex", "(a", "+");
    d.check("ZREMRANGEBYLEX", "lex", "-", "+");
    d.check("EXISTS", "lex");
    d.check("ZREMRANGEBYRANK", "z", "0", "-1");
    d.check("EXISTS", "z");
    d.check("ZADD", "one", "1", "a");
    d.check("ZREM", "one", "a");
    d.check("EXISTS", "one");
  }

  @Test
  void pops() throws Exception {
    d.check("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
    d.check("ZPOPMIN", "z");
    d.check("ZPOPMAX", "z");
    d.check("ZPOPMIN", "z", "2");
    d.check("ZPOPMAX", "z", "0");
    d.check("ZPOPMAX", "z", "-1");
    d.check("ZPOPMAX", "z", "x");
    d.check("ZPOPMIN", "z", "1", "2");
    d.check("ZPOPMAX", "z", "100");
    d.check("EXISTS", "z");
    d.check("ZPOPMIN", "z");
    d.check("ZPOPMIN", "z", "3");
    d.check("ZADD", "a", "1", "x", "2", "y", "3", "z");
    d.check("ZADD", "b", "10", "p");
    d.check("ZMPOP", "2", "nokey", "a", "MIN");
    d.check("ZMPOP", "2", "nokey", "a", "MAX", "COUNT", "10");
    d.check("ZMPOP", "2", "a", "b", "max");
    d.check("ZMPOP", "1", "nokey", "MIN");
    d.check("ZMPOP", "0", "a", "MIN");
    d.check("ZMPOP", "-1", "a", "MIN");
    d.check("ZMPOP", "x", "a", "MIN");
    d.check("ZMPOP", "3", "a", "b", "MIN");
    d.check("ZMPOP", "1", "b", "MIDDLE");
    d.check("ZMPOP", "1", "b", "MIN", "COUNT", "0");
    d.check("ZMPOP", "1", "b", "MIN", "COUNT", "-1");
    d.check("ZMPOP", "1", "b", "MIN", "COUNT", "x");
    d.check("ZMPOP", "1", "b", "MIN", "COUNT");
    d.check("ZMPOP", "1", "b", "MIN", "COUNT", "1", "COUNT", "1");
    d.check("ZMPOP", "1", "b", "MIN", "EXTRA");
    // The blocking forms answer at once when something is there, and their argument errors.
    d.check("ZADD", "q", "1", "a", "2", "b", "3", "c");
    d.check("BZPOPMIN", "nokey", "q", "0");
    d.check("BZPOPMAX", "q", "0.5");
    d.check("BZPOPMIN", "q", "-1");
    d.check("BZPOPMIN", "q", "x");
    d.check("BZMPOP", "0", "2", "nokey", "q", "MIN", "COUNT", "5");
    d.check("BZMPOP", "x", "1", "q", "MIN");
    d.check("BZMPOP", "-1", "1", "q", "MIN");
    d.check("BZMPOP", "0", "0", "q", "MIN");
    d.check("BZMPOP", "0", "1", "q", "UP");
    d.check("BZMPOP", "x", "1", "q", "UP");
    d.check("SET", "str", "v");
    d.check("BZPOPMIN", "str", "0");
    d.check("ZADD", "q", "1", "a");
    d.check("BZPOPMIN", "q", "str", "0");
    d.check("BZPOPMIN", "nokey", "str", "0");
    d.check("ZMPOP", "2", "nokey", "str", "MIN");
    // Inside MULTI they never block: an empty pop is the timeout's null.
    d.check("MULTI");
    d.check("BZPOPMIN", "nokey", "0");
    d.check("BZPOPMAX", "nokey", "1");
    d.check("BZMPOP", "0", "1", "nokey", "MIN");
    d.check("ZMPOP", "1", "nokey", "MIN");
    d.check("EXEC");
  }

  @Test
  void setOperations() throws Exception {
    d.check("ZADD", "{s}a", "1", "x", "2", "y", "3", "z");
    d.check("ZADD", "{s}b", "10", "y", "20", "z", "30", "w");
    d.check("ZADD", "{s}inf", "inf", "x", "-inf", "y");
    d.check("ZADD", "{s}ninf", "-inf", "x", "inf", "y");
    d.check("SET", "{s}str", "v");
    String[][] opts = {
      {}, {"WEIGHTS", "2", "3"}, {"AGGREGATE", "MIN"}, {"AGGREGATE", "max", "WEIGHTS", "1", "-1"},
      {"WEIGHTS", "0", "inf"}, {"WITHSCORES"}, {"WEIGHTS", "1"}, {"WEIGHTS", "1", "2", "3"},
      {"AGGREGATE", "AVG"}, {"AGGREGATE"}, {"WEIGHTS", "1", "x"}, {"WEIGHTS", "1", "nan"},
      {"WITHSCORES", "WITHSCORES"}, {"BOGUS"}
    };
    for (String op : List.of("ZUNION", "ZINTER", "ZDIFF")) {
      for (String[] o : opts) {
        List<String> a = new ArrayList<>(List.of(op, "2", "{s}a", "{s}b"));
        a.addAll(List.of(o));
        d.check(a.toArray(new String[0]));
        a.add("WITHSCORES");
        d.check(a.toArray(new String[0]));
        List<String> st = new ArrayList<>(List.of(op + "STORE", "{s}dst", "2", "{s}a", "{s}b"));
        st.addAll(List.of(o));
        d.check(st.toArray(new String[0]));
        d.check("ZRANGE", "{s}dst", "0", "-1", "WITHSCORES");
      }
      d.check(op, "2", "{s}inf", "{s}ninf", "WITHSCORES");
      d.check(op, "2", "{s}inf", "{s}ninf", "WITHSCORES", "WEIGHTS", "0", "1");
      d.check(op, "1", "{s}nokey", "WITHSCORES");
      d.check(op, "2", "{s}a", "{s}nokey", "WITHSCORES");
      d.check(op, "2", "{s}nokey", "{s}a", "WITHSCORES");
      d.check(op, "0", "{s}a");
      d.check(op, "-1", "{s}a");
      d.check(op, "x", "{s}a");
      d.check(op, "3", "{s}a", "{s}b");
      d.check(op, "2", "{s}a", "{s}str");
      d.check(op, "2", "{s}a", "{s}str", "BOGUS");
      d.check(op + "STORE", "{s}dst", "2", "{s}a", "{s}str");
      d.check(op + "STORE", "{s}dst", "0", "{s}a");
      d.check(op + "STORE", "{s}dst", "1", "{s}a", "WITHSCORES");
      // An empty result deletes the destination, whatever it held.
      d.check("SET", "{s}dst", "v");
      d.check(op + "STORE", "{s}dst", "2", "{s}nokey", "{s}a");
      d.check("EXISTS", "{s}dst");
      d.check("SET", "{s}dst", "v");
      d.check("EXPIRE", "{s}dst", "100");
      d.check(op + "STORE", "{s}dst", "1", "{s}a");
      d.check("TTL", "{s}dst");
      d.check("OBJECT", "ENCODING", "{s}dst");
    }
    // -0 lives in a skiplist: a computed result keeps it, a compact stored one does not.
    d.check("ZADD", "{s}negz", "1", "x".repeat(70), "-0", "z");
    d.check("ZUNION", "1", "{s}negz", "WITHSCORES");
    d.check("ZUNIONSTORE", "{s}nz", "1", "{s}negz");
    d.check("ZRANGE", "{s}nz", "0", "-1", "WITHSCORES");
    d.check("ZRANGESTORE", "{s}nz", "{s}negz", "0", "0");
    d.check("ZRANGE", "{s}nz", "0", "-1", "WITHSCORES");
    d.check("ZRANGE", "{s}negz", "(-1", "1", "BYSCORE", "WITHSCORES");
    d.check("ZUNIONSTORE", "{s}a", "2", "{s}a", "{s}b");
    d.check("ZRANGE", "{s}a", "0", "-1", "WITHSCORES");
    d.check("ZINTERCARD", "2", "{s}a", "{s}b");
    d.check("ZINTERCARD", "2", "{s}a", "{s}b", "LIMIT", "1");
    d.check("ZINTERCARD", "2", "{s}a", "{s}b", "LIMIT", "0");
    d.check("ZINTERCARD", "2", "{s}a", "{s}b", "LIMIT", "-1");
    d.check("ZINTERCARD", "2", "{s}a", "{s}b", "LIMIT");
    d.check("ZINTERCARD", "2", "{s}a", "{s}b", "BOGUS", "1");
    d.check("ZINTERCARD", "0", "{s}a");
    d.check("ZINTERCARD", "x", "{s}a");
    d.check("ZINTERCARD", "3", "{s}a", "{s}b");
    d.check("ZINTERCARD", "2", "{s}a", "{s}str");
    d.check("ZINTERCARD", "1", "{s}nokey");
  }

  @Test
  void storeResultsAndEncodings() throws Exception {
    String longMember = "y".repeat(70);
    d.check("ZADD", "{e}big", "1", longMember, "2", "small");
    d.check("OBJECT", "ENCODING", "{e}big");
    d.check("ZRANGESTORE", "{e}d1", "{e}big", "1", "1");
    d.check("OBJECT", "ENCODING", "{e}d1");
    d.check("ZRANGESTORE", "{e}d2", "{e}big", "0", "-1");
    d.check("OBJECT", "ENCODING", "{e}d2");
    d.check("ZREM", "{e}d2", longMember);
    d.check("OBJECT", "ENCODING", "{e}d2");
    fill("{e}many", 130);
    d.check("OBJECT", "ENCODING", "{e}many");
    d.check("ZREMRANGEBYRANK", "{e}many", "0", "100");
    d.check("OBJECT", "ENCODING", "{e}many");
    d.check("ZUNIONSTORE", "{e}u", "1", "{e}many");
    d.check("OBJECT", "ENCODING", "{e}u");
    fill("{e}l128", 128);
    d.check("OBJECT", "ENCODING", "{e}l128");
    d.check("ZADD", "{e}l128", "1", "m1");
    d.check("OBJECT", "ENCODING", "{e}l128");
    d.check("ZADD", "{e}l128", "1", "new");
    d.check("OBJECT", "ENCODING", "{e}l128");
    d.check("ZADD", "{e}v64", "1", "x".repeat(64));
    d.check("OBJECT", "ENCODING", "{e}v64");
    d.check("ZRANGESTORE", "{e}r", "{e}many", "0", "5", "BYSCORE", "REV");
    d.check("ZRANGESTORE", "{e}r", "{e}many", "inf", "-inf", "BYSCORE", "REV", "LIMIT", "2", "3");
    d.check("ZRANGE", "{e}r", "0", "-1", "WITHSCORES");
    d.check("ZRANGESTORE", "{e}r", "{e}many", "0", "5", "WITHSCORES");
    d.check("ZRANGESTORE", "{e}r", "{e}nokey", "0", "-1");
    d.check("EXISTS", "{e}r");
    d.check("ZRANGESTORE", "{e}r", "{e}many", "200", "300");
    d.check("ZRANGESTORE", "{e}r", "{e}many", "[a", "[b", "BYLEX");
    d.check("SET", "{e}str", "v");
    d.check("ZRANGESTORE", "{e}r", "{e}str", "0", "-1");
    d.check("ZRANGESTORE", "{e}str", "{e}many", "0", "1");
    d.check("TYPE", "{e}str");
    d.check("ZRANGESTORE", "{e}r", "{e}many", "0");
  }

  @Test
  void randomMembers() throws Exception {
    d.check("ZADD", "z", "1", "a", "2", "b", "3", "c");
    String one = d.keyshard().call("ZRANDMEMBER", "z");
    assertTrue(List.of("\"a\"", "\"b\"", "\"c\"").contains(one), one);
    d.check("ZRANDMEMBER", "nokey");
    d.check("ZRANDMEMBER", "nokey", "5");
    d.check("ZRANDMEMBER", "z", "0");
    d.check(SORTED, "ZRANDMEMBER", "z", "3");
    d.check(SORTED, "ZRANDMEMBER", "z", "10");
    d.check(SORTED, "ZRANDMEMBER", "z", "10", "WITHSCORES");
    d.check(SHAPE, "ZRANDMEMBER", "z", "2");
    d.check(SHAPE, "ZRANDMEMBER", "z", "-7");
    d.check(SHAPE, "ZRANDMEMBER", "z", "-7", "WITHSCORES");
    d.check("ZRANDMEMBER", "z", "x");
    d.check("ZRANDMEMBER", "z", "1", "BOGUS");
    d.check("ZRANDMEMBER", "z", "1", "WITHSCORES", "x");
    d.check("ZRANDMEMBER", "z", "-9223372036854775808");
    d.check("ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES");
    d.check("ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES");
    String picks = d.keyshard().call("ZRANDMEMBER", "z", "-50", "WITHSCORES");
    assertTrue(picks.matches("\\[(\"[abc]\", \"[123]\"(, )?)+\\]"), picks);
    // Scores always belong to their member.
    for (String pair : picks.substring(1, picks.length() - 1).split("(?<=\"), (?=\"[abc])")) {
      assertTrue(pair.equals("\"a\", \"1\"") || pair.equals("\"b\", \"2\"") || pair.equals("\"c\", \"3\""), pair);
    }
  }

  @Test
  void scan() throws Exception {
    d.check("ZADD", "z", "1", "a", "2.5", "b", "0.1", "c", "inf", "ab");
    d.check("ZSCAN", "z", "0");
    d.check("ZSCAN", "z", "0", "MATCH", "a*");
    d.check("ZSCAN", "z", "0", "COUNT", "100", "MATCH", "*b");
    d.check("ZSCAN", "z", "0", "COUNT", "0");
    d.check("ZSCAN", "z", "0", "COUNT", "x");
    d.check("ZSCAN", "z", "0", "MATCH");
    d.check("ZSCAN", "z", "0", "BOGUS", "1");
    d.check("ZSCAN", "z", "x");
    d.check("ZSCAN", "nokey", "0");
    d.check("ZSCAN", "nokey", "0", "BOGUS");
  }

  @Test
  void wrongTypeBothWays() throws Exception {
    d.check("SET", "s", "v");
    String[][] zcmds = {
      cmd("ZADD", "s", "1", "a"), cmd("ZINCRBY", "s", "1", "a"), cmd("ZREM", "s", "a"),
      cmd("ZCARD", "s"), cmd("ZSCORE", "s", "a"), cmd("ZMSCORE", "s", "a"), cmd("ZRANK", "s", "a"),
      cmd("ZREVRANK", "s", "a"), cmd("ZRANGE", "s", "0", "-1"), cmd("ZREVRANGE", "s", "0", "-1"),
      cmd("ZRANGEBYSCORE", "s", "0", "1"), cmd("ZREVRANGEBYSCORE", "s", "1", "0"),
      cmd("ZRANGEBYLEX", "s", "-", "+"), cmd("ZREVRANGEBYLEX", "s", "+", "-"),
      cmd("ZCOUNT", "s", "0", "1"), cmd("ZLEXCOUNT", "s", "-", "+"), cmd("ZPOPMIN", "s"),
      cmd("ZPOPMAX", "s", "2"), cmd("ZREMRANGEBYRANK", "s", "0", "1"),
      cmd("ZREMRANGEBYSCORE", "s", "0", "1"), cmd("ZREMRANGEBYLEX", "s", "-", "+"),
      cmd("ZRANDMEMBER", "s"), cmd("ZRANDMEMBER", "s", "2"), cmd("ZSCAN", "s", "0"),
      cmd("ZUNION", "1", "s"), cmd("ZINTER", "1", "s"), cmd("ZDIFF", "1", "s"),
      cmd("ZINTERCARD", "1", "s"), cmd("ZMPOP", "1", "s", "MIN"), cmd("BZPOPMIN", "s", "0"),
      cmd("BZMPOP", "0", "1", "s", "MAX")
    };
    for (String[] c : zcmds) {
      d.check(c);
    }
    d.check("ZADD", "z", "1", "a");
    for (String[] c :
        new String[][] {
          cmd("GET", "z"), cmd("APPEND", "z", "x"), cmd("INCR", "z"), cmd("HGET", "z", "a"),
          cmd("HSET", "z", "a", "1"), cmd("STRLEN", "z")
        }) {
      d.check(c);
    }
    d.check("TYPE", "z");
    d.check("OBJECT", "ENCODING", "z");
  }

  @Test
  void arity() throws Exception {
    for (String c :
        List.of(
            "ZADD", "ZINCRBY", "ZREM", "ZCARD", "ZSCORE", "ZMSCORE", "ZRANK", "ZREVRANK", "ZCOUNT",
            "ZLEXCOUNT", "ZRANGE", "ZRANGESTORE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE",
            "ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZREMRANGEBYRANK", "ZREMRANGEBYSCORE",
            "ZREMRANGEBYLEX", "ZPOPMIN", "ZPOPMAX", "BZPOPMIN", "BZPOPMAX", "ZMPOP", "BZMPOP",
            "ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZINTERCARD",
            "ZRANDMEMBER", "ZSCAN")) {
      d.check(c);
      d.check(c, "k");
    }
    d.check("ZCARD", "a", "b");
    d.check("ZSCORE", "a", "b", "c");
    d.check("ZRANK", "a", "b", "c");
    d.check("ZINCRBY", "a", "1", "b", "c");
  }

  @Test
  void resp3Shapes() throws Exception {
    d.both("HELLO", "3");
    d.check("ZADD", "z", "1", "a", "0.1", "b", "inf", "c", "-1e20", "d", "1.5e-7", "e");
    d.check("ZSCORE", "z", "b");
    d.check("ZSCORE", "z", "c");
    d.check("ZSCORE", "z", "missing");
    d.check("ZMSCORE", "z", "a", "missing", "d");
    d.check("ZINCRBY", "z", "1", "e");
    d.check("ZADD", "z", "INCR", "2", "a");
    d.check("ZADD", "z", "NX", "INCR", "2", "a");
    d.check("ZRANGE", "z", "0", "-1", "WITHSCORES");
    d.check("ZRANGE", "z", "0", "-1");
    d.check("ZRANGEBYSCORE", "z", "-inf", "inf", "WITHSCORES", "LIMIT", "1", "2");
    d.check("ZREVRANGE", "z", "0", "1", "WITHSCORES");
    d.check("ZRANK", "z", "a");
    d.check("ZUNION", "1", "z", "WITHSCORES");
    d.check("ZINTER", "1", "z", "WITHSCORES");
    d.check("ZDIFF", "1", "z", "WITHSCORES");
    d.check("ZSCAN", "z", "0");
    d.check(SORTED, "ZRANDMEMBER", "z", "10");
    d.check(SHAPE, "ZRANDMEMBER", "z", "-2", "WITHSCORES");
    d.check(SHAPE, "ZRANDMEMBER", "z", "2", "WITHSCORES");
    d.check("ZRANDMEMBER", "nokey");
    d.check("ZPOPMIN", "z");
    d.check("ZPOPMIN", "z", "1");
    d.check("ZPOPMAX", "z", "2");
    d.check("ZPOPMAX", "nokey");
    d.check("ZPOPMAX", "nokey", "2");
    d.check("ZADD", "z", "3", "x", "4", "y");
    d.check("ZMPOP", "1", "z", "MIN");
    d.check("ZMPOP", "1", "z", "MAX", "COUNT", "2");
    d.check("ZMPOP", "1", "nokey", "MAX");
    d.check("ZADD", "z", "3", "x", "4", "y");
    d.check("BZPOPMIN", "z", "0");
    d.check("BZMPOP", "0", "1", "z", "MIN");
    d.check("MULTI");
    d.check("BZPOPMAX", "nokey", "0");
    d.check("BZMPOP", "0", "1", "nokey", "MIN");
    d.check("EXEC");
    d.check("ZADD", "z", "3", "x", "4", "y");
    d.check("ZINCRBY", "z", "-inf", "x");
    d.check("ZINCRBY", "z", "inf", "x");
  }

  @Test
  void crossSlotCommands() throws Exception {
    // "a", "b", "c", "d" hash to four different slots.
    d.check("ZADD", "a", "1", "x", "2", "y", "3", "z");
    d.check("ZADD", "b", "10", "y", "20", "z", "30", "w");
    d.check("SET", "str", "v");
    for (int round = 0; round < 2; round++) {
      boolean multi = round == 1;
      if (multi) {
        d.check("MULTI");
      }
      d.check("ZUNIONSTORE", "c", "2", "a", "b", "WEIGHTS", "2", "1");
      d.check("ZINTERSTORE", "d", "2", "a", "b", "AGGREGATE", "MAX");
      d.check("ZDIFFSTORE", "e", "2", "a", "b");
      d.check("ZRANGESTORE", "f", "a", "0", "1");
      d.check("ZUNION", "2", "a", "b", "WITHSCORES");
      d.check("ZINTER", "2", "a", "b", "WITHSCORES");
      d.check("ZDIFF", "2", "b", "a");
      d.check("ZINTERCARD", "2", "a", "b");
      d.check("ZUNIONSTORE", "c2", "2", "a", "str");
      d.check("ZUNIONSTORE", "c3", "2", "nokey", "nokey2");
      d.check("ZINTERSTORE", "c", "x", "a", "b");
      d.check("ZMPOP", "2", "nokey", "a", "MIN", "COUNT", "2");
      d.check("BZPOPMAX", "nokey", "b", "0");
      d.check("BZMPOP", "0", "2", "nokey", "b", "MIN");
      d.check("BZPOPMIN", "nokey", "str", "0");
      if (multi) {
        d.check("BZPOPMIN", "nokey", "nokey2", "0"); // never blocks inside MULTI
      }
      d.check("ZRANGE", "c", "0", "-1", "WITHSCORES");
      d.check("ZRANGE", "d", "0", "-1", "WITHSCORES");
      d.check("ZRANGE", "e", "0", "-1", "WITHSCORES");
      d.check("ZRANGE", "f", "0", "-1", "WITHSCORES");
      d.check("EXISTS", "c2", "c3");
      if (multi) {
        d.check("EXEC");
      }
      d.check("ZADD", "a", "1", "x", "2", "y", "3", "z");
      d.check("ZADD", "b", "10", "y", "20", "z", "30", "w");
    }
    // The destination may be one of the sources.
    d.check("ZUNIONSTORE", "a", "2", "a", "b");
    d.check("ZRANGE", "a", "0", "-1", "WITHSCORES");
    d.check("ZINTERSTORE", "a", "2", "nokey", "b");
    d.check("EXISTS", "a");
    // A destination in another slot is replaced whatever it held, its expiry dropped.
    d.check("SET", "c", "string");
    d.check("EXPIRE", "c", "100");
    d.check("ZUNIONSTORE", "c", "1", "b");
    d.check("TYPE", "c");
    d.check("TTL", "c");
    d.check("ZRANGESTORE", "d", "b", "0", "0");
    d.check("ZRANGESTORE", "b", "d", "0", "-1");
    d.check("ZRANGE", "b", "0", "-1", "WITHSCORES");
  }

  @Test
  void sortedSetsSurviveARestart() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-zsets");
    RawClient redis = d.redis();
    List<String[]> writes = new ArrayList<>();
    // More writes than a slot takes between snapshots, so recovery uses a snapshot and events.
    for (int i = 0; i < 1100; i++) {
      writes.add(cmd("ZADD", "big", Integer.toString(i % 97), "m" + i));
    }
    writes.add(cmd("ZREM", "big", "m0"));
    writes.add(cmd("ZINCRBY", "big", "0.1", "f"));
    writes.add(cmd("ZINCRBY", "big", "0.2", "f"));
    writes.add(cmd("ZPOPMIN", "big", "3"));
    writes.add(cmd("ZREMRANGEBYSCORE", "big", "90", "(92"));
    writes.add(cmd("ZADD", "small", "1", "a", "-inf", "b", "0.1", "c"));
    writes.add(cmd("ZADD", "{small}x", "1", "x", "2", "y"));
    writes.add(cmd("ZUNIONSTORE", "{small}u", "1", "{small}x", "WEIGHTS", "3"));
    writes.add(cmd("ZADD", "{small}sk", "1", "z".repeat(80)));
    writes.add(cmd("SELECT", "2"));
    writes.add(cmd("ZADD", "other", "5", "y"));
    writes.add(cmd("SELECT", "0"));
    try (TestNode n = TestNode.start(dir, Map.of());
        RawClient c = new RawClient(n.port())) {
      for (String[] w : writes) {
        assertEquals(redis.call(w), c.call(w), String.join(" ", w));
      }
    }
    String[][] reads = {
      cmd("TYPE", "big"), cmd("ZCARD", "big"), cmd("ZSCORE", "big", "f"), cmd("ZSCORE", "big", "m0"),
      cmd("ZRANGE", "big", "0", "-1", "WITHSCORES"), cmd("ZRANK", "big", "m1095"),
      cmd("OBJECT", "ENCODING", "big"), cmd("OBJECT", "ENCODING", "small"),
      cmd("ZRANGE", "small", "0", "-1", "WITHSCORES"), cmd("ZRANGE", "{small}u", "0", "-1", "WITHSCORES"),
      cmd("OBJECT", "ENCODING", "{small}u"), cmd("OBJECT", "ENCODING", "{small}sk"),
      cmd("SELECT", "2"), cmd("ZSCORE", "other", "y"), cmd("SELECT", "0")
    };
    try (TestNode n = TestNode.start(dir, Map.of());
        RawClient c = new RawClient(n.port())) {
      for (String[] r : reads) {
        assertEquals(redis.call(r), c.call(r), String.join(" ", r));
      }
    }
  }
}
