package io.keyshard.persistence.rdb;

import io.keyshard.persistence.StringValue;
import java.nio.charset.StandardCharsets;

/**
 * Redis's string2ll: whether bytes are a signed 64-bit integer written the one way Redis would
 * print it (no sign '+', no leading zero, no "-0", no spaces). Such strings are stored as
 * integers in RDB strings, listpacks and intsets, and read back as the same bytes.
 */
final class CanonicalLong {
  private CanonicalLong() {}

  static boolean test(byte[] b) {
    return StringValue.isCanonicalLong(b);
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
