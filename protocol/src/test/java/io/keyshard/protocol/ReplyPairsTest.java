package io.keyshard.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pairs (HRANDFIELD WITHVALUES): flat in RESP2, an array of two-element arrays in RESP3. */
class ReplyPairsTest {
  private static final Reply PAIRS =
      new Reply.Pairs(List.of(Reply.bulk("a"), Reply.bulk("1"), Reply.bulk("b"), Reply.bulk("2")));

  private static String encode(Reply r, int proto) {
    return new String(RespWriter.encode(r, proto), StandardCharsets.UTF_8);
  }

  @Test
  void flatInResp2() {
    assertEquals("*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", encode(PAIRS, 2));
  }

  @Test
  void nestedInResp3() {
    assertEquals(
        "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n", encode(PAIRS, 3));
    assertEquals("*0\r\n", encode(new Reply.Pairs(List.of()), 3));
  }

  @Test
  void refusesAnOddNumberOfItems() {
    assertThrows(
        IllegalArgumentException.class,
        () -> encode(new Reply.Pairs(List.of(Reply.bulk("a"))), 3));
  }
}
