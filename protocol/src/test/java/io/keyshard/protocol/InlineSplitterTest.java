package io.keyshard.protocol;

import static io.keyshard.protocol.RespDecoderTest.b;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Expected splits observed on Redis 7.0.15 (ECHO of inline commands) and read in sds.c. */
class InlineSplitterTest {

  static List<Arguments> splits() {
    return List.of(
        Arguments.of("", List.of()),
        Arguments.of(" \t\r\n\u000b\u000c ", List.of()),
        Arguments.of("SET k v", List.of("SET", "k", "v")),
        Arguments.of("  a   b  ", List.of("a", "b")),
        Arguments.of("\"a\\x41\\x4g\\n\"", List.of("aAx4g\n")),
        Arguments.of("\"\\xAB\\xff\"", List.of("\u00ab\u00ff")),
        Arguments.of("\"\\n\\r\\t\\b\\a\\\\\\\"\\q\"", List.of("\n\r\t\b\u0007\\\"q")),
        Arguments.of("'a\\'b'", List.of("a'b")),
        Arguments.of("'a\\nb'", List.of("a\\nb")),
        Arguments.of("'a\"b' \"a'b\"", List.of("a\"b", "a'b")),
        Arguments.of("a\"b c\"", List.of("ab c")),
        Arguments.of("a'bc'd e", null), // the closing quote must be followed by a blank
        Arguments.of("a'bc' e", List.of("abc", "e")),
        Arguments.of("\"\" ''", List.of("", "")),
        // \v and \f separate words only when they lead; inside a bare word they are bytes.
        Arguments.of("\u000bab\u000bc", List.of("ab\u000bc")),
        Arguments.of("\"a\"\u000b", List.of("a")),
        Arguments.of("a\rb", List.of("a", "b")),
        Arguments.of("\u00ff\u00fe", List.of("\u00ff\u00fe")),
        Arguments.of("a\0b c", List.of("a")), // C strings end at NUL
        Arguments.of("\"a\"b", null),
        Arguments.of("\"a\tb\"c", null),
        Arguments.of("\"abc", null),
        Arguments.of("'abc", null),
        Arguments.of("\"x\\", null),
        Arguments.of("\"a\" \"b", null),
        Arguments.of("'", null));
  }

  @ParameterizedTest
  @MethodSource("splits")
  void splitsLikeSdssplitargs(String line, List<String> expected) {
    byte[] in = b("##" + line + "##");
    byte[][] got = InlineSplitter.split(in, 2, in.length - 2);
    if (expected == null) {
      assertNull(got, () -> "expected unbalanced, got " + Arrays.deepToString(got));
    } else {
      assertEquals(expected, Arrays.stream(got).map(x -> new String(x, ISO_8859_1)).toList());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"\\x4", "\"\\x", "\"\\"})
  void escapeCutByTheEndOfLineIsUnbalanced(String line) {
    assertNull(InlineSplitter.split(b(line), 0, line.length()));
  }
}
