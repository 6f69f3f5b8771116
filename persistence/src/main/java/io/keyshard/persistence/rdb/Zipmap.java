package io.keyshard.persistence.rdb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Redis's zipmap (small hashes before Redis 2.6), read only: a count byte (254: unknown), then
 * field and value, each with a length (1 byte, or 254 and 4 bytes little endian), the value
 * followed by a count of unused bytes after it, and 255 where a field would start.
 */
final class Zipmap {
  private Zipmap() {}

  private static final int BIGLEN = 254;
  private static final int END = 255;

  /** Fields and values in turn, checked as Redis's deep sanitization does. */
  static List<byte[]> read(byte[] zm) throws RdbFormatException {
    int size = zm.length;
    if (size < 2 || (zm[size - 1] & 0xff) != END) {
      throw new RdbFormatException("zipmap end");
    }
    int last = size - 1;
    List<byte[]> out = new ArrayList<>();
    int p = 1;
    int pairs = 0;
    while (p < last) {
      if ((zm[p] & 0xff) == END) {
        break;
      }
      int[] at = {p};
      byte[] field = string(zm, at, last, 0);
      check(at[0] < last);
      p = at[0];
      // The value's length, then one byte of unused space to skip after the value.
      int lengthSize = (zm[p] & 0xff) < BIGLEN ? 1 : 5;
      check(p + lengthSize < last);
      int free = zm[p + lengthSize] & 0xff;
      at[0] = p;
      byte[] value = string(zm, at, last, 1);
      p = at[0] + free;
      check(p <= last);
      out.add(field);
      out.add(value);
      pairs++;
    }
    if (p != last) {
      throw new RdbFormatException("zipmap end");
    }
    if (pairs == 0 || ((zm[0] & 0xff) != BIGLEN && (zm[0] & 0xff) != pairs)) {
      throw new RdbFormatException("zipmap count");
    }
    return out;
  }

  /** A length and its bytes at at[0] (skipping {@code gap} bytes between them); moves at[0]. */
  private static byte[] string(byte[] zm, int[] at, int last, int gap) throws RdbFormatException {
    int p = at[0];
    int first = zm[p] & 0xff;
    long len;
    int lengthSize;
    if (first < BIGLEN) {
      len = first;
      lengthSize = 1;
    } else {
      check(p + 5 <= last);
      len = Listpack.le(zm, p + 1, 4);
      lengthSize = 5;
    }
    long start = (long) p + lengthSize + gap;
    check(start + len <= last);
    at[0] = (int) (start + len);
    return Arrays.copyOfRange(zm, (int) start, (int) (start + len));
  }

  private static void check(boolean ok) throws RdbFormatException {
    if (!ok) {
      throw new RdbFormatException("zipmap entry out of bounds");
    }
  }
}
