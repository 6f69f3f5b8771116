package io.keyshard.persistence.rdb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Redis's intset, a small set of integers: the width of every element (2, 4 or 8 bytes), the
 * count, then the elements in ascending order, all little endian.
 */
final class Intset {
  private Intset() {}

  private static final int HEADER = 8;

  /** The blob for these values (sorted, distinct), at the narrowest width that holds them all. */
  static byte[] write(long[] sorted) {
    int width = 2;
    for (long v : sorted) {
      if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
        width = 8;
        break;
      } else if (v < Short.MIN_VALUE || v > Short.MAX_VALUE) {
        width = 4;
      }
    }
    RdbOutput out = new RdbOutput(HEADER + sorted.length * width);
    out.writeLittleEndian(width, 4);
    out.writeLittleEndian(sorted.length, 4);
    for (long v : sorted) {
      out.writeLittleEndian(v, width);
    }
    return Arrays.copyOf(out.array(), out.size());
  }

  /** The members as decimal bytes, checked as Redis's deep sanitization does. */
  static List<byte[]> read(byte[] is) throws RdbFormatException {
    if (is.length < HEADER) {
      throw new RdbFormatException("intset of " + is.length + " bytes");
    }
    long width = Listpack.le(is, 0, 4);
    long count = Listpack.le(is, 4, 4);
    if (width != 2 && width != 4 && width != 8) {
      throw new RdbFormatException("intset width " + width);
    }
    if (count == 0 || HEADER + count * width != is.length) {
      throw new RdbFormatException("intset count " + count + " in " + is.length + " bytes");
    }
    List<byte[]> out = new ArrayList<>((int) count);
    int shift = 64 - 8 * (int) width;
    long previous = 0;
    for (int i = 0; i < count; i++) {
      long v = (Listpack.le(is, HEADER + i * (int) width, (int) width) << shift) >> shift;
      if (i > 0 && v <= previous) {
        throw new RdbFormatException("intset out of order");
      }
      previous = v;
      out.add(CanonicalLong.bytes(v));
    }
    return out;
  }
}
