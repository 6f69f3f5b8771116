package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.StringValue;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * String commands run directly against a slot's state. Expected replies were taken from
 * redis-server 7.0.15; every test ends by replaying its journal into a fresh state.
 */
class StringCommandsTest {
  private static final String INVALID_SET = "-ERR invalid expire time in 'set' command";
  private static final String SYNTAX = "-ERR syntax error";
  private static final String NOT_INT = "-ERR value is not an integer or out of range";
  private static final String NOT_FLOAT = "-ERR value is not a valid float";
  private static final String TOO_BIG =
      "-ERR string exceeds maximum allowed size (proto-max-bulk-len)";

  private final SlotHarness h = new SlotHarness();

  @AfterEach
  void replayGivesTheSameState() {
    h.assertReplayMatches();
  }

  private String r(String... args) {
    return h.r(args);
  }

  private long expireAt(String key) {
    return h.raw(h.db, key).expireAt;
  }

  // ---------------------------------------------------------------- GET / SET

  @Test
  void getAndSetAreBinarySafe() {
    byte[] key = {0, 'k', (byte) 0xff};
    byte[] value = {0, '\r', '\n', (byte) 0xfe, 0};
    assertEquals("+OK", SlotHarness.render(h.call("set".getBytes(), key, value)));
    Reply got = h.call("get".getBytes(), key);
    assertArrayEquals(value, ((Reply.Bulk) got).value());
    assertEquals("nil", r("get", "missing"));
    assertEquals(":5", SlotHarness.render(h.call("strlen".getBytes(), key)));
  }

  @Test
  void setRelativeAndAbsoluteExpiries() {
    assertEquals("+OK", r("set", "k", "v", "ex", "10"));
    assertEquals(h.now + 10_000, expireAt("k"));
    assertEquals("+OK", r("set", "k", "v", "px", "1500"));
    assertEquals(h.now + 1_500, expireAt("k"));
    assertEquals("+OK", r("set", "k", "v", "exat", "2000000000"));
    assertEquals(2_000_000_000_000L, expireAt("k"));
    assertEquals("+OK", r("set", "k", "v", "PXAT", "2000000000123"));
    assertEquals(2_000_000_000_123L, expireAt("k"));
    assertEquals("+OK", r("set", "k", "v"));
    assertEquals(0, expireAt("k"));
    // The largest absolute times are accepted.
    assertEquals("+OK", r("set", "k", "v", "pxat", "9223372036854775807"));
    assertEquals(Long.MAX_VALUE, expireAt("k"));
    assertEquals("+OK", r("set", "k", "v", "exat", "9223372036854775"));
    assertEquals(9_223_372_036_854_775_000L, expireAt("k"));
  }

  @Test
  void setRepeatedExpiryOptionLastWins() {
    assertEquals("+OK", r("set", "k", "v", "EX", "10", "ex", "20"));
    assertEquals(h.now + 20_000, expireAt("k"));
    assertEquals(NOT_INT, r("set", "k", "v", "ex", "10", "ex", "abc"));
    assertEquals("+OK", r("set", "k", "v", "keepttl", "keepttl"));
    assertEquals("$v", r("set", "k", "v", "get", "get"));
  }

  @Test
  void setOptionConflictsAreSyntaxErrors() {
    for (String[] opts :
        List.of(
            new String[] {"ex", "10", "px", "10"},
            new String[] {"nx", "xx"},
            new String[] {"xx", "nx"},
            new String[] {"nx", "xx", "get"},
            new String[] {"keepttl", "ex", "10"},
            new String[] {"ex", "10", "keepttl"},
            new String[] {"ex", "10", "exat", "10"},
            new String[] {"pxat", "10", "px", "10"},
            new String[] {"get", "keepttl", "exat", "1"},
            new String[] {"ex"},
            new String[] {"ex", "10", "px"},
            new String[] {"persist"},
            new String[] {"foo"})) {
      String[] args = new String[3 + opts.length];
      args[0] = "set";
      args[1] = "k";
      args[2] = "v";
      System.arraycopy(opts, 0, args, 3, opts.length);
      assertEquals(SYNTAX, r(args), String.join(" ", args));
    }
    assertEquals("nil", r("get", "k"));
  }

  @Test
  void setInvalidExpireTimes() {
    assertEquals(INVALID_SET, r("set", "k", "v", "ex", "0"));
    assertEquals(INVALID_SET, r("set", "k", "v", "ex", "-1"));
    assertEquals(INVALID_SET, r("set", "k", "v", "exat", "0"));
    assertEquals(INVALID_SET, r("set", "k", "v", "pxat", "0"));
    assertEquals(NOT_INT, r("set", "k", "v", "ex", "abc"));
    assertEquals(NOT_INT, r("set", "k", "v", "px", "1.5"));
    // Seconds beyond Long.MAX_VALUE / 1000 overflow when converted.
    assertEquals(INVALID_SET, r("set", "k", "v", "exat", "9223372036854776"));
    // Relative times overflow when added to the current time.
    assertEquals(INVALID_SET, r("set", "k", "v", "ex", "9223372036854775"));
    assertEquals(INVALID_SET, r("set", "k", "v", "px", "9223372036854775807"));
    assertEquals("+OK", r("set", "k", "v", "ex", "9223372036854"));
    assertEquals(
        "-ERR invalid expire time in 'setex' command", r("setex", "k", "0", "v"));
    assertEquals(
        "-ERR invalid expire time in 'setex' command",
        r("setex", "k", "9223372036854775807", "v"));
    assertEquals(
        "-ERR invalid expire time in 'psetex' command", r("psetex", "k", "-5", "v"));
    assertEquals(NOT_INT, r("setex", "k", "abc", "v"));
  }

  @Test
  void setNxXxAndGet() {
    assertEquals("nil", r("set", "k", "v", "xx"));
    assertEquals("nil", r("set", "k", "v", "xx", "get"));
    assertEquals("+OK", r("set", "k", "v1", "nx"));
    assertEquals("nil", r("set", "k", "v2", "nx"));
    // NX GET on an existing key answers the old value and sets nothing.
    assertEquals("$v1", r("set", "k", "v2", "nx", "get"));
    assertEquals("$v1", r("get", "k"));
    assertEquals("$v1", r("set", "k", "v3", "xx", "get"));
    assertEquals("$v3", r("set", "k", "v4", "get"));
    assertEquals("nil", r("set", "new", "x", "get"));
    assertEquals("$x", r("get", "new"));
  }

  @Test
  void keepTtlKeepsTheExpiryAndPlainSetDropsIt() {
    r("set", "k", "v", "ex", "100");
    assertEquals("$v", r("set", "k", "v2", "keepttl", "get"));
    assertEquals(h.now + 100_000, expireAt("k"));
    assertEquals("+OK", r("set", "k", "v3"));
    assertEquals(0, expireAt("k"));
    assertEquals("+OK", r("set", "fresh", "v", "keepttl"));
    assertEquals(0, expireAt("fresh"));
  }

  @Test
  void setWithAbsoluteTimeInThePastCreatesAnExpiredKey() {
    r("set", "k", "old");
    assertEquals("+OK", r("set", "k", "v", "pxat", "1"));
    assertEquals("nil", r("get", "k"));
    assertEquals("nil", r("set", "k", "w", "xx"));
  }

  @Test
  void setnxSetexPsetex() {
    assertEquals(":1", r("setnx", "k", "v"));
    assertEquals(":0", r("setnx", "k", "w"));
    assertEquals("$v", r("get", "k"));
    assertEquals("+OK", r("setex", "k", "10", "w"));
    assertEquals(h.now + 10_000, expireAt("k"));
    assertEquals("+OK", r("psetex", "k", "1500", "x"));
    assertEquals(h.now + 1_500, expireAt("k"));
    assertEquals("$x", r("get", "k"));
  }

  @Test
  void lazyExpiryOnWriteEmitsKeysExpiredFirst() {
    r("set", "k", "5", "px", "100");
    h.now += 100;
    assertEquals("nil", r("get", "k"));
    assertEquals(":1", r("incr", "k"));
    assertTrue(h.journal.stream().anyMatch(e -> e instanceof SlotEvent.KeysExpired));
    assertEquals(0, expireAt("k"));
  }

  // ---------------------------------------------------------------- GET variants

  @Test
  void getsetReturnsOldValueAndClearsTtl() {
    assertEquals("nil", r("getset", "k", "v"));
    r("expire", "k", "100");
    assertEquals("$v", r("getset", "k", "w"));
    assertEquals(0, expireAt("k"));
  }

  @Test
  void getdel() {
    r("set", "k", "v");
    assertEquals("$v", r("getdel", "k"));
    assertEquals("nil", r("getdel", "k"));
    assertNull(h.raw(0, "k"));
  }

  @Test
  void getexOptions() {
    assertEquals("nil", r("getex", "missing", "ex", "0"));
    assertEquals("nil", r("getex", "missing", "ex", "abc"));
    r("set", "k", "v");
    assertEquals("$v", r("getex", "k"));
    assertEquals("-ERR invalid expire time in 'getex' command", r("getex", "k", "ex", "0"));
    assertEquals(NOT_INT, r("getex", "k", "ex", "abc"));
    assertEquals(SYNTAX, r("getex", "k", "persist", "ex", "10"));
    assertEquals(SYNTAX, r("getex", "k", "ex", "10", "persist"));
    assertEquals(SYNTAX, r("getex", "k", "nx"));
    assertEquals(SYNTAX, r("getex", "k", "keepttl"));
    assertEquals(SYNTAX, r("getex", "k", "get"));
    assertEquals(SYNTAX, r("getex", "k", "ex"));
    assertEquals("$v", r("getex", "k", "ex", "10", "ex", "20"));
    assertEquals(h.now + 20_000, expireAt("k"));
    assertEquals("$v", r("getex", "k", "px", "500"));
    assertEquals(h.now + 500, expireAt("k"));
    assertEquals("$v", r("getex", "k", "exat", "2000000000"));
    assertEquals(2_000_000_000_000L, expireAt("k"));
    assertEquals("$v", r("getex", "k", "persist", "persist"));
    assertEquals(0, expireAt("k"));
    assertEquals("$v", r("getex", "k", "pxat", "9223372036854775807"));
    assertEquals(
        "-ERR invalid expire time in 'getex' command", r("getex", "k", "ex", "9223372036854775"));
    assertEquals(
        "-ERR invalid expire time in 'getex' command",
        r("getex", "k", "px", "9223372036854775807"));
    // An absolute time already past deletes the key after answering its value.
    assertEquals("$v", r("getex", "k", "exat", "1"));
    assertNull(h.raw(0, "k"));
  }

  @Test
  void getexPersistWithoutTtlEmitsNothing() {
    r("set", "k", "v");
    int before = h.journal.size();
    assertEquals("$v", r("getex", "k", "persist"));
    assertEquals(before, h.journal.size());
  }

  // ---------------------------------------------------------------- multi-key

  @Test
  void mgetAnswersNilForMissingKeys() {
    r("set", "a", "1");
    assertEquals("[$1,nil]", r("mget", "a", "missing"));
  }

  @Test
  void msetAndMsetnx() {
    assertEquals("-ERR wrong number of arguments for 'mset' command", r("mset", "a", "1", "b"));
    assertEquals(
        "-ERR wrong number of arguments for 'msetnx' command", r("msetnx", "a", "1", "b"));
    r("set", "a", "x", "ex", "100");
    assertEquals("+OK", r("mset", "a", "1", "b", "2", "a", "3"));
    assertEquals("[$3,$2]", r("mget", "a", "b"));
    assertEquals(0, expireAt("a"));
    assertEquals(":0", r("msetnx", "c", "1", "a", "9"));
    assertEquals("nil", r("get", "c"));
    assertEquals(":1", r("msetnx", "c", "1", "d", "2"));
    assertEquals("[$1,$2]", r("mget", "c", "d"));
  }

  // ---------------------------------------------------------------- APPEND, STRLEN, ranges

  @Test
  void appendCreatesThenExtendsAndKeepsTtl() {
    assertEquals(":1", r("append", "n", "5"));
    assertEquals("$int", r("object", "encoding", "n"));
    assertEquals(":3", r("append", "n", "23"));
    assertEquals("$523", r("get", "n"));
    assertEquals("$raw", r("object", "encoding", "n"));
    r("set", "k", "5", "ex", "100");
    assertEquals(":1", r("append", "k", ""));
    assertEquals("$raw", r("object", "encoding", "k"));
    assertEquals(h.now + 100_000, expireAt("k"));
  }

  @Test
  void strlen() {
    assertEquals(":0", r("strlen", "missing"));
    r("set", "k", "hello");
    assertEquals(":5", r("strlen", "k"));
  }

  @Test
  void getrangeFollowsRedis70Clamping() {
    r("set", "k", "Hello World");
    assertEquals("$Hell", r("getrange", "k", "0", "3"));
    assertEquals("$rld", r("getrange", "k", "-3", "-1"));
    assertEquals("$Hello World", r("getrange", "k", "0", "-1"));
    assertEquals("$d", r("getrange", "k", "10", "100"));
    assertEquals("$", r("getrange", "k", "-1", "-5"));
    assertEquals("$", r("getrange", "k", "5", "3"));
    // Both ends clamp to 0, so a range wholly before the start still yields the first byte.
    assertEquals("$H", r("getrange", "k", "-100", "-50"));
    assertEquals("$Hello World", r("getrange", "k", "-100", "100"));
    assertEquals("$Hello World", r("getrange", "k", "0", "9223372036854775807"));
    assertEquals("$Hell", r("substr", "k", "0", "3"));
    assertEquals("$", r("getrange", "missing", "0", "-1"));
    assertEquals(NOT_INT, r("getrange", "missing", "a", "b"));
    r("set", "e", "");
    assertEquals("$", r("getrange", "e", "0", "-1"));
    assertEquals("$", r("getrange", "e", "-1", "0"));
    r("set", "i", "12345");
    assertEquals("$23", r("getrange", "i", "1", "2"));
  }

  @Test
  void setrange() {
    assertEquals("-ERR offset is out of range", r("setrange", "k", "-1", "x"));
    assertEquals(NOT_INT, r("setrange", "k", "abc", "x"));
    assertEquals(TOO_BIG, r("setrange", "k", "536870912", "x"));
    assertEquals(TOO_BIG, r("setrange", "k", "536870911", "xx"));
    assertEquals(TOO_BIG, r("setrange", "k", "9223372036854775807", "x"));
    // Writing nothing at any offset of a missing key creates nothing.
    assertEquals(":0", r("setrange", "k", "536870912", ""));
    assertNull(h.raw(0, "k"));
    assertEquals(":5", r("setrange", "k", "2", "abc"));
    assertArrayEquals(new byte[] {0, 0, 'a', 'b', 'c'}, bytes("k"));
    assertEquals("$raw", r("object", "encoding", "k"));
    r("set", "h", "hello", "ex", "100");
    assertEquals(":5", r("setrange", "h", "536870912", ""));
    assertEquals(TOO_BIG, r("setrange", "h", "536870912", "x"));
    assertEquals(":7", r("setrange", "h", "6", "w"));
    assertArrayEquals("hello\0w".getBytes(StandardCharsets.ISO_8859_1), bytes("h"));
    assertEquals(":7", r("setrange", "h", "0", "J"));
    assertEquals("$Jello\0w", r("get", "h"));
    assertEquals(h.now + 100_000, expireAt("h"));
  }

  private byte[] bytes(String key) {
    return ((StringValue) h.raw(h.db, key).value).bytes();
  }

  // ---------------------------------------------------------------- counters

  @Test
  void incrDecrFamily() {
    assertEquals(":1", r("incr", "n"));
    assertEquals(":0", r("decr", "n"));
    assertEquals(":10", r("incrby", "n", "10"));
    assertEquals(":-5", r("decrby", "n", "15"));
    assertEquals(NOT_INT, r("incrby", "n", "abc"));
    assertEquals(NOT_INT, r("incrby", "n", "1.5"));
    r("set", "s", "abc");
    assertEquals(NOT_INT, r("incr", "s"));
    r("set", "s", " 1");
    assertEquals(NOT_INT, r("incr", "s"));
    r("set", "s", "1.5");
    assertEquals(NOT_INT, r("decrby", "s", "1"));
    r("set", "s", "+1");
    assertEquals(NOT_INT, r("incr", "s"));
  }

  @Test
  void incrOverflow() {
    r("set", "n", "9223372036854775807");
    assertEquals("-ERR increment or decrement would overflow", r("incr", "n"));
    r("set", "n", "-9223372036854775808");
    assertEquals("-ERR increment or decrement would overflow", r("decr", "n"));
    assertEquals(
        "-ERR increment or decrement would overflow",
        r("incrby", "n", "-9223372036854775808"));
    assertEquals("-ERR decrement would overflow", r("decrby", "n", "-9223372036854775808"));
    assertEquals(NOT_INT, r("incrby", "n", "9223372036854775808"));
    r("set", "m", "-9223372036854775807");
    assertEquals(":-9223372036854775808", r("decr", "m"));
  }

  @Test
  void countersKeepTtl() {
    r("set", "n", "5", "ex", "100");
    assertEquals(":6", r("incr", "n"));
    assertEquals("$7", r("incrbyfloat", "n", "1"));
    assertEquals(h.now + 100_000, expireAt("n"));
  }

  @Test
  void incrbyfloatUsesLongDoublePrecisionAndFormatting() {
    r("set", "f", "10.5");
    assertEquals("$10.6", r("incrbyfloat", "f", "0.1"));
    assertEquals("$5010.60000000000000009", r("incrbyfloat", "f", "5.0e3"));
    assertEquals("$5000", r("incrbyfloat", "g", "5.0e3"));
    r("set", "x", "3.0e3");
    assertEquals("$3001.5", r("incrbyfloat", "x", "1.5"));
    assertEquals("$1.23456789012345679", r("incrbyfloat", "w", "1.23456789012345678901234"));
    assertEquals("$0.5", r("incrbyfloat", "v", ".5"));
    assertEquals("$5.5", r("incrbyfloat", "v", "+5."));
    assertEquals("$13.5", r("incrbyfloat", "v", "0x1p3"));
    r("set", "y", "1.0");
    assertEquals("$1", r("incrbyfloat", "y", "0"));
    // A negative result that prints as zero is "0", never "-0".
    assertEquals("$0", r("incrbyfloat", "z", "-0.0000000000000000001"));
    assertEquals("$0", r("incrbyfloat", "z", "1e-4940"));
    // Long double reaches far beyond double's range, printed in full.
    Reply big = h.call("incrbyfloat", "b", "1e400");
    String s = new String(((Reply.Bulk) big).value(), StandardCharsets.US_ASCII);
    assertEquals(401, s.length());
    assertTrue(s.startsWith("10000000000000000000281880683947586514586453433629052038625910693"), s);
  }

  @Test
  void incrbyfloatErrors() {
    r("set", "h", "13");
    assertEquals("-ERR increment would produce NaN or Infinity", r("incrbyfloat", "h", "inf"));
    assertEquals(NOT_FLOAT, r("incrbyfloat", "h", " 1"));
    assertEquals(NOT_FLOAT, r("incrbyfloat", "h", "1 "));
    assertEquals(NOT_FLOAT, r("incrbyfloat", "h", "nan"));
    assertEquals(NOT_FLOAT, r("incrbyfloat", "h", "1e"));
    assertEquals(NOT_FLOAT, r("incrbyfloat", "h", ""));
    // strtold stops at a NUL, but Redis 7.0 insists every byte was consumed.
    assertEquals(NOT_FLOAT, r("incrbyfloat", "h", "1\0002"));
    r("setrange", "z", "1", "5");
    assertEquals(NOT_FLOAT, r("incrbyfloat", "z", "1"));
    // Overflow and underflow to zero are range errors, not values.
    assertEquals(NOT_FLOAT, r("incrbyfloat", "h", "1e5000"));
    assertEquals(NOT_FLOAT, r("incrbyfloat", "h", "1e-5000"));
    r("incrbyfloat", "u", "1e4932");
    assertEquals("-ERR increment would produce NaN or Infinity", r("incrbyfloat", "u", "1e4932"));
    r("set", "s", "abc");
    assertEquals(NOT_FLOAT, r("incrbyfloat", "s", "1"));
    assertEquals("$13", r("get", "h"));
  }

  @Test
  void incrbyfloatPersistsTheResultNotTheIncrement() {
    r("set", "f", "10.5", "ex", "100");
    r("incrbyfloat", "f", "0.1");
    SlotEvent last = h.journal.get(h.journal.size() - 1);
    SlotEvent.ValueSet set = assertInstanceOf(SlotEvent.ValueSet.class, last);
    assertEquals("10.6", new String(set.value(), StandardCharsets.US_ASCII));
    assertEquals(h.now + 100_000, set.expireAt());
  }

  // ---------------------------------------------------------------- LCS

  @Test
  void lcsPlainLenAndIdx() {
    r("set", "key1", "ohmytext");
    r("set", "key2", "mynewtext");
    assertEquals("$mytext", r("lcs", "key1", "key2"));
    assertEquals(":6", r("lcs", "key1", "key2", "len"));
    assertEquals(":6", r("lcs", "key1", "key2", "len", "len", "withmatchlen"));
    assertEquals(
        "{$matches=[[[:4,:7],[:5,:8]],[[:2,:3],[:0,:1]]],$len=:6}",
        r("lcs", "key1", "key2", "idx"));
    assertEquals(
        "{$matches=[[[:4,:7],[:5,:8],:4]],$len=:6}",
        r("lcs", "key1", "key2", "idx", "minmatchlen", "4", "withmatchlen"));
    assertEquals(
        "{$matches=[[[:4,:7],[:5,:8],:4],[[:2,:3],[:0,:1],:2]],$len=:6}",
        r("lcs", "key1", "key2", "idx", "withmatchlen", "minmatchlen", "-3"));
    r("set", "k", "v");
    assertEquals("{$matches=[[[:0,:0],[:0,:0],:1]],$len=:1}",
        r("lcs", "k", "k", "idx", "withmatchlen", "minmatchlen", "0"));
  }

  @Test
  void lcsIdxIsAMapForResp3() {
    r("set", "a", "abc");
    assertInstanceOf(Reply.Map.class, h.call("lcs", "a", "a", "idx"));
  }

  @Test
  void lcsMissingKeysAreEmptyStrings() {
    r("set", "key1", "ohmytext");
    assertEquals("$", r("lcs", "key1", "nokey"));
    assertEquals("{$matches=[],$len=:0}", r("lcs", "nokey", "nokey2", "idx"));
  }

  @Test
  void lcsErrors() {
    r("set", "key1", "ohmytext");
    r("set", "key2", "mynewtext");
    assertEquals(
        "-ERR If you want both the length and indexes, please just use IDX.",
        r("lcs", "key1", "key2", "idx", "len"));
    assertEquals(SYNTAX, r("lcs", "key1", "key2", "foo"));
    assertEquals(SYNTAX, r("lcs", "key1", "key2", "minmatchlen"));
    assertEquals(NOT_INT, r("lcs", "key1", "key2", "minmatchlen", "abc"));
  }

  @Test
  void lcsRefusesTablesBeyondProtoMaxBulkLen() {
    h.call("set".getBytes(), "a".getBytes(), new byte[20_000]);
    h.call("set".getBytes(), "b".getBytes(), new byte[20_000]);
    assertEquals(
        "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        r("lcs", "a", "b", "len"));
  }

}
