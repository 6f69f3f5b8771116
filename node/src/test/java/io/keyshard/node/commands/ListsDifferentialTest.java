package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * Every list command against a real redis-server: replies compared exactly, error texts
 * included. The blocking commands are exercised only where they answer at once (data present,
 * argument errors, inside MULTI); waiting is tested elsewhere. Keys tagged {a}, {b}, {c} live in
 * different slots, so the same commands also run as cross-slot transactions on Keyshard.
 */
@Timeout(120)
class ListsDifferentialTest extends DifferentialTestBase {

  static final UnaryOperator<String> TTL_100 = near(100, 1);

  private void rpush(String key, String... elements) throws Exception {
    String[] args = new String[elements.length + 2];
    args[0] = "RPUSH";
    args[1] = key;
    System.arraycopy(elements, 0, args, 2, elements.length);
    d.check(args);
  }

  @Test
  void pushLengthAndRange() throws Exception {
    d.check("LPUSH", "l", "a", "b", "c");
    d.check("RPUSH", "l", "d", "e");
    d.check("LPUSHX", "l", "x", "y");
    d.check("RPUSHX", "l", "z");
    d.check("LPUSHX", "nokey", "x");
    d.check("RPUSHX", "nokey", "x", "y");
    d.check("EXISTS", "nokey");
    d.check("LLEN", "l");
    d.check("LLEN", "nokey");
    d.check("TYPE", "l");
    d.check("OBJECT", "ENCODING", "l");
    d.check("SCAN", "0", "TYPE", "list");
    d.check("RPUSH", "l", "", "bin\u0000ary");
    for (String[] r :
        List.of(
            new String[] {"0", "-1"},
            new String[] {"0", "0"},
            new String[] {"2", "4"},
            new String[] {"-3", "-1"},
            new String[] {"-100", "2"},
            new String[] {"5", "100"},
            new String[] {"4", "2"},
            new String[] {"-1", "-2"},
            new String[] {"20", "30"},
            new String[] {"-100", "-50"},
            new String[] {"-9223372036854775808", "9223372036854775807"},
            new String[] {"9223372036854775807", "-9223372036854775808"},
            new String[] {"0", "-9223372036854775808"})) {
      d.check("LRANGE", "l", r[0], r[1]);
    }
    d.check("LRANGE", "nokey", "0", "-1");
    d.check("LRANGE", "l", "x", "1");
    d.check("LRANGE", "l", "0", "1.5");
    d.check("LRANGE", "l", "0", "9223372036854775808");
    d.check("LRANGE", "nokey", "x", "1");
    for (String i : List.of("0", "1", "-1", "-11", "-12", "10", "11", "100", "-9223372036854775808", "9223372036854775807")) {
      d.check("LINDEX", "l", i);
    }
    d.check("LINDEX", "l", "x");
    d.check("LINDEX", "nokey", "x");
    d.check("LINDEX", "nokey", "0");
  }

  @Test
  void popsWithAndWithoutCount() throws Exception {
    rpush("l", "a", "b", "c", "d", "e", "f");
    d.check("LPOP", "l");
    d.check("RPOP", "l");
    d.check("LPOP", "l", "2");
    d.check("RPOP", "l", "1");
    d.check("LPOP", "l", "0");
    d.check("RPOP", "l", "0");
    d.check("LRANGE", "l", "0", "-1");
    d.check("LPOP", "l", "-1");
    d.check("LPOP", "l", "x");
    d.check("RPOP", "l", "1.0");
    d.check("LPOP", "l", "9223372036854775808");
    d.check("LPOP", "l", "1", "2");
    d.check("RPOP", "l", "1", "2", "3");
    d.check("RPOP", "l", "100");
    d.check("EXISTS", "l");
    d.check("LPOP", "l");
    d.check("LPOP", "l", "1");
    d.check("LPOP", "l", "0");
    d.check("RPOP", "nokey");
    d.check("RPOP", "nokey", "5");
    d.check("RPOP", "nokey", "-1");
    rpush("l", "a", "b");
    d.check("LPOP", "l", "9223372036854775807");
    d.check("EXISTS", "l");
    rpush("l", "only");
    d.check("RPOP", "l");
    d.check("TYPE", "l");
  }

  @Test
  void lset() throws Exception {
    rpush("l", "a", "b", "c");
    d.check("LSET", "l", "0", "A");
    d.check("LSET", "l", "-1", "C");
    d.check("LSET", "l", "1", "");
    d.check("LRANGE", "l", "0", "-1");
    d.check("LSET", "l", "3", "x");
    d.check("LSET", "l", "-4", "x");
    d.check("LSET", "l", "9223372036854775807", "x");
    d.check("LSET", "l", "-9223372036854775808", "x");
    d.check("LSET", "l", "x", "x");
    d.check("LSET", "nokey", "0", "x");
    d.check("LSET", "nokey", "x", "x");
    d.check("EXISTS", "nokey");
    d.check("LRANGE", "l", "0", "-1");
  }

  @Test
  void linsert() throws Exception {
    rpush("l", "a", "b", "c", "b");
    d.check("LINSERT", "l", "BEFORE", "b", "x");
    d.check("LINSERT", "l", "after", "b", "y");
    d.check("LINSERT", "l", "AFTER", "b", "z");
    d.check("LINSERT", "l", "before", "a", "first");
    d.check("LINSERT", "l", "AFTER", "c", "last");
    d.check("LINSERT", "l", "BEFORE", "missing", "x");
    d.check("LINSERT", "l", "MIDDLE", "a", "x");
    d.check("LINSERT", "nokey", "BEFORE", "a", "x");
    d.check("LINSERT", "nokey", "MIDDLE", "a", "x");
    d.check("EXISTS", "nokey");
    d.check("LRANGE", "l", "0", "-1");
    d.check("LLEN", "l");
  }

  @Test
  void lrem() throws Exception {
    rpush("l", "a", "b", "a", "c", "a", "b", "a");
    d.check("LREM", "l", "1", "a");
    d.check("LRANGE", "l", "0", "-1");
    d.check("LREM", "l", "-2", "a");
    d.check("LRANGE", "l", "0", "-1");
    d.check("LREM", "l", "0", "b");
    d.check("LRANGE", "l", "0", "-1");
    d.check("LREM", "l", "5", "zz");
    d.check("LREM", "l", "x", "a");
    d.check("LREM", "l", "1.5", "a");
    d.check("LREM", "nokey", "0", "a");
    d.check("LREM", "nokey", "x", "a");
    d.check("LREM", "l", "-9223372036854775808", "a");
    d.check("LREM", "l", "9223372036854775807", "c");
    d.check("EXISTS", "l");
    rpush("l", "x", "y", "x");
    d.check("LREM", "l", "-1", "x");
    d.check("LRANGE", "l", "0", "-1");
  }

  @Test
  void ltrim() throws Exception {
    List<String> elements = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      elements.add("e" + i);
    }
    rpush("l", elements.toArray(String[]::new));
    d.check("LTRIM", "l", "0", "-1");
    d.check("LTRIM", "l", "1", "-2");
    d.check("LRANGE", "l", "0", "-1");
    d.check("LTRIM", "l", "-5", "100");
    d.check("LRANGE", "l", "0", "-1");
    d.check("LTRIM", "l", "-100", "2");
    d.check("LRANGE", "l", "0", "-1");
    d.check("LTRIM", "l", "x", "1");
    d.check("LTRIM", "l", "0", "y");
    d.check("LTRIM", "nokey", "0", "1");
    d.check("LTRIM", "nokey", "x", "1");
    d.check("EXISTS", "nokey");
    d.check("LTRIM", "l", "2", "1");
    d.check("EXISTS", "l");
    rpush("l", "a", "b", "c");
    d.check("LTRIM", "l", "5", "10");
    d.check("EXISTS", "l");
    rpush("l", "a", "b", "c");
    d.check("LTRIM", "l", "-9223372036854775808", "9223372036854775807");
    d.check("LRANGE", "l", "0", "-1");
    d.check("LTRIM", "l", "-1", "-1");
    d.check("LRANGE", "l", "0", "-1");
  }

  @Test
  void lpos() throws Exception {
    rpush("l", "a", "b", "c", "a", "b", "a", "d");
    d.check("LPOS", "l", "a");
    d.check("LPOS", "l", "d");
    d.check("LPOS", "l", "zz");
    d.check("LPOS", "l", "a", "RANK", "2");
    d.check("LPOS", "l", "a", "RANK", "3");
    d.check("LPOS", "l", "a", "RANK", "4");
    d.check("LPOS", "l", "a", "RANK", "-1");
    d.check("LPOS", "l", "a", "RANK", "-3");
    d.check("LPOS", "l", "a", "RANK", "-4");
    d.check("LPOS", "l", "a", "RANK", "9223372036854775807");
    d.check("LPOS", "l", "a", "RANK", "-9223372036854775807");
    d.check("LPOS", "l", "a", "RANK", "-9223372036854775808");
    d.check("LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", "1");
    d.check("LPOS", "l", "a", "RANK", "0");
    d.check("LPOS", "l", "a", "RANK", "x");
    d.check("LPOS", "l", "a", "COUNT", "0");
    d.check("LPOS", "l", "a", "COUNT", "2");
    d.check("LPOS", "l", "a", "COUNT", "100");
    d.check("LPOS", "l", "a", "COUNT", "2", "RANK", "2");
    d.check("LPOS", "l", "a", "COUNT", "0", "RANK", "-2");
    d.check("LPOS", "l", "zz", "COUNT", "0");
    d.check("LPOS", "l", "a", "COUNT", "-1");
    d.check("LPOS", "l", "a", "COUNT", "x");
    d.check("LPOS", "l", "a", "MAXLEN", "0");
    d.check("LPOS", "l", "a", "MAXLEN", "3");
    d.check("LPOS", "l", "b", "MAXLEN", "1");
    d.check("LPOS", "l", "a", "MAXLEN", "3", "COUNT", "0");
    d.check("LPOS", "l", "a", "MAXLEN", "2", "RANK", "-1", "COUNT", "0");
    d.check("LPOS", "l", "a", "MAXLEN", "-1");
    d.check("LPOS", "l", "a", "MAXLEN", "x");
    d.check("LPOS", "l", "a", "RANK");
    d.check("LPOS", "l", "a", "FOO", "1");
    d.check("LPOS", "l", "a", "rank", "1", "count", "1", "maxlen", "0");
    d.check("LPOS", "l", "a", "RANK", "2", "RANK", "1");
    d.check("LPOS", "nokey", "a");
    d.check("LPOS", "nokey", "a", "COUNT", "0");
    d.check("LPOS", "nokey", "a", "RANK", "0");
    d.check("LPOS", "nokey", "a", "FOO");
  }

  @Test
  void lmoveAndRpoplpushWithinASlot() throws Exception {
    rpush("{t}src", "a", "b", "c");
    d.check("LMOVE", "{t}src", "{t}dst", "LEFT", "RIGHT");
    d.check("LMOVE", "{t}src", "{t}dst", "right", "left");
    d.check("RPOPLPUSH", "{t}src", "{t}dst");
    d.check("EXISTS", "{t}src");
    d.check("LRANGE", "{t}dst", "0", "-1");
    d.check("LMOVE", "{t}src", "{t}dst", "LEFT", "LEFT");
    d.check("RPOPLPUSH", "{t}src", "{t}dst");
    // Rotation on one list.
    d.check("LMOVE", "{t}dst", "{t}dst", "LEFT", "RIGHT");
    d.check("LRANGE", "{t}dst", "0", "-1");
    d.check("LMOVE", "{t}dst", "{t}dst", "RIGHT", "LEFT");
    d.check("LMOVE", "{t}dst", "{t}dst", "LEFT", "LEFT");
    d.check("RPOPLPUSH", "{t}dst", "{t}dst");
    d.check("LRANGE", "{t}dst", "0", "-1");
    d.check("LMOVE", "{t}dst", "{t}dst", "UP", "LEFT");
    d.check("LMOVE", "{t}dst", "{t}dst", "LEFT", "DOWN");
    d.check("LMOVE", "{t}nokey", "{t}dst", "UP", "LEFT");
    // A single element moved onto its own list keeps the list and its expiry.
    rpush("{t}one", "x");
    d.check("EXPIRE", "{t}one", "100");
    d.check("LMOVE", "{t}one", "{t}one", "LEFT", "RIGHT");
    d.check("RPOPLPUSH", "{t}one", "{t}one");
    d.check(TTL_100, "TTL", "{t}one");
    d.check("LRANGE", "{t}one", "0", "-1");
    // Wrong types: a missing source answers nil before the destination is looked at.
    d.check("SET", "{t}str", "v");
    d.check("LMOVE", "{t}nokey", "{t}str", "LEFT", "LEFT");
    d.check("RPOPLPUSH", "{t}nokey", "{t}str");
    d.check("LMOVE", "{t}str", "{t}dst", "LEFT", "LEFT");
    d.check("LMOVE", "{t}dst", "{t}str", "LEFT", "LEFT");
    d.check("RPOPLPUSH", "{t}dst", "{t}str");
    d.check("LRANGE", "{t}dst", "0", "-1");
    d.check("GET", "{t}str");
  }

  @Test
  void lmoveAndRpoplpushAcrossSlots() throws Exception {
    rpush("{a}src", "a", "b", "c", "d");
    d.check("LMOVE", "{a}src", "{b}dst", "LEFT", "RIGHT");
    d.check("LMOVE", "{a}src", "{b}dst", "RIGHT", "LEFT");
    d.check("RPOPLPUSH", "{a}src", "{b}dst");
    d.check("LRANGE", "{a}src", "0", "-1");
    d.check("LRANGE", "{b}dst", "0", "-1");
    d.check("RPOPLPUSH", "{a}src", "{b}dst");
    d.check("EXISTS", "{a}src");
    d.check("LMOVE", "{a}src", "{b}dst", "LEFT", "RIGHT");
    d.check("RPOPLPUSH", "{a}src", "{b}dst");
    d.check("LMOVE", "{a}src", "{b}dst", "LEFT", "MIDDLE");
    d.check("LMOVE", "{b}dst", "{a}back", "RIGHT", "RIGHT");
    d.check("LRANGE", "{a}back", "0", "-1");
    // The destination's type is checked before the source gives anything up.
    d.check("SET", "{c}str", "v");
    d.check("LMOVE", "{b}dst", "{c}str", "LEFT", "LEFT");
    d.check("RPOPLPUSH", "{b}dst", "{c}str");
    d.check("LRANGE", "{b}dst", "0", "-1");
    d.check("LMOVE", "{c}str", "{b}dst", "LEFT", "LEFT");
    d.check("LMOVE", "{a}nokey", "{c}str", "LEFT", "LEFT");
    d.check("RPOPLPUSH", "{a}nokey", "{c}str");
    d.check("GET", "{c}str");
    // Expiry of the destination stays; the moved element takes none along.
    d.check("EXPIRE", "{b}dst", "100");
    d.check("RPOPLPUSH", "{a}back", "{b}dst");
    d.check(TTL_100, "TTL", "{b}dst");
    d.check("EXISTS", "{a}back");
    d.check("LRANGE", "{b}dst", "0", "-1");
    // In another database.
    d.check("SELECT", "5");
    rpush("{a}src", "p", "q");
    d.check("LMOVE", "{a}src", "{b}dst", "RIGHT", "RIGHT");
    d.check("LMPOP", "2", "{c}none", "{a}src", "LEFT");
    d.check("LRANGE", "{b}dst", "0", "-1");
    d.check("EXISTS", "{a}src");
    d.check("SELECT", "0");
    d.check("LRANGE", "{b}dst", "0", "-1");
  }

  @Test
  void lmpop() throws Exception {
    rpush("{t}b", "1", "2", "3", "4", "5");
    rpush("{t}c", "x");
    d.check("LMPOP", "2", "{t}a", "{t}b", "LEFT");
    d.check("LMPOP", "2", "{t}a", "{t}b", "RIGHT", "COUNT", "2");
    d.check("LMPOP", "3", "{t}a", "{t}b", "{t}c", "left", "count", "100");
    d.check("LMPOP", "3", "{t}a", "{t}b", "{t}c", "RIGHT", "COUNT", "100");
    d.check("LMPOP", "3", "{t}a", "{t}b", "{t}c", "RIGHT");
    d.check("EXISTS", "{t}b", "{t}c");
    d.check("LMPOP", "1", "{t}a", "LEFT", "COUNT", "9223372036854775807");
    for (String[] c :
        List.of(
            new String[] {"LMPOP", "0", "{t}a", "LEFT"},
            new String[] {"LMPOP", "-1", "{t}a", "LEFT"},
            new String[] {"LMPOP", "x", "{t}a", "LEFT"},
            new String[] {"LMPOP", "2", "{t}a", "LEFT"},
            new String[] {"LMPOP", "9223372036854775807", "{t}a", "LEFT"},
            new String[] {"LMPOP", "1", "{t}a", "MIDDLE"},
            new String[] {"LMPOP", "1", "{t}a", "LEFT", "COUNT"},
            new String[] {"LMPOP", "1", "{t}a", "LEFT", "COUNT", "0"},
            new String[] {"LMPOP", "1", "{t}a", "LEFT", "COUNT", "-1"},
            new String[] {"LMPOP", "1", "{t}a", "LEFT", "COUNT", "x"},
            new String[] {"LMPOP", "1", "{t}a", "LEFT", "COUNT", "1", "COUNT", "1"},
            new String[] {"LMPOP", "1", "{t}a", "LEFT", "FOO"},
            new String[] {"LMPOP", "1", "{t}a"},
            new String[] {"LMPOP", "1"})) {
      d.check(c);
    }
    d.check("SET", "{t}str", "v");
    rpush("{t}b", "1");
    d.check("LMPOP", "2", "{t}str", "{t}b", "LEFT");
    d.check("LMPOP", "2", "{t}b", "{t}str", "LEFT");
    d.check("LMPOP", "2", "{t}a", "{t}str", "LEFT");
    d.check("LMPOP", "1", "{t}str", "LEFT", "COUNT", "0");
  }

  @Test
  void lmpopBlpopAndBlmpopAcrossSlots() throws Exception {
    rpush("{b}l", "1", "2", "3");
    rpush("{c}l", "x", "y");
    d.check("LMPOP", "3", "{a}l", "{b}l", "{c}l", "RIGHT", "COUNT", "2");
    d.check("BLPOP", "{a}l", "{b}l", "{c}l", "0");
    d.check("BRPOP", "{a}l", "{b}l", "{c}l", "0.5");
    d.check("BLMPOP", "0", "3", "{a}l", "{b}l", "{c}l", "LEFT", "COUNT", "5");
    d.check("EXISTS", "{b}l", "{c}l");
    d.check("LMPOP", "3", "{a}l", "{b}l", "{c}l", "LEFT");
    d.check("SET", "{b}str", "v");
    rpush("{c}l", "z");
    d.check("BLPOP", "{a}l", "{b}str", "{c}l", "0");
    d.check("BLPOP", "{a}l", "{c}l", "{b}str", "0");
    d.check("LMPOP", "3", "{a}l", "{b}str", "{c}l", "LEFT");
    d.check("BLMPOP", "1", "2", "{a}l", "{b}str", "RIGHT");
    d.check("BLPOP", "{a}l", "{b}str", "x");
    d.check("BLMPOP", "x", "2", "{a}l", "{b}str", "RIGHT");
    d.check("LMPOP", "2", "{a}l", "{b}str", "UP");
  }

  @Test
  void blockingCommandsAnswerAtOnceWhenDataIsThere() throws Exception {
    // Never leave a command without data outside MULTI: the real server would wait.
    rpush("{t}a", "1", "2", "3");
    rpush("{t}b", "x", "y", "z", "w");
    d.check("BLPOP", "{t}nokey", "{t}a", "{t}b", "0");
    d.check("BRPOP", "{t}nokey", "{t}b", "{t}a", "1");
    d.check("BLPOP", "{t}a", "0.01");
    d.check("BRPOP", "{t}a", "1e3");
    d.check("EXISTS", "{t}a");
    rpush("{t}a", "1", "2", "3");
    d.check("BLMPOP", "0", "2", "{t}nokey", "{t}a", "LEFT");
    d.check("BLMPOP", "0", "2", "{t}nokey", "{t}a", "RIGHT", "COUNT", "5");
    d.check("BLMOVE", "{t}b", "{t}a", "LEFT", "RIGHT", "0");
    d.check("BRPOPLPUSH", "{t}b", "{t}a", "0");
    d.check("LRANGE", "{t}a", "0", "-1");
    d.check("EXISTS", "{t}b");
    d.check("BLMOVE", "{t}a", "{t}a", "RIGHT", "LEFT", "5");
    d.check("LRANGE", "{t}a", "0", "-1");
    d.check("SET", "{t}str", "v");
    d.check("BLPOP", "{t}a", "{t}str", "0");
    d.check("BLPOP", "{t}str", "{t}a", "0");
    d.check("BLMOVE", "{t}str", "{t}a", "LEFT", "RIGHT", "0");
    d.check("BLMOVE", "{t}a", "{t}str", "LEFT", "RIGHT", "0");
    d.check("BRPOPLPUSH", "{t}str", "{t}a", "0");
    d.check("BLMPOP", "0", "2", "{t}str", "{t}a", "LEFT");
    // Across slots.
    rpush("{u}other", "o1", "o2");
    d.check("BLMOVE", "{u}other", "{t}a", "LEFT", "LEFT", "0");
    d.check("BRPOPLPUSH", "{u}other", "{t}a", "0");
    d.check("BLMOVE", "{t}a", "{u}new", "RIGHT", "LEFT", "0");
    d.check("BLMOVE", "{t}a", "{t}str", "LEFT", "RIGHT", "0");
    d.check("LRANGE", "{t}a", "0", "-1");
    d.check("LRANGE", "{u}new", "0", "-1");
  }

  @Test
  void blockingArgumentErrors() throws Exception {
    d.check("SET", "{t}str", "v");
    for (String[] c :
        List.of(
            new String[] {"BLPOP", "{t}a", "x"},
            new String[] {"BLPOP", "{t}a", "-1"},
            new String[] {"BLPOP", "{t}a", "-0.5"},
            new String[] {"BLPOP", "{t}a", ""},
            new String[] {"BLPOP", "{t}str", "x"},
            new String[] {"BLPOP", "{t}str", "-1"},
            new String[] {"BRPOP", "{t}a", "{t}b", "inf"},
            new String[] {"BRPOP", "{t}a", "nan"},
            new String[] {"BRPOP", "{t}a", "1e400"},
            new String[] {"BLMOVE", "{t}a", "{t}b", "MIDDLE", "LEFT", "0"},
            new String[] {"BLMOVE", "{t}a", "{t}b", "LEFT", "MIDDLE", "x"},
            new String[] {"BLMOVE", "{t}a", "{t}b", "LEFT", "LEFT", "x"},
            new String[] {"BLMOVE", "{t}a", "{t}b", "LEFT", "LEFT", "-1"},
            new String[] {"BLMOVE", "{t}str", "{t}b", "LEFT", "LEFT", "-1"},
            new String[] {"BRPOPLPUSH", "{t}a", "{t}b", "x"},
            new String[] {"BRPOPLPUSH", "{t}a", "{t}b", "-5"},
            new String[] {"BLMPOP", "x", "1", "{t}a", "LEFT"},
            new String[] {"BLMPOP", "x", "0", "{t}a", "LEFT"},
            new String[] {"BLMPOP", "-1", "1", "{t}a", "LEFT"},
            new String[] {"BLMPOP", "-1", "1", "{t}a", "LEFT", "COUNT", "0"},
            new String[] {"BLMPOP", "-1", "1", "{t}a", "LEFT", "FOO"},
            new String[] {"BLMPOP", "0", "0", "{t}a", "LEFT"},
            new String[] {"BLMPOP", "0", "2", "{t}a", "LEFT"},
            new String[] {"BLMPOP", "0", "1", "{t}a", "UP"},
            new String[] {"BLMPOP", "0", "1", "{t}a", "LEFT", "COUNT", "-2"},
            new String[] {"BLMPOP", "0", "1", "{t}a"},
            new String[] {"BLPOP", "{t}a"},
            new String[] {"BRPOP"},
            new String[] {"BLMOVE", "{t}a", "{t}b", "LEFT", "LEFT"},
            new String[] {"BRPOPLPUSH", "{t}a", "{t}b"},
            // Across slots: the same checks before any slot is asked.
            new String[] {"BLPOP", "{a}x", "{b}y", "x"},
            new String[] {"BLMOVE", "{a}x", "{b}y", "LEFT", "UP", "0"},
            new String[] {"BRPOPLPUSH", "{a}x", "{b}y", "-1"},
            new String[] {"BLMPOP", "-1", "2", "{a}x", "{b}y", "LEFT"},
            new String[] {"LMPOP", "2", "{a}x", "{b}y", "LEFT", "COUNT", "0"})) {
      d.check(c);
    }
  }

  @Test
  void blockingCommandsInsideMultiDoNotWait() throws Exception {
    for (String proto : List.of("2", "3")) {
      d.both("HELLO", proto);
      d.check("MULTI");
      d.check("BLPOP", "{t}a", "{t}b", "0");
      d.check("BRPOP", "{t}a", "0");
      d.check("BLMPOP", "0", "2", "{t}a", "{t}b", "LEFT", "COUNT", "2");
      d.check("BLMOVE", "{t}a", "{t}b", "LEFT", "LEFT", "0");
      d.check("BRPOPLPUSH", "{t}a", "{t}b", "0");
      d.check("LMOVE", "{t}a", "{t}b", "LEFT", "LEFT");
      d.check("LMPOP", "1", "{t}a", "LEFT");
      d.check("LPOP", "{t}a");
      d.check("LPOP", "{t}a", "2");
      // Across slots too.
      d.check("BLPOP", "{a}x", "{b}y", "0");
      d.check("BLMPOP", "0", "2", "{a}x", "{b}y", "RIGHT");
      d.check("BLMOVE", "{a}x", "{b}y", "LEFT", "LEFT", "0");
      d.check("BRPOPLPUSH", "{a}x", "{b}y", "0");
      d.check("EXEC");
      // With data, they pop as usual; a push queued earlier in the transaction counts.
      d.check("MULTI");
      d.check("RPUSH", "{t}a", "1", "2", "3");
      d.check("BLPOP", "{t}b", "{t}a", "0");
      d.check("BRPOPLPUSH", "{t}a", "{t}b", "0");
      d.check("BLMOVE", "{t}a", "{a}x", "RIGHT", "LEFT", "0");
      d.check("BLMPOP", "0", "3", "{b}y", "{a}x", "{t}b", "LEFT", "COUNT", "3");
      d.check("RPUSH", "{b}y", "y1");
      d.check("BRPOP", "{a}x", "{b}y", "0");
      d.check("LMPOP", "2", "{b}y", "{t}a", "RIGHT");
      d.check("EXEC");
      d.check("EXISTS", "{t}a", "{t}b", "{a}x", "{b}y");
      // A wrong-type destination inside MULTI fails that command only.
      d.check("SET", "{c}str", "v");
      d.check("RPUSH", "{a}x", "1");
      d.check("MULTI");
      d.check("LMOVE", "{a}x", "{c}str", "LEFT", "LEFT");
      d.check("BLMOVE", "{a}x", "{c}str", "LEFT", "LEFT", "0");
      d.check("BLPOP", "{c}str", "{a}x", "0");
      d.check("LRANGE", "{a}x", "0", "-1");
      d.check("EXEC");
      d.check("DEL", "{c}str", "{a}x");
    }
    d.both("HELLO", "2");
  }

  @Test
  void transactionsAndWatchSeeListWrites() throws Exception {
    rpush("{t}l", "a", "b");
    d.check("MULTI");
    d.check("RPUSH", "{t}l", "c");
    d.check("LPOP", "{t}l");
    d.check("LSET", "{t}l", "0", "B");
    d.check("LINSERT", "{t}l", "AFTER", "B", "x");
    d.check("LREM", "{t}l", "0", "c");
    d.check("LRANGE", "{t}l", "0", "-1");
    d.check("LMOVE", "{t}l", "{u}m", "LEFT", "LEFT");
    d.check("EXEC");
    d.check("LRANGE", "{t}l", "0", "-1");
    d.check("LRANGE", "{u}m", "0", "-1");
    d.check("WATCH", "{t}l");
    d.both("LSET", "{t}l", "0", "changed");
    d.check("MULTI");
    d.check("RPUSH", "{t}l", "z");
    d.check("EXEC");
    d.check("LRANGE", "{t}l", "0", "-1");
  }

  @Test
  void wrongTypeBothWays() throws Exception {
    d.check("SET", "s", "v");
    for (String[] c :
        List.of(
            new String[] {"LPUSH", "s", "a"},
            new String[] {"RPUSH", "s", "a"},
            new String[] {"LPUSHX", "s", "a"},
            new String[] {"RPUSHX", "s", "a"},
            new String[] {"LPOP", "s"},
            new String[] {"RPOP", "s", "2"},
            new String[] {"LPOP", "s", "0"},
            new String[] {"LLEN", "s"},
            new String[] {"LRANGE", "s", "0", "-1"},
            new String[] {"LINDEX", "s", "0"},
            new String[] {"LINDEX", "s", "x"},
            new String[] {"LSET", "s", "0", "x"},
            new String[] {"LSET", "s", "x", "x"},
            new String[] {"LINSERT", "s", "BEFORE", "a", "b"},
            new String[] {"LREM", "s", "0", "a"},
            new String[] {"LTRIM", "s", "0", "1"},
            new String[] {"LPOS", "s", "a"},
            new String[] {"LPOS", "s", "a", "COUNT", "0"},
            new String[] {"RPOPLPUSH", "s", "s"},
            new String[] {"LMOVE", "s", "x", "LEFT", "LEFT"},
            new String[] {"LMPOP", "1", "s", "LEFT"},
            new String[] {"BLPOP", "s", "0"},
            new String[] {"BRPOP", "s", "0"},
            new String[] {"BLMPOP", "0", "1", "s", "LEFT"},
            new String[] {"BLMOVE", "s", "x", "LEFT", "LEFT", "0"},
            new String[] {"BRPOPLPUSH", "s", "x", "0"})) {
      d.check(c);
    }
    // Argument errors come before the type check where Redis checks them first.
    d.check("LPOP", "s", "-1");
    d.check("LRANGE", "s", "x", "1");
    d.check("LREM", "s", "x", "a");
    d.check("LTRIM", "s", "0", "x");
    d.check("LPOS", "s", "a", "RANK", "0");
    d.check("LINSERT", "s", "UP", "a", "b");
    d.check("GET", "s");

    d.check("RPUSH", "l", "a", "1");
    for (String[] c :
        List.of(
            new String[] {"GET", "l"},
            new String[] {"GETSET", "l", "v"},
            new String[] {"APPEND", "l", "x"},
            new String[] {"STRLEN", "l"},
            new String[] {"INCR", "l"},
            new String[] {"SETRANGE", "l", "0", "x"},
            new String[] {"HSET", "l", "f", "v"},
            new String[] {"HGET", "l", "f"},
            new String[] {"HLEN", "l"},
            new String[] {"MGET", "l", "s"},
            new String[] {"SET", "l", "v", "GET"})) {
      d.check(c);
    }
    d.check("LRANGE", "l", "0", "-1");
    d.check("SET", "l", "v");
    d.check("TYPE", "l");
  }

  @Test
  void arity() throws Exception {
    for (String[] c :
        List.of(
            new String[] {"LPUSH", "l"},
            new String[] {"RPUSH"},
            new String[] {"LPUSHX", "l"},
            new String[] {"RPUSHX", "l"},
            new String[] {"LPOP"},
            new String[] {"LLEN"},
            new String[] {"LLEN", "l", "x"},
            new String[] {"LRANGE", "l", "0"},
            new String[] {"LINDEX", "l"},
            new String[] {"LSET", "l", "0"},
            new String[] {"LINSERT", "l", "BEFORE", "a"},
            new String[] {"LREM", "l", "0"},
            new String[] {"LTRIM", "l", "0", "1", "2"},
            new String[] {"LPOS", "l"},
            new String[] {"LMOVE", "a", "b", "LEFT"},
            new String[] {"RPOPLPUSH", "a"},
            new String[] {"LMPOP", "1", "a"},
            new String[] {"lpush", "l"})) {
      d.check(c);
    }
  }

  @Test
  void resp3Replies() throws Exception {
    d.both("HELLO", "3");
    rpush("l", "a", "b", "c", "a");
    d.check("LPOP", "nokey");
    d.check("LPOP", "nokey", "1");
    d.check("LPOP", "l", "0");
    d.check("LPOP", "l", "1");
    d.check("RPOP", "l");
    d.check("LRANGE", "l", "0", "-1");
    d.check("LRANGE", "nokey", "0", "-1");
    d.check("LINDEX", "l", "9");
    d.check("LPOS", "l", "zz");
    d.check("LPOS", "l", "c", "COUNT", "0");
    d.check("LPOS", "nokey", "c", "COUNT", "0");
    d.check("LMOVE", "nokey", "l", "LEFT", "LEFT");
    d.check("LMPOP", "2", "nokey", "l", "LEFT", "COUNT", "1");
    d.check("LMPOP", "1", "nokey", "LEFT");
    d.check("BLPOP", "l", "0");
    rpush("l", "x");
    d.check("BLMPOP", "0", "1", "l", "RIGHT");
    d.check("LINSERT", "l", "BEFORE", "zz", "y");
    d.both("HELLO", "2");
  }

  @Test
  void largeLists() throws Exception {
    int batches = 100;
    int perBatch = 1000;
    for (int b = 0; b < batches; b++) {
      List<String> args = new ArrayList<>(List.of("RPUSH", "big"));
      for (int i = 0; i < perBatch; i++) {
        args.add("e" + (b * perBatch + i));
      }
      d.check(args.toArray(String[]::new));
    }
    d.check("LPUSH", "big", "head");
    d.check("LLEN", "big");
    d.check("OBJECT", "ENCODING", "big");
    d.check("LINDEX", "big", "-1");
    d.check("LINDEX", "big", "0");
    d.check("LINDEX", "big", "50000");
    d.check("LINDEX", "big", "-100001");
    d.check("LRANGE", "big", "0", "9");
    d.check("LRANGE", "big", "49995", "50005");
    d.check("LRANGE", "big", "-10", "-1");
    d.check("LRANGE", "big", "99990", "200000");
    d.check("LSET", "big", "70000", "changed");
    d.check("LINDEX", "big", "70000");
    d.check("LPOS", "big", "e99999");
    d.check("LPOS", "big", "e99999", "MAXLEN", "1000");
    d.check("LPOS", "big", "e5", "RANK", "-1");
    d.check("LINSERT", "big", "AFTER", "e60000", "inserted");
    d.check("LRANGE", "big", "60000", "60003");
    d.check("LREM", "big", "-1", "inserted");
    d.check("LPOP", "big", "3");
    d.check("RPOP", "big", "3");
    d.check("LTRIM", "big", "1000", "-1001");
    d.check("LLEN", "big");
    d.check("LRANGE", "big", "0", "2");
    d.check("LRANGE", "big", "-3", "-1");
    d.check("LMOVE", "big", "big", "LEFT", "RIGHT");
    d.check("LINDEX", "big", "-1");
    d.check("LTRIM", "big", "-5", "-1");
    d.check("LRANGE", "big", "0", "-1");
  }

  @Test
  void expiryIsKeptAndExpiredListsAreGone() throws Exception {
    rpush("l", "a", "b", "c");
    d.check("EXPIRE", "l", "100");
    d.check("LPUSH", "l", "z");
    d.check("RPOP", "l");
    d.check("LSET", "l", "0", "Z");
    d.check("LINSERT", "l", "AFTER", "Z", "y");
    d.check("LREM", "l", "1", "y");
    d.check("LTRIM", "l", "0", "1");
    d.check(TTL_100, "TTL", "l");
    d.check("LRANGE", "l", "0", "-1");
    rpush("gone", "a", "b");
    d.check("PEXPIRE", "gone", "1");
    Thread.sleep(20);
    d.check("LLEN", "gone");
    d.check("LPUSHX", "gone", "x");
    d.check("LPUSH", "gone", "x");
    d.check("TTL", "gone");
    d.check("LRANGE", "gone", "0", "-1");
  }

  @Test
  void keyCommandsMoveLists() throws Exception {
    rpush("{t}l", "a", "b", "c");
    d.check("EXPIRE", "{t}l", "100");
    d.check("COPY", "{t}l", "{t}copy");
    d.check("LSET", "{t}copy", "0", "changed");
    d.check("LRANGE", "{t}l", "0", "-1");
    d.check("LRANGE", "{t}copy", "0", "-1");
    d.check("COPY", "{t}l", "{u}copy");
    d.check("RPUSH", "{u}copy", "d");
    d.check("LRANGE", "{t}l", "0", "-1");
    d.check("LRANGE", "{u}copy", "0", "-1");
    d.check("RENAME", "{t}l", "{v}moved");
    d.check("LRANGE", "{v}moved", "0", "-1");
    d.check(TTL_100, "TTL", "{v}moved");
    d.check("OBJECT", "ENCODING", "{v}moved");
    d.check("TYPE", "{v}moved");
    d.check("MOVE", "{v}moved", "2");
    d.check("SELECT", "2");
    d.check("LRANGE", "{v}moved", "0", "-1");
    d.check("SELECT", "0");
    d.check("DEL", "{u}copy", "{t}copy");
    d.check("EXISTS", "{u}copy", "{t}copy");
  }

  @Test
  void listsSurviveARestart() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-lists");
    List<String> expected = new ArrayList<>();
    try (TestNode n = TestNode.start(dir, Map.of());
        RawClient c = new RawClient(n.port())) {
      // More writes than a slot takes between snapshots, so recovery uses a snapshot and events.
      for (int i = 0; i < 1100; i++) {
        c.call("RPUSH", "l", "e" + i);
        expected.add("e" + i);
      }
      for (int i = 0; i < 5; i++) {
        c.call("LPOP", "l");
        expected.remove(0);
      }
      assertEquals("+OK", c.call("LSET", "l", "3", "set"));
      expected.set(3, "set");
      assertEquals(":" + (expected.size() + 1), c.call("LINSERT", "l", "BEFORE", "e10", "ins"));
      expected.add(expected.indexOf("e10"), "ins");
      assertEquals(":1", c.call("LREM", "l", "-1", "e1099"));
      expected.remove("e1099");
      assertEquals("+OK", c.call("LTRIM", "l", "1", "-2"));
      expected = new ArrayList<>(expected.subList(1, expected.size() - 1));
      c.call("RPUSH", "{x}small", "a", "b");
      c.call("RPOPLPUSH", "{x}small", "{y}other");
      c.call("EXPIRE", "{y}other", "1000");
      assertEquals("+OK", c.call("SELECT", "3"));
      c.call("LPUSH", "db3", "x");
    }
    try (TestNode n = TestNode.start(dir, Map.of());
        RawClient c = new RawClient(n.port())) {
      assertEquals("+list", c.call("TYPE", "l"));
      assertEquals(":" + expected.size(), c.call("LLEN", "l"));
      List<String> quoted = expected.stream().map(s -> "\"" + s + "\"").toList();
      assertEquals(quoted.toString(), c.call("LRANGE", "l", "0", "-1"));
      assertEquals("\"quicklist\"", c.call("OBJECT", "ENCODING", "l"));
      assertEquals("[\"a\"]", c.call("LRANGE", "{x}small", "0", "-1"));
      assertEquals("[\"b\"]", c.call("LRANGE", "{y}other", "0", "-1"));
      assertEquals(":~1000", near(1000, 2).apply(c.call("TTL", "{y}other")));
      assertEquals("+OK", c.call("SELECT", "3"));
      assertEquals("[\"x\"]", c.call("LRANGE", "db3", "0", "-1"));
    }
  }
}
