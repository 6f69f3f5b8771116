package io.keyshard.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.math.BigInteger;
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
}
