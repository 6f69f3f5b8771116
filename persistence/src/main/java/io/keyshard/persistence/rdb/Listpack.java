package io.keyshard.persistence.rdb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Redis's listpack, the blob behind small hashes and sorted sets and every quicklist node:
 * a 6-byte header (total bytes, element count, little endian), entries, and 0xFF. An entry is
 * its encoding (a 7, 13, 16, 24, 32 or 64-bit integer, or a string with a 6, 12 or 32-bit
 * length), its data, and its own length written backwards (1 to 5 bytes) for reverse walks.
 */
final class Listpack {
  private Listpack() {}

  static final int HEADER = 6;
  private static final int EOF = 0xff;
  /** The element count field says "unknown" from here on; readers then count. */
  private static final int COUNT_UNKNOWN = 0xffff;

  /** Builds one listpack, appending as lpAppend does: canonical integers as integers. */
  static final class Writer {
    private final RdbOutput out = new RdbOutput(64);
    private int count;

    Writer() {
      out.writeLittleEndian(0, 4);
      out.writeLittleEndian(0, 2);
    }

    /** Bytes so far, header and terminator included (a quicklist node's fill is measured so). */
    int bytes() {
      return out.size() + 1;
    }

    int count() {
      return count;
    }

    void append(byte[] element) {
      if (element.length < 21 && CanonicalLong.test(element)) {
        appendInteger(CanonicalLong.value(element));
      } else {
        appendString(element);
      }
    }

    void appendInteger(long v) {
      int start = out.size();
      if (v >= 0 && v <= 127) {
        out.writeByte((int) v);
      } else if (v >= -4096 && v <= 4095) {
        long u = v < 0 ? (1L << 13) + v : v;
        out.writeByte((int) (u >> 8) | 0xc0);
        out.writeByte((int) u);
      } else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
        out.writeByte(0xf1);
        out.writeLittleEndian(v, 2);
      } else if (v >= -(1 << 23) && v < (1 << 23)) {
        out.writeByte(0xf2);
        out.writeLittleEndian(v, 3);
      } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
        out.writeByte(0xf3);
        out.writeLittleEndian(v, 4);
      } else {
        out.writeByte(0xf4);
        out.writeLittleEndian(v, 8);
      }
      endEntry(start);
    }

    void appendString(byte[] s) {
      int start = out.size();
      int len = s.length;
      if (len < 64) {
        out.writeByte(0x80 | len);
      } else if (len < 4096) {
        out.writeByte(0xe0 | (len >> 8));
        out.writeByte(len & 0xff);
      } else {
        out.writeByte(0xf0);
        out.writeLittleEndian(len, 4);
      }
      out.write(s);
      endEntry(start);
    }

    private void endEntry(int start) {
      writeBacklen(out, out.size() - start);
      count++;
    }

    byte[] toBytes() {
      out.writeByte(EOF);
      byte[] b = Arrays.copyOf(out.array(), out.size());
      long total = b.length;
      if (total > 0xffffffffL) {
        throw new IllegalStateException("listpack over 4 GB");
      }
      for (int i = 0; i < 4; i++) {
        b[i] = (byte) (total >>> (8 * i));
      }
      int n = Math.min(count, COUNT_UNKNOWN);
      b[4] = (byte) n;
      b[5] = (byte) (n >> 8);
      return b;
    }
  }

  /** An entry's length, written so it can be read from its last byte backwards. */
  private static void writeBacklen(RdbOutput out, long l) {
    if (l <= 127) {
      out.writeByte((int) l);
    } else if (l < 16383) {
      out.writeByte((int) (l >> 7));
      out.writeByte((int) (l & 127) | 128);
    } else if (l < 2097151) {
      out.writeByte((int) (l >> 14));
      out.writeByte((int) ((l >> 7) & 127) | 128);
      out.writeByte((int) (l & 127) | 128);
    } else if (l < 268435455) {
      out.writeByte((int) (l >> 21));
      out.writeByte((int) ((l >> 14) & 127) | 128);
      out.writeByte((int) ((l >> 7) & 127) | 128);
      out.writeByte((int) (l & 127) | 128);
    } else {
      out.writeByte((int) (l >> 28));
      out.writeByte((int) ((l >> 21) & 127) | 128);
      out.writeByte((int) ((l >> 14) & 127) | 128);
      out.writeByte((int) ((l >> 7) & 127) | 128);
      out.writeByte((int) (l & 127) | 128);
    }
  }

  private static int backlenSize(long l) {
    if (l <= 127) {
      return 1;
    } else if (l < 16383) {
      return 2;
    } else if (l < 2097151) {
      return 3;
    } else if (l < 268435455) {
      return 4;
    }
    return 5;
  }

  /**
   * Every element of a listpack, integers as their decimal bytes, after checking all of it as
   * Redis's deep sanitization does: the header's size is the blob's, each entry and its
   * backward length agree and stay inside, the terminator ends it, the count (when known)
   * matches.
   */
  static List<byte[]> read(byte[] lp) throws RdbFormatException {
    int size = lp.length;
    if (size < HEADER + 1) {
      throw new RdbFormatException("listpack of " + size + " bytes");
    }
    long total = le(lp, 0, 4);
    if (total != size || (lp[size - 1] & 0xff) != EOF) {
      throw new RdbFormatException("listpack header or end");
    }
    int declared = (int) le(lp, 4, 2);
    List<byte[]> out = new ArrayList<>(Math.min(declared, size / 2));
    int p = HEADER;
    int last = size - 1; // the terminator
    while (p < last) {
      int b = lp[p] & 0xff;
      long entry; // encoding + data bytes
      byte[] value;
      if (b < 0x80) {
        entry = 1;
        value = CanonicalLong.bytes(b);
      } else if (b < 0xc0) {
        int len = b & 0x3f;
        entry = 1 + len;
        value = slice(lp, p + 1, len, last);
      } else if (b < 0xe0) {
        check(p + 2 <= last);
        long u = ((b & 0x1f) << 8) | (lp[p + 1] & 0xff);
        entry = 2;
        value = CanonicalLong.bytes(u >= (1 << 12) ? u - (1 << 13) : u);
      } else if (b < 0xf0) {
        check(p + 2 <= last);
        int len = ((b & 0x0f) << 8) | (lp[p + 1] & 0xff);
        entry = 2 + len;
        value = slice(lp, p + 2, len, last);
      } else if (b == 0xf0) {
        check(p + 5 <= last);
        long len = le(lp, p + 1, 4);
        check(len <= last - (p + 5));
        entry = 5 + len;
        value = slice(lp, p + 5, (int) len, last);
      } else if (b >= 0xf1 && b <= 0xf4) {
        int bytes = b == 0xf1 ? 2 : b == 0xf2 ? 3 : b == 0xf3 ? 4 : 8;
        check(p + 1 + bytes <= last);
        long v = le(lp, p + 1, bytes);
        int shift = 64 - 8 * bytes;
        value = CanonicalLong.bytes((v << shift) >> shift); // sign-extend
        entry = 1 + bytes;
      } else {
        throw new RdbFormatException("listpack entry encoding " + b);
      }
      int backlen = backlenSize(entry);
      long next = p + entry + backlen;
      check(next <= last);
      check(readBacklen(lp, (int) next - 1, backlen) == entry);
      out.add(value);
      p = (int) next;
    }
    if (declared != COUNT_UNKNOWN && declared != out.size()) {
      throw new RdbFormatException("listpack count " + declared + " for " + out.size());
    }
    return out;
  }

  /** The length stored backwards ending at {@code end}, in exactly {@code size} bytes. */
  private static long readBacklen(byte[] lp, int end, int size) {
    long v = 0;
    int shift = 0;
    for (int i = 0; i < size; i++) {
      int b = lp[end - i] & 0xff;
      boolean more = (b & 128) != 0;
      if (more != (i < size - 1)) {
        return -1;
      }
      v |= (long) (b & 127) << shift;
      shift += 7;
    }
    return v;
  }

  private static byte[] slice(byte[] b, int from, int len, int limit) throws RdbFormatException {
    check(len >= 0 && from + (long) len <= limit);
    return Arrays.copyOfRange(b, from, from + len);
  }

  private static void check(boolean ok) throws RdbFormatException {
    if (!ok) {
      throw new RdbFormatException("listpack entry out of bounds");
    }
  }

  static long le(byte[] b, int at, int bytes) {
    long v = 0;
    for (int i = bytes - 1; i >= 0; i--) {
      v = (v << 8) | (b[at + i] & 0xff);
    }
    return v;
  }
}
