package io.keyshard.node.scripting;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;

/**
 * C's number conversions and formats as Redis's libraries get them from gcc and glibc on x86-64:
 * the casts (whose out-of-range results are the x86 instructions'), {@code %.<n>g} and
 * {@code strtod}. The libraries' replies embed these results, so they are emulated, not
 * approximated with Java's own conversions.
 */
final class CNumbers {
  private static final double TWO_63 = 0x1p63;

  private CNumbers() {}

  /** {@code (long long) d}: toward zero; NaN and out of range give the minimum (cvttsd2si). */
  static long toInt64(double d) {
    if (Double.isNaN(d) || d >= TWO_63 || d < -TWO_63) {
      return Long.MIN_VALUE;
    }
    return (long) d;
  }

  /**
   * {@code (unsigned long long) d} (also size_t) as gcc compiles it: from 2^63 up the signed
   * conversion of d - 2^63 with the top bit flipped (so 2^64 and up give 0), otherwise the signed
   * conversion (so a negative value wraps and NaN gives 2^63).
   */
  static long toUint64(double d) {
    if (d >= TWO_63) {
      return toInt64(d - TWO_63) ^ Long.MIN_VALUE;
    }
    return toInt64(d);
  }

  /** {@code (double)} of an unsigned 64-bit value, rounded to nearest as C does. */
  static double uint64ToDouble(long v) {
    if (v >= 0) {
      return v;
    }
    // Halve (keeping the lost bit sticky so the rounding is the same), convert, double.
    return ((v >>> 1) | (v & 1)) * 2.0;
  }

  /** {@code printf("%.<precision>g", d)}: what tostring (14) and cjson print. */
  static String formatG(double d, int precision) {
    if (Double.isNaN(d)) {
      return (Double.doubleToRawLongBits(d) < 0) ? "-nan" : "nan";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    boolean negative = (Double.doubleToRawLongBits(d) < 0);
    if (d == 0) {
      return negative ? "-0" : "0";
    }
    int p = Math.max(precision, 1);
    BigDecimal rounded = new BigDecimal(Math.abs(d)).round(new MathContext(p, RoundingMode.HALF_EVEN));
    int exponent = rounded.precision() - rounded.scale() - 1;
    StringBuilder sb = new StringBuilder(negative ? "-" : "");
    if (exponent < -4 || exponent >= p) {
      String digits = rounded.unscaledValue().toString();
      sb.append(digits.charAt(0));
      String fraction = stripZeros(digits.substring(1));
      if (!fraction.isEmpty()) {
        sb.append('.').append(fraction);
      }
      sb.append(exponent < 0 ? "e-" : "e+");
      int e = Math.abs(exponent);
      if (e < 10) {
        sb.append('0');
      }
      sb.append(e);
    } else {
      String plain = rounded.setScale(Math.max(p - 1 - exponent, 0), RoundingMode.UNNECESSARY).toPlainString();
      int dot = plain.indexOf('.');
      if (dot >= 0) {
        plain = stripZeros(plain);
        if (plain.endsWith(".")) {
          plain = plain.substring(0, plain.length() - 1);
        }
      }
      sb.append(plain);
    }
    return sb.toString();
  }

  private static String stripZeros(String s) {
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == '0') {
      end--;
    }
    return s.substring(0, end);
  }

  /** What {@link #strtod} read: the value and the index after the last byte used (start if none). */
  record Parsed(double value, int end) {}

  /**
   * glibc's {@code strtod} in the C locale on {@code s} from {@code start}: leading space, a sign,
   * inf/infinity, nan with an optional (payload), hexadecimal with a binary exponent, decimal
   * with an exponent; the longest prefix that is a number, correctly rounded.
   */
  static Parsed strtod(byte[] s, int start) {
    int p = start;
    while (p < s.length && isSpace(s[p])) {
      p++;
    }
    boolean negative = false;
    if (p < s.length && (s[p] == '+' || s[p] == '-')) {
      negative = s[p] == '-';
      p++;
    }
    if (startsWithIgnoreCase(s, p, "inf")) {
      p += startsWithIgnoreCase(s, p, "infinity") ? 8 : 3;
      return new Parsed(negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY, p);
    }
    if (startsWithIgnoreCase(s, p, "nan")) {
      p += 3;
      long bits = 0x7ff8000000000000L;
      if (p < s.length && s[p] == '(') {
        int q = p + 1;
        while (q < s.length && (isDigit(s[q]) || ((s[q] | 0x20) >= 'a' && (s[q] | 0x20) <= 'z') || s[q] == '_')) {
          q++;
        }
        if (q < s.length && s[q] == ')') {
          bits |= nanPayload(s, p + 1, q) & 0x7ffffffffffffL;
          p = q + 1;
        }
      }
      if (negative) {
        bits |= Long.MIN_VALUE;
      }
      return new Parsed(Double.longBitsToDouble(bits), p);
    }
    Parsed hex = hex(s, p);
    Parsed unsigned = hex != null ? hex : decimal(s, p);
    if (unsigned == null) {
      return new Parsed(0, start);
    }
    return new Parsed(negative ? -unsigned.value() : unsigned.value(), unsigned.end());
  }

  private static Parsed decimal(byte[] s, int p) {
    int q = p;
    int digits = 0;
    while (q < s.length && isDigit(s[q])) {
      q++;
      digits++;
    }
    if (q < s.length && s[q] == '.') {
      q++;
      while (q < s.length && isDigit(s[q])) {
        q++;
        digits++;
      }
    }
    if (digits == 0) {
      return null;
    }
    int mantissaEnd = q;
    q = exponent(s, q, 'e');
    String text = new String(s, p, mantissaEnd - p, StandardCharsets.ISO_8859_1);
    String exp = new String(s, mantissaEnd, q - mantissaEnd, StandardCharsets.ISO_8859_1);
    return new Parsed(Double.parseDouble(text + clampExponent(exp)), q);
  }

  /** {@code 0x} hex digits [. hex digits] [p exponent], or null when no hex digit follows 0x. */
  private static Parsed hex(byte[] s, int p) {
    if (p + 1 >= s.length || s[p] != '0' || (s[p + 1] | 0x20) != 'x') {
      return null;
    }
    int q = p + 2;
    int digits = 0;
    while (q < s.length && isHexDigit(s[q])) {
      q++;
      digits++;
    }
    if (q < s.length && s[q] == '.') {
      q++;
      while (q < s.length && isHexDigit(s[q])) {
        q++;
        digits++;
      }
    }
    if (digits == 0) {
      return null;
    }
    int mantissaEnd = q;
    q = exponent(s, q, 'p');
    String mantissa = new String(s, p, mantissaEnd - p, StandardCharsets.ISO_8859_1);
    String exp = q > mantissaEnd ? new String(s, mantissaEnd, q - mantissaEnd, StandardCharsets.ISO_8859_1) : "p0";
    if (mantissa.endsWith(".")) {
      mantissa = mantissa + "0";
    }
    return new Parsed(Double.parseDouble(mantissa + clampExponent(exp)), q);
  }

  /** An exponent ({@code e}/{@code p}, a sign, digits) at q if it has a digit; its end, else q. */
  private static int exponent(byte[] s, int q, char letter) {
    if (q < s.length && (s[q] | 0x20) == letter) {
      int r = q + 1;
      if (r < s.length && (s[r] == '+' || s[r] == '-')) {
        r++;
      }
      if (r < s.length && isDigit(s[r])) {
        while (r < s.length && isDigit(s[r])) {
          r++;
        }
        return r;
      }
    }
    return q;
  }

  /** An exponent Java can parse: beyond a million the result is 0 or infinity anyway. */
  private static String clampExponent(String exp) {
    if (exp.length() < 9) {
      return exp;
    }
    int digitsAt = exp.length() > 1 && (exp.charAt(1) == '+' || exp.charAt(1) == '-') ? 2 : 1;
    String digits = exp.substring(digitsAt).replaceFirst("^0+(?=.)", "");
    return digits.length() < 8 ? exp.substring(0, digitsAt) + digits : exp.substring(0, digitsAt) + "9999999";
  }

  /** glibc sets a NaN's payload from the (...) text when it is all one strtoull(base 0) number. */
  private static long nanPayload(byte[] s, int from, int to) {
    if (from == to) {
      return 0;
    }
    int base = 10;
    int p = from;
    if (s[p] == '0') {
      if (p + 1 < to && (s[p + 1] | 0x20) == 'x' && p + 2 < to && isHexDigit(s[p + 2])) {
        base = 16;
        p += 2;
      } else {
        base = 8;
      }
    }
    BigInteger v = BigInteger.ZERO;
    for (; p < to; p++) {
      int digit = Character.digit(s[p] & 0xff, base);
      if (digit < 0) {
        return 0;
      }
      v = v.multiply(BigInteger.valueOf(base)).add(BigInteger.valueOf(digit));
    }
    // strtoull saturates.
    return v.bitLength() > 64 ? -1L : v.longValue();
  }

  private static boolean startsWithIgnoreCase(byte[] s, int p, String word) {
    if (p + word.length() > s.length) {
      return false;
    }
    for (int i = 0; i < word.length(); i++) {
      if ((s[p + i] | 0x20) != word.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  static boolean isDigit(byte b) {
    return b >= '0' && b <= '9';
  }

  private static boolean isHexDigit(byte b) {
    return isDigit(b) || ((b | 0x20) >= 'a' && (b | 0x20) <= 'f');
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || (b >= '\t' && b <= '\r');
  }
}
