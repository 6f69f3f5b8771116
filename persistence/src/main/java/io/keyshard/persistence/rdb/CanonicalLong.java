package io.keyshard.persistence.rdb;

import java.nio.charset.StandardCharsets;

/**
 * Redis's string2ll: whether bytes are a signed 64-bit integer written the one way Redis would
 * print it (no sign '+', no leading zero, no "-0", no spaces). Such strings are stored as
 * integers in RDB strings, listpacks and intsets, and read back as the same bytes.
 */
final class CanonicalLong {
  private CanonicalLong() {}

  static boolean test(byte[] b) {
    int n = b.length;
    if (n == 0 || n > 20) {
      return false;
    }
    if (n == 1 && b[0] == '0') {
      return true;
    }
    int i = b[0] == '-' ? 1 : 0;
    if (i == n || b[i] < '1' || b[i] > '9') {
      return false;
    }
    long v = 0;
    for (int j = i; j < n; j++) {
      int d = b[j] - '0';
      if (d < 0 || d > 9) {
        return false;
      }
      // Accumulated negatively: the negative range is one larger than the positive one.
      if (v < (Long.MIN_VALUE + d) / 10) {
        return false;
      }
      v = v * 10 - d;
    }
    return i == 1 || v != Long.MIN_VALUE;
  }

  /** The value of bytes that passed {@link #test}. */
  static long value(byte[] b) {
    boolean negative = b[0] == '-';
    long v = 0;
    for (int j = negative ? 1 : 0; j < b.length; j++) {
      v = v * 10 - (b[j] - '0');
    }
    return negative ? v : -v;
  }

  static byte[] bytes(long v) {
    return Long.toString(v).getBytes(StandardCharsets.US_ASCII);
  }
}
