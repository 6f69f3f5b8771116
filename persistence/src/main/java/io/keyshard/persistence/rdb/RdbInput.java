package io.keyshard.persistence.rdb;

import java.util.Arrays;

/**
 * Reads RDB encoding from a slice of an array, trusting nothing: every length is checked
 * against the bytes actually left before anything is allocated for it, and every count of
 * elements against the fewest bytes those elements could take.
 */
final class RdbInput {
  private final byte[] buf;
  private int pos;
  private final int limit;

  RdbInput(byte[] buf, int from, int limit) {
    this.buf = buf;
    this.pos = from;
    this.limit = limit;
  }

  int remaining() {
    return limit - pos;
  }

  int readUnsignedByte() throws RdbFormatException {
    if (pos >= limit) {
      throw new RdbFormatException("truncated");
    }
    return buf[pos++] & 0xff;
  }

  private long readBigEndian(int bytes) throws RdbFormatException {
    need(bytes);
    long v = 0;
    for (int i = 0; i < bytes; i++) {
      v = (v << 8) | (buf[pos++] & 0xff);
    }
    return v;
  }

  long readLittleEndian(int bytes) throws RdbFormatException {
    need(bytes);
    long v = 0;
    for (int i = bytes - 1; i >= 0; i--) {
      v = (v << 8) | (buf[pos + i] & 0xff);
    }
    pos += bytes;
    return v;
  }

  private void need(long bytes) throws RdbFormatException {
    if (bytes > remaining()) {
      throw new RdbFormatException("needs " + bytes + " bytes, " + remaining() + " left");
    }
  }

  /** What rdbLoadLen read: a length, or (encoded) the kind of special string that follows. */
  private boolean encoded;

  int peekUnsignedByte() throws RdbFormatException {
    need(1);
    return buf[pos] & 0xff;
  }

  /** {@code bytes} big endian, as an unsigned value in a long (all 64 bits kept). */
  long readBigEndianUnsigned(int bytes) throws RdbFormatException {
    need(bytes);
    long v = 0;
    for (int i = 0; i < bytes; i++) {
      v = (v << 8) | (buf[pos++] & 0xff);
    }
    return v;
  }

  /** Whether the last {@link #readLen} met an encoded (special) form. */
  boolean wasEncoded() {
    return encoded;
  }

  /** A length as rdbSaveLen writes it (unsigned; a 64-bit one above Long.MAX_VALUE is refused). */
  long readLen() throws RdbFormatException {
    int first = readUnsignedByte();
    encoded = false;
    switch (first >> 6) {
      case 0:
        return first & 0x3f;
      case 1:
        return ((first & 0x3f) << 8) | readUnsignedByte();
      case 3:
        encoded = true;
        return first & 0x3f;
      default:
        if (first == 0x80) {
          return readBigEndian(4);
        } else if (first == 0x81) {
          long len = readBigEndian(8);
          if (len < 0) {
            throw new RdbFormatException("length beyond 2^63");
          }
          return len;
        }
        throw new RdbFormatException("unknown length encoding " + first);
    }
  }

  /**
   * A count of elements that each take at least {@code minBytes}: more than the bytes left
   * could hold is refused, so no collection is ever sized by an unchecked count.
   */
  int readCount(int minBytes) throws RdbFormatException {
    long n = readLen();
    if (encoded) {
      throw new RdbFormatException("encoded value where a count belongs");
    }
    if (n > remaining() / minBytes) {
      throw new RdbFormatException("count " + n + " with " + remaining() + " bytes left");
    }
    return (int) n;
  }

  /** A string in any of its RDB forms: plain, an 8/16/32-bit integer, or LZF-compressed. */
  byte[] readString() throws RdbFormatException {
    long len = readLen();
    if (encoded) {
      switch ((int) len) {
        case 0:
          return CanonicalLong.bytes((byte) readLittleEndian(1));
        case 1:
          return CanonicalLong.bytes((short) readLittleEndian(2));
        case 2:
          return CanonicalLong.bytes((int) readLittleEndian(4));
        case 3:
          return readLzf();
        default:
          throw new RdbFormatException("unknown string encoding " + len);
      }
    }
    need(len);
    byte[] s = Arrays.copyOfRange(buf, pos, pos + (int) len);
    pos += (int) len;
    return s;
  }

  private byte[] readLzf() throws RdbFormatException {
    long compressedLength = readLen();
    if (encoded) {
      throw new RdbFormatException("encoded LZF length");
    }
    long length = readLen();
    if (encoded) {
      throw new RdbFormatException("encoded LZF length");
    }
    need(compressedLength);
    // Its own array: a decoder that ran past its block must meet the end, not the next value.
    byte[] compressed = Arrays.copyOfRange(buf, pos, pos + (int) compressedLength);
    pos += (int) compressedLength;
    return Lzf.decompress(compressed, length);
  }

  double readBinaryDouble() throws RdbFormatException {
    return Double.longBitsToDouble(readLittleEndian(8));
  }

  /**
   * A double as RDB wrote scores before version 8: a length byte (253 NaN, 254 +inf, 255 -inf)
   * and that many characters of a decimal number.
   */
  double readStringDouble() throws RdbFormatException {
    int len = readUnsignedByte();
    switch (len) {
      case 253:
        return Double.NaN;
      case 254:
        return Double.POSITIVE_INFINITY;
      case 255:
        return Double.NEGATIVE_INFINITY;
      default:
        need(len);
        byte[] text = Arrays.copyOfRange(buf, pos, pos + len);
        pos += len;
        return Doubles.parse(text);
    }
  }
}
