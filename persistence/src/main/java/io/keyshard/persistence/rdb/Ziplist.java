package io.keyshard.persistence.rdb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Redis's ziplist (lists, hashes and sorted sets of Redis 2.6 to 6.2), read only: Redis 7.0
 * converts one to a listpack as it loads it. Header: total bytes, offset of the last entry,
 * element count (little endian), then entries and 0xFF. An entry: the previous entry's length
 * (1 byte, or 0xFE and 4 bytes), an encoding (strings with a 6, 14 or 32-bit length, big endian;
 * 8, 16, 24, 32, 64-bit integers; 0 to 12 inside the encoding byte), its data.
 */
final class Ziplist {
  private Ziplist() {}

  private static final int HEADER = 10;
  private static final int END = 0xff;
  private static final int BIG_PREVLEN = 0xfe;

  /** Every element, integers as decimal bytes, checked as Redis's deep sanitization checks. */
  static List<byte[]> read(byte[] zl) throws RdbFormatException {
    int size = zl.length;
    if (size < HEADER + 1) {
      throw new RdbFormatException("ziplist of " + size + " bytes");
    }
    long total = Listpack.le(zl, 0, 4);
    long tail = Listpack.le(zl, 4, 4);
    int declared = (int) Listpack.le(zl, 8, 2);
    int last = size - 1;
    if (total != size || (zl[last] & 0xff) != END || tail > last) {
      throw new RdbFormatException("ziplist header or end");
    }
    List<byte[]> out = new ArrayList<>(Math.min(declared, size / 2));
    int p = HEADER;
    long previousSize = 0;
    int previousStart = -1;
    while (p < last) {
      int first = zl[p] & 0xff;
      int prevlenSize = first < BIG_PREVLEN ? 1 : 5;
      check(p + prevlenSize < last);
      long prevlen = prevlenSize == 1 ? first : Listpack.le(zl, p + 1, 4);
      if (prevlen != previousSize) {
        throw new RdbFormatException("ziplist previous length");
      }
      int e = p + prevlenSize; // the encoding
      int enc = zl[e] & 0xff;
      int header;
      byte[] value;
      if (enc < 0xc0) {
        long len;
        switch (enc >> 6) {
          case 0:
            header = 1;
            len = enc & 0x3f;
            break;
          case 1:
            check(e + 1 < last);
            header = 2;
            len = ((enc & 0x3f) << 8) | (zl[e + 1] & 0xff);
            break;
          default: // 10xxxxxx: the low bits are unused
            check(e + 4 < last);
            header = 5;
            len = ((zl[e + 1] & 0xffL) << 24) | ((zl[e + 2] & 0xff) << 16)
                | ((zl[e + 3] & 0xff) << 8) | (zl[e + 4] & 0xff);
            break;
        }
        check(len <= last - (e + header));
        value = Arrays.copyOfRange(zl, e + header, e + header + (int) len);
        header += (int) len;
      } else {
        int bytes;
        switch (enc) {
          case 0xc0:
            bytes = 2;
            break;
          case 0xd0:
            bytes = 4;
            break;
          case 0xe0:
            bytes = 8;
            break;
          case 0xf0:
            bytes = 3;
            break;
          case 0xfe:
            bytes = 1;
            break;
          default:
            if (enc >= 0xf1 && enc <= 0xfd) {
              bytes = 0;
              break;
            }
            throw new RdbFormatException("ziplist entry encoding " + enc);
        }
        check(e + 1 + bytes <= last);
        long v;
        if (bytes == 0) {
          v = (enc & 0x0f) - 1;
        } else {
          v = Listpack.le(zl, e + 1, bytes);
          int shift = 64 - 8 * bytes;
          v = (v << shift) >> shift;
        }
        value = CanonicalLong.bytes(v);
        header = 1 + bytes;
      }
      long entrySize = prevlenSize + header;
      check(p + entrySize <= last);
      out.add(value);
      previousStart = p;
      previousSize = entrySize;
      p += (int) entrySize;
    }
    if (previousStart >= 0 && previousStart != tail) {
      throw new RdbFormatException("ziplist tail offset");
    }
    if (declared != 0xffff && declared != out.size()) {
      throw new RdbFormatException("ziplist count " + declared + " for " + out.size());
    }
    return out;
  }

  private static void check(boolean ok) throws RdbFormatException {
    if (!ok) {
      throw new RdbFormatException("ziplist entry out of bounds");
    }
  }
}
