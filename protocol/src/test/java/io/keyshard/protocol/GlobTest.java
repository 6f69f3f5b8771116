package io.keyshard.protocol;

import static io.keyshard.protocol.RespDecoderTest.b;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GlobTest {

  private static boolean m(String pattern, String s) {
    return Glob.match(b(pattern), b(s), false);
  }

  private static boolean mi(String pattern, String s) {
    return Glob.match(b(pattern), b(s), true);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "*|abc|true",
      "*|''|false", // no pattern matches the empty string; KEYS * special-cases "*"
      "''|''|true",
      "''|a|false",
      "a*|a|true",
      "*a|a|true",
      "a*b|ab|true",
      "a*b|axxb|true",
      "a*b|axxbx|false",
      "a*b*c|abcbc|true",
      "h?llo|hello|true",
      "h?llo|hllo|false",
      "h[ae]llo|hallo|true",
      "h[ae]llo|hillo|false",
      "h[^e]llo|hallo|true",
      "h[^e]llo|hello|false",
      "h[a-b]llo|hbllo|true",
      "h[b-a]llo|hallo|true", // ends in either order
      "h[a-b]llo|hcllo|false",
      "h\\*llo|h*llo|true",
      "h\\*llo|hello|false",
      "[\\]]|]|true",
      "[a-]|]|true", // the ']' is the range's end...
      "[a-]x]|bx|false", // ...so the class goes on to the next ']'
      "[abc|c|true", // unclosed: the class ends with the pattern
      "[abc|d|false",
      "[^|x|true",
      "[|x|false",
      "\\|\\|true",
      "a\\|a\\|true",
      "**|x|true",
      "a**|a|true",
      "a***b|ab|true",
      "*?|a|true",
      "?*|a|true",
      "*??*|a|false"})
  void matchesLikeStringmatchlen(String pattern, String s, boolean expected) {
    assertEquals(expected, m(pattern, s), pattern + " ~ " + s);
  }

  @Test
  void nocase() {
    assertTrue(mi("HELLO", "hello"));
    assertTrue(mi("h[A-Z]llo", "hEllo"));
    assertTrue(mi("h[E]llo", "hello"));
    assertFalse(m("HELLO", "hello"));
    // An escaped char inside a class is compared exactly, even with nocase.
    assertFalse(mi("[\\A]", "a"));
    assertTrue(mi("\\A", "a"));
  }

  @Test
  void bytesCompareAsSignedChars() {
    byte[] pattern = {'[', 'a', '-', (byte) 0xff, ']'}; // the range \xff..a, since \xff is -1
    assertTrue(Glob.match(pattern, new byte[] {'0'}, false));
    assertTrue(Glob.match(pattern, new byte[] {(byte) 0xff}, false));
    assertFalse(Glob.match(pattern, new byte[] {'b'}, false));
    assertFalse(Glob.match(pattern, new byte[] {(byte) 0x80}, false));
  }

  @Test
  void sliceOverload() {
    assertTrue(Glob.match(b("xa*x"), 1, 2, b("yabcy"), 1, 3, false));
  }

  @Test
  void starHeavyPatternsStayPolynomial() {
    byte[] pattern = b("a*".repeat(40) + "b");
    byte[] text = b("a".repeat(200));
    long[] steps = new long[1];
    assertFalse(Glob.match(pattern, 0, pattern.length, text, 0, text.length, false, steps));
    // Backtracking only to the last star bounds the work by pattern x text.
    assertTrue(steps[0] <= (long) pattern.length * text.length, "steps " + steps[0]);
    byte[] longPattern = b("*a".repeat(100_000));
    assertTrue(Glob.match(longPattern, b("a".repeat(100_000)), false)); // no recursion to blow
  }

  /** KEYS uses stringmatchlen case-sensitively on every key; compare on a set of odd keys. */
  @Test
  void agreesWithKeys() throws Exception {
    List<String> keys = List.of("hello", "hallo", "hxllo", "hllo", "heeello", "a", "ab", "abc",
        "b", "]", "-", "^", "[", "\\", "*", "?", "a*b", "a?b", "h*llo", "HELLO", "Hello",
        "\u00ff", "\u0080", "0", "z", "foo:bar", "foo:baz:1", "{tag}x", "a-b", "aaab", "aaaa",
        "x]y", "bx", "ax]");
    List<String> patterns = List.of("*", "**", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo",
        "h[a-b]llo", "h[b-a]llo", "[a-]", "[a-]x]", "[abc", "[^", "[", "\\", "\\*", "\\?",
        "a\\*b", "[\\]]", "[]]", "[a-\u00ff]", "[\u00ff-a]", "?", "??", "*?*", "a*b*", "*b",
        "foo:*", "foo:*:?", "*a*a*a*b", "[^a-z]", "[-]", "[--a]", "{*}*", "H*", "[Hh]ello",
        "x]*", "a[", "*[", "*\\");
    try (RealRedis redis = RealRedis.start();
        Socket s = new Socket(InetAddress.getLoopbackAddress(), redis.port)) {
      s.setSoTimeout(10_000);
      for (String k : keys) RealRedis.call(s, "SET", b(k), "1");
      for (String p : patterns) {
        Set<String> expected = new TreeSet<>();
        for (Object o : (List<?>) RealRedis.call(s, "KEYS", b(p))) {
          expected.add(new String((byte[]) o, ISO_8859_1));
        }
        Set<String> actual = new TreeSet<>();
        for (String k : keys) {
          // KEYS * takes every key without matching; Glob.match alone would too, keys being
          // non-empty, but the shortcut is Redis's, so mirror it.
          if (p.equals("*") || Glob.match(b(p), b(k), false)) actual.add(k);
        }
        assertEquals(expected, actual, "KEYS " + p);
      }
    }
  }

  /**
   * CONFIG GET matches parameter names with nocase; compare patterns in mixed case. (A pattern
   * without glob chars is looked up directly instead, so every pattern here has one.)
   */
  @Test
  void agreesWithConfigGetNocase() throws Exception {
    try (RealRedis redis = RealRedis.start();
        Socket s = new Socket(InetAddress.getLoopbackAddress(), redis.port)) {
      s.setSoTimeout(10_000);
      List<String> names = new ArrayList<>(configNames(s, "*"));
      for (String p : List.of("MAX*", "*Memory*", "[A-M]axmemory", "?AXMEMORY", "*-[A-C]*",
          "[^a-z]*", "*[Z-A]", "[S]AVE", "*-*-*-*")) {
        Set<String> actual = new TreeSet<>();
        for (String n : names) if (Glob.match(b(p), b(n), true)) actual.add(n);
        assertEquals(configNames(s, p), actual, "CONFIG GET " + p);
      }
    }
  }

  private static Set<String> configNames(Socket s, String pattern) throws Exception {
    List<?> reply = (List<?>) RealRedis.call(s, "CONFIG", "GET", pattern);
    Set<String> names = new TreeSet<>();
    for (int i = 0; i < reply.size(); i += 2) {
      names.add(new String((byte[]) reply.get(i), ISO_8859_1));
    }
    return names;
  }
}
