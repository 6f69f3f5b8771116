package io.keyshard.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LongDoubleTest {

  private static BigDecimal pow2(int e) {
    return e >= 0 ? new BigDecimal(BigInteger.ONE.shiftLeft(e))
        : BigDecimal.ONE.divide(new BigDecimal(BigInteger.ONE.shiftLeft(-e)));
  }

  @Test
  void roundsToSixtyFourBitSignificand() {
    // 0.1L is 0xC.CCCCCCCCCCCCCCDp-7: 64 significant bits, rounded up.
    BigDecimal expected =
        new BigDecimal(new BigInteger("CCCCCCCCCCCCCCCD", 16)).multiply(pow2(-67));
    assertEquals(0, expected.compareTo(LongDouble.round(new BigDecimal("0.1"))));
    assertEquals(0, new BigDecimal("-1.5").compareTo(LongDouble.round(new BigDecimal("-1.5"))));
    // 2^64 + 1 needs 65 bits; the tie goes to even, 2^64.
    BigDecimal twoTo64 = pow2(64);
    assertEquals(0, twoTo64.compareTo(LongDouble.round(twoTo64.add(BigDecimal.ONE))));
    // 2^64 + 3 is a tie between 2^64 + 2 and 2^64 + 4; even is 2^64 + 4.
    assertEquals(0, twoTo64.add(BigDecimal.valueOf(4))
        .compareTo(LongDouble.round(twoTo64.add(BigDecimal.valueOf(3)))));
    // 2^63 + 1 fits exactly.
    BigDecimal exact = pow2(63).add(BigDecimal.ONE);
    assertEquals(0, exact.compareTo(LongDouble.round(exact)));
  }

  @Test
  void subnormalsAndOverflow() {
    BigDecimal tiniest = pow2(-16445);
    assertEquals(0, tiniest.multiply(BigDecimal.valueOf(3))
        .compareTo(LongDouble.round(new BigDecimal("1e-4950"))));
    assertEquals(0, BigDecimal.ZERO.compareTo(LongDouble.round(new BigDecimal("1e-5000"))));
    assertThrows(ArithmeticException.class, () -> LongDouble.round(new BigDecimal("1e5000")));
    assertThrows(ArithmeticException.class, () -> LongDouble.round(pow2(16384)));
    LongDouble.round(pow2(16383)); // the largest power of two is finite
  }

  private static LongDouble ld(String text) {
    return LongDouble.parse(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  void sumsAndPrintsAsRedis() {
    assertEquals("10.6", ld("10.5").add(ld("0.1")).toHumanString());
    assertEquals("5010.60000000000000009", ld("10.6").add(ld("5.0e3")).toHumanString());
    assertEquals("13.5", ld("5.5").add(ld("0x1p3")).toHumanString());
    assertEquals("0", LongDouble.ZERO.add(ld("-0.0000000000000000001")).toHumanString());
    // The parsed value is the correctly rounded one, the same as round(BigDecimal).
    assertEquals(0, LongDouble.round(new BigDecimal("0.1")).compareTo(ld("0.1").toBigDecimal()));
  }

  @Test
  void parsesStrtoldSyntaxAndRefusesTheRest() {
    assertEquals("0.5", ld(".5").toHumanString());
    assertEquals("5", ld("+5.").toHumanString());
    assertEquals("16", ld("0X10").toHumanString());
    assertFalse(ld("-inf").isFinite());
    assertFalse(ld("Infinity").add(ld("-inf")).isFinite()); // NaN
    assertFalse(ld("1").add(ld("-inf")).isFinite());
    assertFalse(ld("1.1e4932").add(ld("1.1e4932")).isFinite()); // overflows, as INCRBYFLOAT refuses
    for (String bad : new String[] {"", " 1", "1 ", "nan", "1e", "e5", ".", "0x", "1e99999", "1e-99999", "1\u00002"}) {
      RedisException e = assertThrows(RedisException.class, () -> ld(bad), bad);
      assertEquals(Err.NOT_FLOAT, e.reply());
    }
  }

  @Test
  void timeoutsInMillisecondsTruncateAsACast() {
    assertEquals(1500, ld("1.5").timesThousandTruncated());
    assertEquals(16000, ld("0x10").timesThousandTruncated());
    assertEquals(0, ld("0.0009").timesThousandTruncated());
    assertEquals(-1000, ld("-1").timesThousandTruncated());
    assertEquals(Long.MIN_VALUE, ld("1e30").timesThousandTruncated());
    assertEquals(Long.MIN_VALUE, ld("inf").timesThousandTruncated());
  }
}
