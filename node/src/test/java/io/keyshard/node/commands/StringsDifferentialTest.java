package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.node.testing.DifferentialTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every string command against a real redis-server: replies compared exactly, error texts
 * included. Keys of multi-key commands that need one slot share a hash tag ({t}); MGET and MSET
 * are also run over keys in different slots, which Keyshard splits per slot and must still
 * answer as Redis does. Times to live are compared within a second.
 */
@Timeout(60)
class StringsDifferentialTest extends DifferentialTestBase {

  static final UnaryOperator<String> TTL_100 = near(100, 1);
  static final UnaryOperator<String> PTTL_100 = near(100_000, 1_000);

  @Test
  void setWithOptions() throws Exception {
    assertEquals("+OK", d.check("SET", "k", "v"));
    assertEquals("\"v\"", d.check("GET", "k"));
    d.check("SET", "k", "v2", "NX");
    d.check("SET", "n", "v", "NX");
    d.check("SET", "x", "v", "XX");
    d.check("EXISTS", "x");
    d.check("SET", "k", "v3", "XX");
    d.check("GET", "k");
    d.check("set", "k", "v4", "nx");
    d.check("SET", "k", "v5", "GET");
    d.check("SET", "missing", "v", "GET");
    d.check("GET", "missing");
    d.check("SET", "k", "v6", "NX", "GET");
    d.check("GET", "k");
    d.check("SET", "none", "v", "XX", "GET");
    d.check("EXISTS", "none");
    d.check("SET", "k", "v7", "XX", "GET");
    d.check("SET", "k", "v", "GET", "EX", "100");
    d.check(TTL_100, "TTL", "k");
    d.check("SET", "k", "", "GET");
    d.check("GET", "k");
    d.check("STRLEN", "k");
  }

  @Test
  void setExpiryOptions() throws Exception {
    d.check("SET", "k", "v", "EX", "100");
    d.check(TTL_100, "TTL", "k");
    d.check(PTTL_100, "PTTL", "k");
    d.check("SET", "k", "v", "PX", "100000");
    d.check(PTTL_100, "PTTL", "k");
    long at = System.currentTimeMillis() / 1000 + 100;
    d.check("SET", "k", "v", "EXAT", Long.toString(at));
    d.check("EXPIRETIME", "k");
    d.check("SET", "k", "v", "PXAT", Long.toString(at * 1000 + 123));
    d.check("PEXPIRETIME", "k");
    d.check("EXPIRETIME", "k");
    // A time already past still answers OK; the key is born expired.
    d.check("SET", "past", "v", "EXAT", "1");
    d.check("GET", "past");
    d.check("SET", "past", "v", "PXAT", "1000");
    d.check("EXISTS", "past");
    // Repeating the same option is allowed; the last value wins.
    d.check("SET", "k", "v", "EX", "5", "EX", "100");
    d.check(TTL_100, "TTL", "k");
    d.check("set", "k", "v", "ex", "100", "nx");
    d.check("set", "k", "v", "px", "100000", "xx");
    d.check(PTTL_100, "PTTL", "k");
    // KEEPTTL keeps it, a plain SET drops it.
    d.check("SET", "k", "v2", "KEEPTTL");
    d.check(TTL_100, "TTL", "k");
    d.check("GET", "k");
    d.check("SET", "k", "v3");
    d.check("TTL", "k");
    d.check("SET", "fresh", "v", "KEEPTTL");
    d.check("TTL", "fresh");
    d.check("SET", "k", "v", "EX", "100", "GET");
    d.check("SET", "k", "v", "KEEPTTL", "GET", "XX");
    d.check(TTL_100, "TTL", "k");
  }

  @Test
  void setBadCombinationsAndValues() throws Exception {
    d.check("SET", "k");
    d.check("SET");
    d.check("SET", "k", "v", "NX", "XX");
    d.check("SET", "k", "v", "XX", "NX");
    d.check("SET", "k", "v", "EX", "10", "PX", "100");
    d.check("SET", "k", "v", "PX", "10", "EX", "100");
    d.check("SET", "k", "v", "EX", "10", "EXAT", "100");
    d.check("SET", "k", "v", "PXAT", "10", "EXAT", "100");
    d.check("SET", "k", "v", "EX", "10", "KEEPTTL");
    d.check("SET", "k", "v", "KEEPTTL", "PX", "10");
    d.check("SET", "k", "v", "EX");
    d.check("SET", "k", "v", "PXAT");
    d.check("SET", "k", "v", "FOO");
    d.check("SET", "k", "v", "GET", "FOO");
    d.check("SET", "k", "v", "EX", "0");
    d.check("SET", "k", "v", "EX", "-1");
    d.check("SET", "k", "v", "PX", "0");
    d.check("SET", "k", "v", "PX", "-100");
    d.check("SET", "k", "v", "EXAT", "0");
    d.check("SET", "k", "v", "PXAT", "-1");
    d.check("SET", "k", "v", "EX", "abc");
    d.check("SET", "k", "v", "EX", "1.5");
    d.check("SET", "k", "v", "EX", " 10");
    d.check("SET", "k", "v", "EX", "9223372036854775807");
    d.check("SET", "k", "v", "EX", "9223372036854776");
    d.check("SET", "k", "v", "PX", "9223372036854775807");
    d.check("SET", "k", "v", "EX", "99999999999999999999");
    d.check("SET", "k", "v", "EXAT", "9223372036854775807");
    // Expiry errors come before NX/XX and before GET: nothing was written.
    d.check("SET", "k", "v", "NX", "EX", "0");
    d.check("SET", "k", "v", "GET", "EX", "0");
    d.check("EXISTS", "k");
  }

  @Test
  void setnxSetexPsetexGetsetGetdel() throws Exception {
    d.check("SETNX", "k", "a");
    d.check("SETNX", "k", "b");
    d.check("GET", "k");
    d.check("SETNX", "k");
    d.check("SETEX", "k", "100", "v");
    d.check(TTL_100, "TTL", "k");
    d.check("GET", "k");
    d.check("SETEX", "k", "0", "v");
    d.check("SETEX", "k", "-5", "v");
    d.check("SETEX", "k", "abc", "v");
    d.check("SETEX", "k", "9223372036854775807", "v");
    d.check("SETEX", "k", "100");
    d.check("PSETEX", "p", "100000", "v");
    d.check(PTTL_100, "PTTL", "p");
    d.check("PSETEX", "p", "0", "v");
    d.check("PSETEX", "p", "-1", "v");
    d.check("PSETEX", "p", "9223372036854775807", "v");
    d.check("GET", "p");
    // GETSET drops the time to live.
    d.check("GETSET", "k", "new");
    d.check("TTL", "k");
    d.check("GET", "k");
    d.check("GETSET", "missing", "first");
    d.check("GET", "missing");
    d.check("GETSET", "k");
    d.check("GETDEL", "k");
    d.check("EXISTS", "k");
    d.check("GETDEL", "k");
    d.check("GETDEL", "k", "x");
  }

  @Test
  void getex() throws Exception {
    d.check("SET", "k", "v");
    d.check("GETEX", "k");
    d.check("TTL", "k");
    d.check("GETEX", "k", "EX", "100");
    d.check(TTL_100, "TTL", "k");
    d.check("GETEX", "k", "PX", "100000");
    d.check(PTTL_100, "PTTL", "k");
    long at = System.currentTimeMillis() / 1000 + 200;
    d.check("GETEX", "k", "EXAT", Long.toString(at));
    d.check("EXPIRETIME", "k");
    d.check("GETEX", "k", "PXAT", Long.toString(at * 1000 + 7));
    d.check("PEXPIRETIME", "k");
    d.check("GETEX", "k", "PERSIST");
    d.check("TTL", "k");
    d.check("GETEX", "k", "PERSIST");
    d.check("getex", "k", "persist", "persist");
    d.check("GETEX", "k", "EX", "0");
    d.check("GETEX", "k", "EX", "-1");
    d.check("GETEX", "k", "PX", "abc");
    d.check("GETEX", "k", "EX", "9223372036854775807");
    d.check("GETEX", "k", "EX", "10", "PX", "100");
    d.check("GETEX", "k", "EX", "10", "PERSIST");
    d.check("GETEX", "k", "PERSIST", "EX", "10");
    d.check("GETEX", "k", "EX");
    d.check("GETEX", "k", "KEEPTTL");
    d.check("GETEX", "k", "NX");
    d.check("GETEX", "k", "FOO");
    d.check("TTL", "k");
    // A missing key answers nil before its time argument is validated...
    d.check("GETEX", "missing", "EX", "0");
    d.check("GETEX", "missing", "EX", "abc");
    // ...but not before the option syntax is.
    d.check("GETEX", "missing", "FOO");
    d.check("GETEX", "missing", "EX", "1", "PX", "1");
    // A time already past removes the key.
    d.check("GETEX", "k", "PXAT", "1");
    d.check("EXISTS", "k");
    d.check("SET", "k", "v");
    d.check("GETEX", "k", "EXAT", "1");
    d.check("GET", "k");
    d.check("GETEX");
  }

  @Test
  void mgetMsetMsetnxInOneSlot() throws Exception {
    d.check("MSET", "{t}a", "1", "{t}b", "2", "{t}c", "3");
    d.check("MGET", "{t}a", "{t}b", "{t}c", "{t}missing", "{t}a");
    d.check("MSET", "{t}a", "x", "{t}a", "y");
    d.check("GET", "{t}a");
    d.check("MSET", "{t}a", "1", "{t}b");
    d.check("MSET", "{t}a");
    d.check("MSET");
    d.check("MGET");
    d.check("MSETNX", "{t}d", "4", "{t}e", "5");
    d.check("MGET", "{t}d", "{t}e");
    d.check("MSETNX", "{t}e", "50", "{t}f", "6");
    d.check("MGET", "{t}e", "{t}f");
    d.check("MSETNX", "{t}g", "1", "{t}h");
    d.check("MSETNX", "{t}g");
    d.check("MSETNX", "{t}g", "1", "{t}g", "2");
    d.check("GET", "{t}g");
    // MSET drops the time to live of keys it overwrites.
    d.check("SET", "{t}a", "v", "EX", "100");
    d.check("MSET", "{t}a", "w", "{t}b", "w");
    d.check("TTL", "{t}a");
  }

  @Test
  void mgetMsetAcrossSlots() throws Exception {
    d.check("MSET", "a", "1", "b", "2", "c", "3", "d", "4");
    d.check("MGET", "a", "b", "c", "d");
    d.check("MGET", "d", "missing", "a", "c", "a", "nope", "b");
    d.check("MGET", "x", "y", "z");
    d.check("MSET", "a", "10", "b", "20", "a", "11");
    d.check("MGET", "a", "b");
    d.check("MSET", "a", "1", "b", "2", "c");
    d.check("MGET", "a", "b", "c");
    d.check("MSET", "a", "v", "{t}x", "v", "b", "v");
    d.check("MGET", "{t}x", "a", "{t}x", "b");
    d.check("SET", "a", "v", "EX", "100");
    d.check("MSET", "a", "w", "b", "w");
    d.check("TTL", "a");
    d.check("DBSIZE");
    // Many keys, most in slots of their own; and the same in another database.
    List<String> mset = new ArrayList<>(List.of("MSET"));
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      mset.add("many:" + i);
      mset.add("v" + i);
      keys.add("many:" + i);
    }
    keys.add("absent");
    String[] names = keys.toArray(new String[0]);
    for (String db : new String[] {"0", "3"}) {
      d.check("SELECT", db);
      d.check(mset.toArray(new String[0]));
      d.check(prepend("MGET", names));
      d.check(prepend("EXISTS", names));
      d.check(prepend("TOUCH", names));
      d.check("DBSIZE");
    }
    d.check(prepend("DEL", names));
    d.check("DBSIZE");
    d.check("SELECT", "0");
    d.check(prepend("UNLINK", names));
    d.check("DBSIZE");
  }

  static String[] prepend(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  @Test
  void appendAndStrlen() throws Exception {
    d.check("APPEND", "k", "Hello");
    d.check("APPEND", "k", " World");
    d.check("GET", "k");
    d.check("STRLEN", "k");
    d.check("STRLEN", "missing");
    d.check("APPEND", "k", "");
    d.check("STRLEN", "k");
    d.check("APPEND", "e", "");
    d.check("EXISTS", "e");
    d.check("GET", "e");
    d.check("SET", "n", "12345");
    d.check("STRLEN", "n");
    d.check("APPEND", "n", "6");
    d.check("GET", "n");
    d.check("OBJECT", "ENCODING", "n");
    d.check("APPEND", "fresh", "5");
    d.check("OBJECT", "ENCODING", "fresh");
    d.check("SET", "t", "x", "EX", "100");
    d.check("APPEND", "t", "y");
    d.check(TTL_100, "TTL", "t");
    d.check("APPEND", "k");
    d.check("STRLEN");
    d.check("STRLEN", "a", "b");
  }

  @Test
  void counters() throws Exception {
    assertEquals(":1", d.check("INCR", "c"));
    d.check("INCR", "c");
    d.check("DECR", "c");
    d.check("DECR", "d");
    d.check("INCRBY", "c", "10");
    d.check("INCRBY", "c", "-100");
    d.check("DECRBY", "c", "5");
    d.check("DECRBY", "c", "-5");
    d.check("GET", "c");
    d.check("OBJECT", "ENCODING", "c");
    d.check("INCRBY", "c", "abc");
    d.check("INCRBY", "c", "1.5");
    d.check("INCRBY", "c", "");
    d.check("INCRBY", "c", "9223372036854775808");
    d.check("DECRBY", "c", "-9223372036854775809");
    d.check("INCR", "c", "1");
    d.check("INCRBY", "c");
    for (String bad : new String[] {"abc", " 1", "1 ", "+1", "01", "-0", "1.0", "1e3", "", "0x10",
        "9223372036854775808", "-9223372036854775809", "123456789012345678901"}) {
      d.check("SET", "s", bad);
      d.check("INCR", "s");
      d.check("DECRBY", "s", "1");
      d.check("GET", "s");
    }
    d.check("SET", "m", "9223372036854775807");
    d.check("INCR", "m");
    d.check("INCRBY", "m", "0");
    d.check("DECR", "m");
    d.check("INCRBY", "m", "2");
    d.check("SET", "m", "-9223372036854775808");
    d.check("DECR", "m");
    d.check("DECRBY", "m", "1");
    d.check("INCRBY", "m", "-1");
    d.check("INCR", "m");
    d.check("GET", "m");
    d.check("SET", "m", "0");
    d.check("DECRBY", "m", "-9223372036854775808");
    d.check("INCRBY", "m", "-9223372036854775808");
    d.check("DECRBY", "m", "9223372036854775807");
    d.check("GET", "m");
    // Counters keep the key's time to live.
    d.check("SET", "t", "1", "EX", "100");
    d.check("INCR", "t");
    d.check("INCRBY", "t", "5");
    d.check("DECR", "t");
    d.check(TTL_100, "TTL", "t");
    d.check("GET", "t");
    // Shared small integers, as Redis reports them.
    d.check("SET", "r", "20000");
    d.check("INCR", "r");
    d.check("OBJECT", "ENCODING", "r");
    d.check("OBJECT", "REFCOUNT", "r");
  }

  @Test
  void incrbyfloat() throws Exception {
    d.check("INCRBYFLOAT", "f", "1.5");
    d.check("INCRBYFLOAT", "f", "0.1");
    d.check("INCRBYFLOAT", "f", "-1.6");
    d.check("GET", "f");
    d.check("SET", "f", "10.50");
    d.check("INCRBYFLOAT", "f", "0.1");
    d.check("INCRBYFLOAT", "f", "-5.0e3");
    d.check("INCRBYFLOAT", "f", "5.0e3");
    d.check("SET", "f", "5.0e3");
    d.check("INCRBYFLOAT", "f", "2.0e2");
    d.check("SET", "f", "0.1");
    d.check("INCRBYFLOAT", "f", "0.2");
    d.check("SET", "f", "3");
    d.check("INCRBYFLOAT", "f", "1e20");
    d.check("INCRBYFLOAT", "f", "1e-20");
    d.check("INCRBYFLOAT", "g", "0.333333333333333333333");
    d.check("INCRBYFLOAT", "g", "-0.333333333333333333333");
    d.check("INCRBYFLOAT", "h", "-7");
    d.check("INCRBYFLOAT", "h", "0x10");
    d.check("INCRBYFLOAT", "h", "1.23456789012345678901234567890");
    d.check("INCRBYFLOAT", "i", "12345678901234567890.5");
    d.check("INCRBYFLOAT", "j", "1e300");
    d.check("INCRBYFLOAT", "j", "1e300");
    d.check("INCRBYFLOAT", "k", "-1e-300");
    d.check("GET", "k");
    for (String bad : new String[] {"abc", "", " 1", "1 ", "inf", "-inf", "+inf", "nan",
        "1e", "e1", ".", "1..2", "1,5", "1e99999", "Infinity"}) {
      d.check("INCRBYFLOAT", "f", bad);
    }
    d.check("GET", "f");
    d.check("SET", "s", "abc");
    d.check("INCRBYFLOAT", "s", "1");
    d.check("SET", "s", "1 ");
    d.check("INCRBYFLOAT", "s", "1");
    d.check("SET", "s", "inf");
    d.check("INCRBYFLOAT", "s", "1");
    d.check("INCRBYFLOAT", "f");
    d.check("SET", "t", "1.5", "EX", "100");
    d.check("INCRBYFLOAT", "t", "1");
    d.check(TTL_100, "TTL", "t");
    d.check("OBJECT", "ENCODING", "t");
  }

  @Test
  void getrangeAndSubstr() throws Exception {
    d.check("SET", "k", "Hello World");
    for (String cmd : new String[] {"GETRANGE", "SUBSTR"}) {
      for (String[] r : new String[][] {{"0", "4"}, {"-5", "-1"}, {"0", "-1"}, {"5", "3"},
          {"100", "200"}, {"-100", "-50"}, {"-100", "3"}, {"3", "-100"}, {"-1", "-5"},
          {"10", "10"}, {"11", "11"}, {"0", "9223372036854775807"},
          {"-9223372036854775808", "-1"}, {"0", "0"}, {"-1", "-1"}}) {
        d.check(cmd, "k", r[0], r[1]);
      }
      d.check(cmd, "k", "a", "1");
      d.check(cmd, "k", "0", "1.5");
      d.check(cmd, "missing", "0", "-1");
      d.check(cmd, "missing", "a", "-1");
      d.check(cmd, "k", "0");
    }
    d.check("SET", "n", "12345");
    d.check("GETRANGE", "n", "1", "3");
    d.check("SET", "e", "");
    d.check("GETRANGE", "e", "0", "-1");
    d.check("GETRANGE", "e", "-1", "0");
  }

  @Test
  void setrange() throws Exception {
    d.check("SET", "k", "Hello World");
    d.check("SETRANGE", "k", "6", "Redis");
    d.check("GET", "k");
    d.check("SETRANGE", "k", "20", "!");
    d.check("GET", "k");
    d.check("STRLEN", "k");
    d.check("SETRANGE", "new", "5", "abc");
    d.check("GET", "new");
    d.check("SETRANGE", "new", "0", "");
    d.check("SETRANGE", "new", "100", "");
    d.check("STRLEN", "new");
    d.check("SETRANGE", "none", "0", "");
    d.check("SETRANGE", "none", "10", "");
    d.check("EXISTS", "none");
    d.check("SETRANGE", "k", "-1", "x");
    d.check("SETRANGE", "none", "-1", "");
    d.check("SETRANGE", "k", "abc", "x");
    d.check("SETRANGE", "k", "536870911", "xx");
    d.check("SETRANGE", "k", "536870912", "x");
    d.check("SETRANGE", "none", "536870912", "x");
    d.check("EXISTS", "none");
    d.check("SET", "n", "1234");
    d.check("SETRANGE", "n", "1", "9");
    d.check("GET", "n");
    d.check("OBJECT", "ENCODING", "n");
    d.check("SET", "t", "abc", "EX", "100");
    d.check("SETRANGE", "t", "1", "X");
    d.check(TTL_100, "TTL", "t");
    d.check("SETRANGE", "k", "1");
  }

  @Test
  void lcs() throws Exception {
    d.check("MSET", "{t}a", "ohmytext", "{t}b", "mynewtext");
    d.check("LCS", "{t}a", "{t}b");
    d.check("LCS", "{t}a", "{t}b", "LEN");
    d.check("LCS", "{t}a", "{t}b", "IDX");
    d.check("LCS", "{t}a", "{t}b", "IDX", "MINMATCHLEN", "4");
    d.check("LCS", "{t}a", "{t}b", "IDX", "WITHMATCHLEN");
    d.check("LCS", "{t}a", "{t}b", "IDX", "MINMATCHLEN", "2", "WITHMATCHLEN");
    d.check("lcs", "{t}a", "{t}b", "idx", "minmatchlen", "-5", "withmatchlen");
    d.check("LCS", "{t}a", "{t}b", "LEN", "IDX");
    d.check("LCS", "{t}a", "{t}b", "IDX", "LEN");
    d.check("LCS", "{t}a", "{t}b", "LEN", "WITHMATCHLEN");
    d.check("LCS", "{t}a", "{t}b", "FOO");
    d.check("LCS", "{t}a", "{t}b", "MINMATCHLEN");
    d.check("LCS", "{t}a", "{t}b", "IDX", "MINMATCHLEN", "abc");
    d.check("LCS", "{t}a", "{t}missing");
    d.check("LCS", "{t}missing", "{t}b", "IDX");
    d.check("LCS", "{t}missing", "{t}nope", "LEN");
    d.check("LCS", "{t}a", "{t}a", "IDX", "WITHMATCHLEN");
    d.check("MSET", "{t}x", "rosettacode", "{t}y", "raisethysword");
    d.check("LCS", "{t}x", "{t}y");
    d.check("LCS", "{t}x", "{t}y", "IDX", "WITHMATCHLEN");
    d.check("MSET", "{t}x", "ABCBDAB", "{t}y", "BDCABA");
    d.check("LCS", "{t}x", "{t}y");
    d.check("LCS", "{t}y", "{t}x", "IDX");
    d.check("MSET", "{t}x", "aaaa", "{t}y", "aa");
    d.check("LCS", "{t}x", "{t}y", "IDX", "WITHMATCHLEN");
    d.check("MSET", "{t}x", "", "{t}y", "abc");
    d.check("LCS", "{t}x", "{t}y", "IDX");
    d.check("LCS", "{t}a");
  }

  @Test
  void wrongArityAndCase() throws Exception {
    d.check("GET");
    d.check("GET", "a", "b");
    d.check("get", "k");
    d.check("GeT", "k");
    d.check("SETNX", "k", "v", "x");
    d.check("SETEX", "k", "1", "v", "x");
    d.check("GETSET", "k", "v", "x");
    d.check("INCR");
    d.check("DECRBY", "k", "1", "2");
    d.check("INCRBYFLOAT", "k", "1", "2");
    d.check("GETRANGE", "k", "0", "1", "2");
    d.check("SETRANGE", "k", "0", "v", "x");
    d.check("LCS");
    d.check("APPEND", "k", "v", "x");
  }

  @Test
  void binaryAndLongValues() throws Exception {
    StringBuilder big = new StringBuilder();
    for (int i = 0; i < 10_000; i++) {
      big.append((char) ('a' + i % 26));
    }
    d.check("SET", "big", big.toString());
    d.check("STRLEN", "big");
    d.check("GETRANGE", "big", "9990", "-1");
    d.check("APPEND", "big", "!");
    d.check("OBJECT", "ENCODING", "big");
    String fortyFour = "x".repeat(44);
    d.check("SET", "e44", fortyFour);
    d.check("OBJECT", "ENCODING", "e44");
    d.check("SET", "e45", fortyFour + "y");
    d.check("OBJECT", "ENCODING", "e45");
    d.check("SET", "nl", "a\r\nb\u0000c");
    d.check("GET", "nl");
    d.check("STRLEN", "nl");
    d.check("SET", "utf", "\u00e9\u4e2d\ud83d\ude00");
    d.check("STRLEN", "utf");
    d.check("GETRANGE", "utf", "0", "1");
  }
}
