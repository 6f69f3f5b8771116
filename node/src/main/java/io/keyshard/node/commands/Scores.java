package io.keyshard.node.commands;

import io.keyshard.persistence.ZSetValue;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Sorted-set scores and ranges read as Redis 7.0 reads them. A score goes through C's strtod
 * (decimal, hex "0x1p3", "inf", "infinity"), whole string only, no leading space, never NaN,
 * and overflow to infinity or underflow to zero refused (denormals pass). Range bounds use
 * strtod more loosely (leading spaces and out-of-range values pass, as in zslParseRange).
 */
final class Scores {
  private Scores() {}

  static final Reply MIN_MAX_NOT_FLOAT = Err.err("min or max is not a float");
  static final Reply BAD_LEX_RANGE = Err.err("min or max not valid string range item");

  /** What strtod read: the value, how many bytes it used, and whether digits were nonzero. */
  private record Parsed(double value, int end, boolean rangeError) {}

  private static boolean isSpace(int c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
  }

  private static boolean digit(int c, boolean hex) {
    return (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
  }

  private static boolean matchesIgnoreCase(byte[] s, int at, String word) {
    if (at + word.length() > s.length) {
      return false;
    }
    for (int i = 0; i < word.length(); i++) {
      if (Character.toLowerCase((char) s[at + i]) != word.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** C's strtod from {@code from}: end == from when nothing converted. */
  private static Parsed strtod(byte[] s, int from) {
    int i = from;
    while (i < s.length && isSpace(s[i])) {
      i++;
    }
    boolean negative = false;
    if (i < s.length && (s[i] == '+' || s[i] == '-')) {
      negative = s[i] == '-';
      i++;
    }
    if (matchesIgnoreCase(s, i, "inf")) {
      int end = matchesIgnoreCase(s, i, "infinity") ? i + 8 : i + 3;
      return new Parsed(negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY, end, false);
    }
    if (matchesIgnoreCase(s, i, "nan")) {
      int end = i + 3;
      if (end < s.length && s[end] == '(') {
        int j = end + 1;
        while (j < s.length && (Character.isLetterOrDigit(s[j]) || s[j] == '_')) {
          j++;
        }
        if (j < s.length && s[j] == ')') {
          end = j + 1;
        }
      }
      return new Parsed(Double.NaN, end, false);
    }
    boolean hex =
        i + 2 < s.length
            && s[i] == '0'
            && (s[i + 1] == 'x' || s[i + 1] == 'X')
            && (digit(s[i + 2], true)
                || (s[i + 2] == '.' && i + 3 < s.length && digit(s[i + 3], true)));
    int start = hex ? i + 2 : i;
    int j = start;
    boolean nonzero = false;
    int mantissaDigits = 0;
    while (j < s.length && digit(s[j], hex)) {
      nonzero |= s[j] != '0';
      mantissaDigits++;
      j++;
    }
    if (j < s.length && s[j] == '.') {
      j++;
      while (j < s.length && digit(s[j], hex)) {
        nonzero |= s[j] != '0';
        mantissaDigits++;
        j++;
      }
    }
    if (mantissaDigits == 0) {
      return new Parsed(0, from, false);
    }
    int mantissaEnd = j;
    char expChar = hex ? 'p' : 'e';
    if (j < s.length && Character.toLowerCase((char) s[j]) == expChar) {
      int k = j + 1;
      if (k < s.length && (s[k] == '+' || s[k] == '-')) {
        k++;
      }
      if (k < s.length && digit(s[k], false)) {
        while (k < s.length && digit(s[k], false)) {
          k++;
        }
        j = k;
      }
    }
    String text = new String(s, start, j - start, StandardCharsets.US_ASCII);
    double v;
    if (hex) {
      String body = text;
      if (j == mantissaEnd) {
        body = body + "p0";
      }
      if (body.startsWith(".")) {
        body = "0" + body;
      }
      v = Double.parseDouble("0x" + body);
    } else {
      v = parseDecimal(text);
    }
    boolean rangeError = Double.isInfinite(v) || (v == 0 && nonzero);
    return new Parsed(negative ? -v : v, j, rangeError);
  }

  /** Exponents beyond what a double can show are clamped so parseDouble never sees a huge one. */
  private static double parseDecimal(String text) {
    int e = Math.max(text.indexOf('e'), text.indexOf('E'));
    if (e >= 0) {
      String exp = text.substring(e + 1);
      boolean neg = exp.startsWith("-");
      String digits = exp.replaceFirst("^[+-]", "").replaceFirst("^0+(?=.)", "");
      if (digits.length() > 6) {
        text = text.substring(0, e + 1) + (neg ? "-" : "") + "999999";
      }
    }
    return Double.parseDouble(text);
  }

  /** A score argument (ZADD, ZINCRBY, WEIGHTS): Redis's getDoubleFromObject; null if invalid. */
  static Double parseOrNull(byte[] s) {
    if (s.length == 0 || isSpace(s[0])) {
      return null;
    }
    Parsed p = strtod(s, 0);
    if (p.end != s.length || Double.isNaN(p.value) || p.rangeError && !isLiteralInfinity(s)) {
      return null;
    }
    return p.value;
  }

  /**
   * A value SORT sorts by, as its strtod check reads it: the C string (up to a NUL), leading
   * spaces allowed, nothing after the number, no NaN, no ERANGE (overflow, underflow, denormals);
   * an empty string is 0. Null if not a double.
   */
  static Double sortScore(byte[] s) {
    int len = 0;
    while (len < s.length && s[len] != 0) {
      len++;
    }
    byte[] c = len == s.length ? s : Arrays.copyOf(s, len);
    Parsed p = strtod(c, 0);
    if (p.end != c.length || Double.isNaN(p.value)) {
      return null;
    }
    boolean literalInf = Double.isInfinite(p.value) && isLiteralInfinity(trimLeft(c));
    if ((p.rangeError && !literalInf) || (p.value != 0 && Math.abs(p.value) < Double.MIN_NORMAL)) {
      return null;
    }
    return p.value;
  }

  private static byte[] trimLeft(byte[] s) {
    int i = 0;
    while (i < s.length && isSpace(s[i])) {
      i++;
    }
    return Arrays.copyOfRange(s, i, s.length);
  }

  private static boolean isLiteralInfinity(byte[] s) {
    int i = s.length > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
    return matchesIgnoreCase(s, i, "inf");
  }

  static double parse(byte[] s) {
    Double d = parseOrNull(s);
    if (d == null) {
      throw new RedisException(Err.NOT_FLOAT);
    }
    return d;
  }

  static double parse(byte[] s, Reply error) {
    Double d = parseOrNull(s);
    if (d == null) {
      throw new RedisException(error);
    }
    return d;
  }

  /** A score range: min and max, each maybe exclusive. */
  record Range(double min, boolean minEx, double max, boolean maxEx) {
    boolean aboveMin(double v) {
      return minEx ? v > min : v >= min;
    }

    boolean belowMax(double v) {
      return maxEx ? v < max : v <= max;
    }

    boolean contains(double v) {
      return aboveMin(v) && belowMax(v);
    }
  }

  /** zslParseRange: "(" for exclusive, then strtod of the rest (anything left over is an error). */
  static Range parseRange(byte[] min, byte[] max) {
    double[] v = new double[2];
    boolean[] ex = new boolean[2];
    byte[][] raw = {min, max};
    for (int k = 0; k < 2; k++) {
      byte[] s = raw[k];
      int from = 0;
      if (s.length > 0 && s[0] == '(') {
        ex[k] = true;
        from = 1;
      }
      Parsed p = strtod(s, from);
      if (p.end != s.length || Double.isNaN(p.value)) {
        throw new RedisException(MIN_MAX_NOT_FLOAT);
      }
      v[k] = p.value;
    }
    return new Range(v[0], ex[0], v[1], ex[1]);
  }

  /** A lex bound: "-" (below everything), "+" (above everything), "[x" or "(x". */
  record Lex(byte[] value, boolean exclusive, int infinity) {
    static Lex parse(byte[] s) {
      if (s.length == 1 && s[0] == '-') {
        return new Lex(null, true, -1);
      }
      if (s.length == 1 && s[0] == '+') {
        return new Lex(null, true, 1);
      }
      if (s.length > 0 && (s[0] == '[' || s[0] == '(')) {
        return new Lex(Arrays.copyOfRange(s, 1, s.length), s[0] == '(', 0);
      }
      throw new RedisException(BAD_LEX_RANGE);
    }

    /** Whether a member is at or above this bound used as a minimum. */
    boolean below(byte[] member) {
      if (infinity != 0) {
        return infinity < 0;
      }
      int c = Arrays.compareUnsigned(member, value);
      return exclusive ? c > 0 : c >= 0;
    }

    /** Whether a member is at or below this bound used as a maximum. */
    boolean above(byte[] member) {
      if (infinity != 0) {
        return infinity > 0;
      }
      int c = Arrays.compareUnsigned(member, value);
      return exclusive ? c < 0 : c <= 0;
    }
  }

  record LexRange(Lex min, Lex max) {
    static LexRange parse(byte[] min, byte[] max) {
      return new LexRange(Lex.parse(min), Lex.parse(max));
    }

    /**
     * Redis's quick test before any lex search: the range is not empty, the last member is at
     * or above min and the first at or below max. With scores that differ this decides answers.
     */
    private boolean mayHold(ZSetValue z) {
      int c;
      if (min.infinity != 0 && min.infinity == max.infinity) {
        c = 0;
      } else if (min.infinity < 0 || max.infinity > 0) {
        c = -1;
      } else if (min.infinity > 0 || max.infinity < 0) {
        c = 1;
      } else {
        c = Arrays.compareUnsigned(min.value, max.value);
      }
      if (c > 0 || (c == 0 && (min.exclusive || max.exclusive))) {
        return false;
      }
      return z.size() > 0 && min.below(z.last().member()) && max.above(z.first().member());
    }

    boolean contains(byte[] member) {
      return min.below(member) && max.above(member);
    }

    /**
     * The first member in range, in the set's order (meaningful when all scores are equal). A
     * compact set is scanned from its start, as Redis scans a listpack, so that even scores that
     * differ give Redis's answer; a skiplist is searched, as Redis searches one.
     */
    ZSetValue.Node first(ZSetValue z) {
      if (!mayHold(z)) {
        return null;
      }
      if (isCompact(z)) {
        ZSetValue.Node x = z.first();
        while (x != null && !min.below(x.member())) {
          x = x.next();
        }
        return x != null && max.above(x.member()) ? x : null;
      }
      ZSetValue.Node n =
          min.infinity < 0 ? z.first() : min.infinity > 0 ? null : z.firstLexAtOrAbove(min.value, min.exclusive);
      return n != null && max.above(n.member()) ? n : null;
    }

    ZSetValue.Node last(ZSetValue z) {
      if (!mayHold(z)) {
        return null;
      }
      if (isCompact(z)) {
        ZSetValue.Node x = z.last();
        while (x != null && !max.above(x.member())) {
          x = x.prev();
        }
        return x != null && min.below(x.member()) ? x : null;
      }
      ZSetValue.Node n =
          max.infinity > 0 ? z.last() : max.infinity < 0 ? null : z.lastLexAtOrBelow(max.value, max.exclusive);
      return n != null && min.below(n.member()) ? n : null;
    }
  }

  static boolean isCompact(ZSetValue z) {
    return z.encoding().equals("listpack");
  }

  /** The first member of a score range in ascending order, or null. */
  static ZSetValue.Node first(ZSetValue z, Range r) {
    ZSetValue.Node n = z.firstAtOrAbove(r.min(), r.minEx());
    return n != null && r.belowMax(n.score()) ? n : null;
  }

  static ZSetValue.Node last(ZSetValue z, Range r) {
    ZSetValue.Node n = z.lastAtOrBelow(r.max(), r.maxEx());
    return n != null && r.aboveMin(n.score()) ? n : null;
  }
}
