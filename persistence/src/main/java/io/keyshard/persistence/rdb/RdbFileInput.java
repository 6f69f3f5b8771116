package io.keyshard.persistence.rdb;

import java.io.IOException;
import java.io.InputStream;

/**
 * An RDB file read from a stream, trusting nothing: it knows its offset (for messages), keeps the
 * CRC-64 of every byte consumed, and can record what it consumes into a buffer, so a value's
 * bytes are copied out as they are framed and then decoded by the array-based codec. A length
 * read here never allocates anything by itself: recorded bytes grow with the bytes actually
 * present, up to the recording's limit, so a file announcing a huge length costs only what it
 * holds.
 */
final class RdbFileInput {
  private final InputStream in;
  private final byte[] buf = new byte[1 << 16];
  private int pos;
  private int lim;
  /** File offset of buf[0]. */
  private long base;
  private long crc;
  /** buf[0..crcDone) is in crc. */
  private int crcDone;

  private RdbOutput recording;
  private long recordLimit;
  private String recordWhat;

  RdbFileInput(InputStream in) {
    this.in = in;
  }

  long offset() {
    return base + pos;
  }

  RdbFormatException fail(String problem) {
    return new RdbFormatException("offset " + offset() + ": " + problem);
  }

  /** The CRC of every byte consumed so far. */
  long crc() {
    crc = Crc64.update(crc, buf, crcDone, pos - crcDone);
    crcDone = pos;
    return crc;
  }

  private void fill() throws IOException, RdbFormatException {
    crc();
    base += lim;
    pos = 0;
    lim = 0;
    crcDone = 0;
    int n;
    do {
      n = in.read(buf, 0, buf.length);
    } while (n == 0);
    if (n < 0) {
      throw fail("truncated: the file ends before its EOF opcode and checksum");
    }
    lim = n;
  }

  /** The stream must end here. */
  void expectEnd() throws IOException, RdbFormatException {
    if (pos < lim || in.read() >= 0) {
      throw fail("bytes after the end of the file (EOF and checksum)");
    }
  }

  /** From now on, every byte consumed is also appended to {@code to}, at most {@code limit}. */
  void startRecording(RdbOutput to, long limit, String what) {
    recording = to;
    recordLimit = limit;
    recordWhat = what;
  }

  void stopRecording() {
    recording = null;
  }

  private void consumed(int from, int n) throws RdbFormatException {
    if (recording != null) {
      if (recording.size() + (long) n > recordLimit) {
        throw fail(recordWhat + " larger than the limit of " + recordLimit + " bytes");
      }
      recording.write(buf, from, n);
    }
  }

  int readUnsignedByte() throws IOException, RdbFormatException {
    if (pos == lim) {
      fill();
    }
    consumed(pos, 1);
    return buf[pos++] & 0xff;
  }

  long readLittleEndian(int bytes) throws IOException, RdbFormatException {
    long v = 0;
    for (int i = 0; i < bytes; i++) {
      v |= (long) readUnsignedByte() << (8 * i);
    }
    return v;
  }

  private long readBigEndian(int bytes) throws IOException, RdbFormatException {
    long v = 0;
    for (int i = 0; i < bytes; i++) {
      v = (v << 8) | readUnsignedByte();
    }
    return v;
  }

  void readFully(byte[] dst) throws IOException, RdbFormatException {
    for (int i = 0; i < dst.length; i++) {
      dst[i] = (byte) readUnsignedByte();
    }
  }

  /** Consumes n bytes (recording them if recording), whatever n: only what exists is read. */
  void skip(long n) throws IOException, RdbFormatException {
    while (n > 0) {
      if (pos == lim) {
        fill();
      }
      int chunk = (int) Math.min(n, lim - pos);
      consumed(pos, chunk);
      pos += chunk;
      n -= chunk;
    }
  }

  /** Set by readLenOrEncoding: the length was a marker of a special string encoding. */
  private boolean encoded;

  /** A length as RDB writes it (6 bits, 14 bits, 32 or 64 bits big endian), or a marker. */
  private long readLenOrEncoding() throws IOException, RdbFormatException {
    return readLenOrEncoding(false);
  }

  private long readLenOrEncoding(boolean unsigned64) throws IOException, RdbFormatException {
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
          if (len < 0 && !unsigned64) {
            throw fail("length beyond 2^63");
          }
          return len;
        }
        throw fail("unknown length encoding 0x" + Integer.toHexString(first));
    }
  }

  /**
   * A 64-bit number written as a length, all 64 bits unsigned (a module id: a name starting
   * with 'g' or later sets the top bit).
   */
  long readUnsignedLen() throws IOException, RdbFormatException {
    long n = readLenOrEncoding(true);
    if (encoded) {
      throw fail("a string encoding where a length belongs");
    }
    return n;
  }

  /** A plain length (or count, db number): an encoded-string marker here is refused. */
  long readLen() throws IOException, RdbFormatException {
    long n = readLenOrEncoding();
    if (encoded) {
      throw fail("a string encoding where a length belongs");
    }
    return n;
  }

  /**
   * Consumes a string in any of its forms (plain, 8/16/32-bit integer, LZF) and answers its
   * length once decoded; an LZF string's announced length is refused above {@code maxLength}.
   */
  long skipString(long maxLength) throws IOException, RdbFormatException {
    long len = readLenOrEncoding();
    if (!encoded) {
      if (len > maxLength) {
        throw fail("string of " + len + " bytes, above the limit of " + maxLength);
      }
      skip(len);
      return len;
    }
    switch ((int) len) {
      case 0:
        skip(1);
        return 4;
      case 1:
        skip(2);
        return 6;
      case 2:
        skip(4);
        return 11;
      case 3: {
        long compressed = readLen();
        long length = readLen();
        if (length > maxLength) {
          throw fail("compressed string of " + length + " bytes, above the limit of " + maxLength);
        }
        skip(compressed);
        return length;
      }
      default:
        throw fail("unknown string encoding " + len);
    }
  }

  /**
   * A string, materialized (keys, aux fields, function code): recorded as it is in the file,
   * then decoded by the codec (integers, LZF).
   */
  byte[] readString(long maxLength, String what) throws IOException, RdbFormatException {
    RdbOutput raw = new RdbOutput(64);
    long at = offset();
    // The string's encoded bytes: its length header (at most 19 bytes for LZF) and its data.
    startRecording(raw, maxLength + 32, what);
    try {
      skipString(maxLength);
    } finally {
      stopRecording();
    }
    try {
      return new RdbInput(raw.array(), 0, raw.size()).readString();
    } catch (RdbFormatException e) {
      throw new RdbFormatException("offset " + at + ": " + what + ": " + e.getMessage());
    }
  }
}
