package io.keyshard.persistence.rdb;

import java.util.Arrays;

/**
 * Bytes in RDB encoding, appended to a growing array: lengths, strings (with Redis's integer
 * encodings), binary doubles. Strings are never LZF-compressed (as Redis with
 * {@code rdbcompression no} writes them; every Redis reads both).
 */
final class RdbOutput {
  private byte[] buf;
  private int size;

  RdbOutput(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  int size() {
    return size;
  }

  byte[] array() {
    return buf;
  }

  /**
   * Empties the buffer for reuse (an RDB file writes each value through one); a buffer grown
   * by a large value is let go rather than kept for the rest of the file.
   */
  void clear() {
    size = 0;
    if (buf.length > KEPT_CAPACITY) {
      buf = new byte[KEPT_CAPACITY];
    }
  }

  private static final int KEPT_CAPACITY = 1 << 20;

  private void ensure(int more) {
    long needed = (long) size + more;
    if (needed > buf.length) {
      if (needed > Integer.MAX_VALUE - 16) {
        throw new IllegalStateException("value too large to dump: " + needed + " bytes");
      }
      long grown = Math.max(needed, Math.min(Integer.MAX_VALUE - 16L, (long) buf.length * 2));
      buf = Arrays.copyOf(buf, (int) grown);
    }
  }

  void writeByte(int b) {
    ensure(1);
    buf[size++] = (byte) b;
  }

  void write(byte[] b) {
    write(b, 0, b.length);
  }

  void write(byte[] b, int off, int len) {
    ensure(len);
    System.arraycopy(b, off, buf, size, len);
    size += len;
  }

  /** A length: 6 bits, 14 bits, or a marker and 32 or 64 bits big endian (rdbSaveLen). */
  void writeLen(long len) {
    if (len < (1 << 6)) {
      writeByte((int) len);
    } else if (len < (1 << 14)) {
      writeByte((int) ((len >> 8) & 0x3f) | 0x40);
      writeByte((int) (len & 0xff));
    } else if (len <= 0xffffffffL) {
      writeByte(0x80);
      for (int shift = 24; shift >= 0; shift -= 8) {
        writeByte((int) (len >>> shift));
      }
    } else {
      writeByte(0x81);
      for (int shift = 56; shift >= 0; shift -= 8) {
        writeByte((int) (len >>> shift));
      }
    }
  }

  /**
   * A string as rdbSaveRawString writes it: one that reads as an integer of 32 bits or fewer
   * (canonical, at most 11 bytes) in its 1, 2 or 4 byte form, any other as length and bytes.
   */
  void writeString(byte[] s) {
    if (s.length <= 11 && CanonicalLong.test(s)) {
      long v = CanonicalLong.value(s);
      if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) {
        writeByte(0xc0);
        writeByte((int) v);
        return;
      } else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
        writeByte(0xc1);
        writeByte((int) v);
        writeByte((int) (v >> 8));
        return;
      } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
        writeByte(0xc2);
        writeLittleEndian(v, 4);
        return;
      }
    }
    writeLen(s.length);
    write(s);
  }

  void writeLittleEndian(long v, int bytes) {
    ensure(bytes);
    for (int i = 0; i < bytes; i++) {
      buf[size++] = (byte) (v >>> (8 * i));
    }
  }

  /** A double as its 8 IEEE 754 bytes, little endian (RDB 8 and later). */
  void writeBinaryDouble(double d) {
    writeLittleEndian(Double.doubleToRawLongBits(d), 8);
  }
}
