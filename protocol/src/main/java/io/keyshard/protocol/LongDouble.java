package io.keyshard.protocol;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An x86 80-bit long double, which Redis uses for INCRBYFLOAT, HINCRBYFLOAT and the timeouts of
 * the blocking commands: a 64-bit significand and a 15-bit exponent, with subnormals down to
 * 2^-16445. Java has no such type, and a plain double gives visibly different answers (10.5 + 0.1
 * prints 10.6 in Redis, 10.59999999999999964 with doubles).
 *
 * <p>Finite values are {@code mantissa * 2^exponent}, held exactly; parsing and every operation
 * round to nearest-even at 64 significant bits, as strtold and the FPU do, so results (and their
 * 17-decimal rendering) match Redis bit for bit.
 */
public final class LongDouble {
  private static final int SIGNIFICAND_BITS = 64;
  /** Exponent of the lowest significand bit of the smallest subnormal: 2^-16445. */
  private static final int MIN_LSB_EXPONENT = -16445;
  /** Every finite value is below 2^16384. */
  private static final int MAX_BINARY_EXPONENT = 16384;
  /** Redis refuses float arguments of this many bytes or more (MAX_LONG_DOUBLE_CHARS). */
  private static final int MAX_CHARS = 5 * 1024;

  public static final LongDouble ZERO = new LongDouble(BigInteger.ZERO, 0, 0);
  private static final LongDouble POSITIVE_INFINITY = new LongDouble(null, 0, 1);
  private static final LongDouble NEGATIVE_INFINITY = new LongDouble(null, 0, -1);
  private static final LongDouble NAN = new LongDouble(null, 0, 0);

  /** Signed significand; null for infinities and NaN. */
  private final BigInteger mantissa;
  private final int exponent;
  /** For non-finite values: +1, -1, or 0 for NaN. */
  private final int infinity;

  private LongDouble(BigInteger mantissa, int exponent, int infinity) {
    this.mantissa = mantissa;
    this.exponent = exponent;
    this.infinity = infinity;
  }

  public boolean isFinite() {
    return mantissa != null;
  }

  /**
   * The long double nearest to {@code exact} (ties to even), as an exact BigDecimal: what strtold
   * reads from a decimal text (it rounds correctly), and {@code round(a.add(b))} is the x87 sum of
   * two such values.
   *
   * @throws ArithmeticException if it overflows to infinity, which INCRBYFLOAT reports as "ERR
   *     increment would produce NaN or Infinity"
   */
  public static BigDecimal round(BigDecimal exact) {
    LongDouble v = of(exact);
    if (!v.isFinite()) {
      throw new ArithmeticException("long double overflow");
    }
    return v.toBigDecimal();
  }

  /** The long double nearest to {@code exact} (ties to even); an infinity beyond the largest. */
  public static LongDouble of(BigDecimal exact) {
    if (exact.signum() == 0) {
      return ZERO;
    }
    BigInteger num = exact.unscaledValue().abs();
    BigInteger den = BigInteger.ONE;
    if (exact.scale() > 0) {
      den = BigInteger.TEN.pow(exact.scale());
    } else {
      num = num.multiply(BigInteger.TEN.pow(-exact.scale()));
    }
    return round(exact.signum(), num, den, 0);
  }

  /** The exact value of a finite long double. */
  public BigDecimal toBigDecimal() {
    if (mantissa == null) {
      throw new ArithmeticException("not a finite long double");
    }
    return exponent >= 0
        ? new BigDecimal(mantissa.shiftLeft(exponent))
        : new BigDecimal(mantissa.multiply(BigInteger.valueOf(5).pow(-exponent)), -exponent);
  }

  /**
   * The value times 1000, truncated toward zero as C's cast to long long; a result outside the
   * long range (or infinite) becomes Long.MIN_VALUE, as x86's conversion gives.
   */
  public long timesThousandTruncated() {
    if (mantissa == null) {
      return Long.MIN_VALUE;
    }
    if (exponent < -80) {
      return 0; // |mantissa| < 2^64, so |value * 1000| < 1
    }
    BigInteger t = toBigDecimal().multiply(BigDecimal.valueOf(1000)).toBigInteger();
    return t.bitLength() < 64 ? t.longValue() : Long.MIN_VALUE;
  }

  /**
   * Parses as Redis's string2ld: strtold's full syntax (decimal, hexadecimal, inf, infinity)
   * covering every byte, no NaN, and no overflow or underflow to zero. Refuses with "value is not
   * a valid float".
   */
  public static LongDouble parse(byte[] raw) {
    if (raw.length == 0 || raw.length >= MAX_CHARS) {
      throw new RedisException(Err.NOT_FLOAT);
    }
    // Every byte must be consumed, so an embedded NUL (where strtold stops) is refused too.
    LongDouble v = parseOrNull(new String(raw, StandardCharsets.ISO_8859_1));
    if (v == null) {
      throw new RedisException(Err.NOT_FLOAT);
    }
    return v;
  }

  private static LongDouble parseOrNull(String s) {
    int i = 0;
    int sign = 1;
    if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      sign = s.charAt(i) == '-' ? -1 : 1;
      i++;
    }
    String body = s.substring(i).toLowerCase(Locale.ROOT);
    if (body.equals("inf") || body.equals("infinity")) {
      return sign > 0 ? POSITIVE_INFINITY : NEGATIVE_INFINITY;
    }
    if (body.startsWith("0x")) {
      return parseHex(body.substring(2), sign);
    }
    return parseDecimal(body, sign);
  }

  /** [digits][.digits][e[+-]digits], at least one digit before the exponent. */
  private static LongDouble parseDecimal(String s, int sign) {
    StringBuilder digits = new StringBuilder();
    int i = 0;
    int fractionDigits = 0;
    boolean any = false;
    while (i < s.length() && isDigit(s.charAt(i))) {
      digits.append(s.charAt(i++));
      any = true;
    }
    if (i < s.length() && s.charAt(i) == '.') {
      i++;
      while (i < s.length() && isDigit(s.charAt(i))) {
        digits.append(s.charAt(i++));
        fractionDigits++;
        any = true;
      }
    }
    if (!any) {
      return null;
    }
    long exp10 = 0;
    if (i < s.length() && s.charAt(i) == 'e') {
      Long e = parseExponent(s, i + 1);
      if (e == null) {
        return null;
      }
      exp10 = e;
      i = s.length();
    }
    if (i != s.length()) {
      return null;
    }
    BigInteger m = new BigInteger(digits.toString());
    if (m.signum() == 0) {
      return ZERO;
    }
    long scale = exp10 - fractionDigits;
    // Far outside 10^±4951 the value overflows or underflows whatever the digits: refuse it
    // before building huge powers of ten.
    long magnitude = scale + m.toString().length();
    if (magnitude > 5000 || magnitude < -5000) {
      return null;
    }
    BigInteger num = m;
    BigInteger den = BigInteger.ONE;
    if (scale >= 0) {
      num = m.multiply(BigInteger.TEN.pow((int) scale));
    } else {
      den = BigInteger.TEN.pow((int) -scale);
    }
    return fromParse(round(sign, num, den, 0));
  }

  /** [hexdigits][.hexdigits][p[+-]digits] after "0x". */
  private static LongDouble parseHex(String s, int sign) {
    StringBuilder digits = new StringBuilder();
    int i = 0;
    int fractionDigits = 0;
    boolean any = false;
    while (i < s.length() && Character.digit(s.charAt(i), 16) >= 0) {
      digits.append(s.charAt(i++));
      any = true;
    }
    if (i < s.length() && s.charAt(i) == '.') {
      i++;
      while (i < s.length() && Character.digit(s.charAt(i), 16) >= 0) {
        digits.append(s.charAt(i++));
        fractionDigits++;
        any = true;
      }
    }
    if (!any) {
      return null;
    }
    long exp2 = 0;
    if (i < s.length() && s.charAt(i) == 'p') {
      Long e = parseExponent(s, i + 1);
      if (e == null) {
        return null;
      }
      exp2 = e;
      i = s.length();
    }
    if (i != s.length()) {
      return null;
    }
    BigInteger m = new BigInteger(digits.toString(), 16);
    if (m.signum() == 0) {
      return ZERO;
    }
    long scale = exp2 - 4L * fractionDigits;
    if (scale + m.bitLength() > MAX_BINARY_EXPONENT + 64
        || scale + m.bitLength() < MIN_LSB_EXPONENT - 64) {
      return null;
    }
    return fromParse(round(sign, m, BigInteger.ONE, (int) scale));
  }

  /** Overflow to infinity and underflow to zero are range errors strtold reports; Redis refuses. */
  private static LongDouble fromParse(LongDouble v) {
    return v.isFinite() && v.mantissa.signum() != 0 ? v : null;
  }

  /** Signed decimal exponent digits from {@code from} to the end, saturating; null if malformed. */
  private static Long parseExponent(String s, int from) {
    int i = from;
    boolean negative = false;
    if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      negative = s.charAt(i) == '-';
      i++;
    }
    if (i == s.length()) {
      return null;
    }
    long e = 0;
    for (; i < s.length(); i++) {
      if (!isDigit(s.charAt(i))) {
        return null;
      }
      e = Math.min(e * 10 + (s.charAt(i) - '0'), 1_000_000_000L);
    }
    return negative ? -e : e;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** The x87 sum: exact, then rounded once; inf + -inf is NaN. */
  public LongDouble add(LongDouble o) {
    if (!isFinite() || !o.isFinite()) {
      if (!isFinite() && !o.isFinite()) {
        return infinity == o.infinity ? this : NAN;
      }
      return isFinite() ? o : this;
    }
    int e = Math.min(exponent, o.exponent);
    BigInteger sum = mantissa.shiftLeft(exponent - e).add(o.mantissa.shiftLeft(o.exponent - e));
    if (sum.signum() == 0) {
      return ZERO;
    }
    return round(sum.signum(), sum.abs(), BigInteger.ONE, e);
  }

  /**
   * The long double nearest to {@code sign * num / den * 2^exp2} (num, den > 0), ties to even, or
   * an infinity when it is beyond the largest finite value.
   */
  private static LongDouble round(int sign, BigInteger num, BigInteger den, int exp2) {
    // k = floor(log2(num / den)), first estimated from bit lengths, then corrected.
    int k = num.bitLength() - den.bitLength();
    if (compareScaled(num, den, k) < 0) {
      k--;
    }
    long lsb = Math.max((long) k + exp2 - (SIGNIFICAND_BITS - 1), MIN_LSB_EXPONENT);
    int shift = (int) (lsb - exp2); // value / 2^lsb = num / den / 2^shift
    BigInteger n = num;
    BigInteger d = den;
    if (shift >= 0) {
      d = d.shiftLeft(shift);
    } else {
      n = n.shiftLeft(-shift);
    }
    BigInteger[] qr = n.divideAndRemainder(d);
    BigInteger m = qr[0];
    int half = qr[1].shiftLeft(1).compareTo(d);
    if (half > 0 || (half == 0 && m.testBit(0))) {
      m = m.add(BigInteger.ONE);
    }
    if (m.bitLength() > SIGNIFICAND_BITS) {
      m = m.shiftRight(1);
      lsb++;
    }
    if (m.signum() == 0) {
      return ZERO;
    }
    if (lsb + m.bitLength() > MAX_BINARY_EXPONENT) {
      return sign > 0 ? POSITIVE_INFINITY : NEGATIVE_INFINITY;
    }
    return new LongDouble(sign < 0 ? m.negate() : m, (int) lsb, 0);
  }

  /** Compares num/den with 2^k. */
  private static int compareScaled(BigInteger num, BigInteger den, int k) {
    return k >= 0 ? num.compareTo(den.shiftLeft(k)) : num.shiftLeft(-k).compareTo(den);
  }

  /**
   * As Redis prints INCRBYFLOAT and HINCRBYFLOAT results (ld2string in human mode): {@code
   * %.17Lf}, then trailing zeros and a bare point dropped, and "-0" shown as "0".
   */
  public String toHumanString() {
    String s = toBigDecimal().setScale(17, RoundingMode.HALF_EVEN).toPlainString();
    int end = s.length();
    while (s.charAt(end - 1) == '0') {
      end--;
    }
    if (s.charAt(end - 1) == '.') {
      end--;
    }
    s = s.substring(0, end);
    return s.equals("-0") ? "0" : s;
  }
}
