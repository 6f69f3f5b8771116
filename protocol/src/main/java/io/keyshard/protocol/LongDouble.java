package io.keyshard.protocol;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Emulates the x86 80-bit long double that Redis uses for INCRBYFLOAT and HINCRBYFLOAT, with exact
 * BigDecimals rounded to its precision: a 64-bit significand, exponents down to -16382 (then
 * subnormal, to 2^-16445) and up to 16383. Java has no such type, and a plain double gives
 * visibly different answers (10.5 + 0.1 prints 10.6 in Redis, 10.59999999999999964 with doubles).
 *
 * <p>strtold is correctly rounded, so {@code round(new BigDecimal(text))} is what Redis parses
 * from a decimal text; {@code round(a.add(b))} is the x87 sum of two such values.
 */
public final class LongDouble {
  private LongDouble() {}

  private static final int SIGNIFICAND_BITS = 64;
  private static final int MIN_EXPONENT = -16382; // of the leading bit of a normal number
  private static final int MAX_EXPONENT = 16383;

  /**
   * The long double nearest to {@code exact} (ties to even), as an exact BigDecimal.
   *
   * @throws ArithmeticException if it overflows to infinity, which INCRBYFLOAT reports as "ERR
   *     increment would produce NaN or Infinity"
   */
  public static BigDecimal round(BigDecimal exact) {
    if (exact.signum() == 0) return BigDecimal.ZERO;
    // |exact| = num / den with integers.
    BigInteger num = exact.unscaledValue().abs();
    BigInteger den = BigInteger.ONE;
    if (exact.scale() > 0) den = BigInteger.TEN.pow(exact.scale());
    else num = num.multiply(BigInteger.TEN.pow(-exact.scale()));

    // e = floor(log2(num / den)).
    int e = num.bitLength() - den.bitLength();
    if (e >= 0 ? num.compareTo(den.shiftLeft(e)) < 0 : num.shiftLeft(-e).compareTo(den) < 0) e--;
    if (e > MAX_EXPONENT) throw new ArithmeticException("long double overflow");

    // Unit in the last place: 2^q, coarser for subnormals.
    int q = Math.max(e, MIN_EXPONENT) - (SIGNIFICAND_BITS - 1);
    BigInteger n = q < 0 ? num.shiftLeft(-q) : num;
    BigInteger d = q > 0 ? den.shiftLeft(q) : den;
    BigInteger[] qr = n.divideAndRemainder(d);
    BigInteger m = qr[0];
    int half = qr[1].shiftLeft(1).compareTo(d);
    if (half > 0 || (half == 0 && m.testBit(0))) m = m.add(BigInteger.ONE);
    if (m.bitLength() + q - 1 > MAX_EXPONENT) throw new ArithmeticException("long double overflow");

    // m * 2^q exactly: for q < 0, 2^q = 5^-q / 10^-q.
    BigDecimal result = q >= 0
        ? new BigDecimal(m.shiftLeft(q))
        : new BigDecimal(m.multiply(BigInteger.valueOf(5).pow(-q)), -q);
    return exact.signum() < 0 ? result.negate() : result;
  }
}
