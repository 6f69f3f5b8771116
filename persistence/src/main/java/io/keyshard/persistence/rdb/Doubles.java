package io.keyshard.persistence.rdb;

import io.keyshard.protocol.RespWriter;
import java.nio.charset.StandardCharsets;

/**
 * Scores as text inside RDB: read like C's strtod reads what Redis wrote ("%.17g", an integer,
 * "inf", "-inf", "nan"), and written as Redis's d2string writes them. Redis reads at most 127
 * characters of a listpack score, so a longer one is read to that length too.
 */
final class Doubles {
  private Doubles() {}

  private static final int MAX_CHARS = 127;

  /** The number {@code text} holds; refuses text that is not one number, whole. */
  static double parse(byte[] text) throws RdbFormatException {
    int n = Math.min(text.length, MAX_CHARS);
    int i = 0;
    boolean negative = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) {
      negative = text[i] == '-';
      i++;
    }
    String rest = new String(text, i, n - i, StandardCharsets.US_ASCII).toLowerCase();
    double v;
    if (rest.equals("inf") || rest.equals("infinity")) {
      v = Double.POSITIVE_INFINITY;
    } else if (rest.equals("nan")) {
      v = Double.NaN;
    } else {
      int end = decimalEnd(rest);
      boolean truncated = text.length > MAX_CHARS;
      if (end == 0 || (end != rest.length() && !truncated)) {
        throw new RdbFormatException("not a number: " + rest);
      }
      v = Double.parseDouble(rest.substring(0, end));
    }
    return negative ? -v : v;
  }

  /** Where the longest decimal number at the start of s ends (0: none), as strtod takes it. */
  private static int decimalEnd(String s) {
    int i = 0;
    int digits = 0;
    while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
      i++;
      digits++;
    }
    if (i < s.length() && s.charAt(i) == '.') {
      i++;
      while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        i++;
        digits++;
      }
    }
    if (digits == 0) {
      return 0;
    }
    if (i < s.length() && s.charAt(i) == 'e') {
      int j = i + 1;
      if (j < s.length() && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
        j++;
      }
      int expStart = j;
      while (j < s.length() && s.charAt(j) >= '0' && s.charAt(j) <= '9') {
        j++;
      }
      if (j > expStart) {
        // Any length: Java's parser, like strtod, makes a huge exponent infinity or zero.
        i = j;
      }
    }
    return i;
  }

  /** A score as listpack text: Redis's d2string (integers never come here, see Listpacks). */
  static byte[] format(double d) {
    return RespWriter.formatDouble(d).getBytes(StandardCharsets.US_ASCII);
  }
}
