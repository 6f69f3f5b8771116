package io.keyshard.persistence.rdb;

import io.keyshard.persistence.Value;
import java.util.Arrays;

/**
 * The payload of DUMP and RESTORE, byte for byte as Redis 7.0 makes it: the object type, the
 * value in RDB encoding, the RDB version (2 bytes, little endian: 10) and a CRC-64 of all that
 * (8 bytes, little endian). The one place that turns Keyshard values into Redis's value format
 * and back; backups and imports build on it.
 */
public final class DumpPayload {
  private DumpPayload() {}

  /** Redis 7.0's RDB version. A payload from a newer Redis is refused, as 7.0 refuses it. */
  public static final int RDB_VERSION = 10;

  static final int FOOTER = 10;

  /** What DUMP answers for this value. */
  public static byte[] of(Value value) {
    RdbOutput out = new RdbOutput(RdbValueWriter.sizeHint(value) + FOOTER);
    RdbValueWriter.write(value, out);
    out.writeLittleEndian(RDB_VERSION, 2);
    long crc = Crc64.of(out.array(), 0, out.size());
    out.writeLittleEndian(crc, 8);
    return Arrays.copyOf(out.array(), out.size());
  }

  /**
   * A payload around value bytes already in RDB encoding (type byte first), as an RDB file
   * holds them: what a restore sends as RESTORE's argument without decoding the value.
   */
  public static byte[] wrap(byte[] typeAndValue) {
    byte[] p = Arrays.copyOf(typeAndValue, typeAndValue.length + FOOTER);
    p[typeAndValue.length] = (byte) RDB_VERSION;
    p[typeAndValue.length + 1] = (byte) (RDB_VERSION >> 8);
    long crc = Crc64.of(p, 0, typeAndValue.length + 2);
    for (int i = 0; i < 8; i++) {
      p[typeAndValue.length + 2 + i] = (byte) (crc >>> (8 * i));
    }
    return p;
  }

  /**
   * Redis's verifyDumpPayload: at least the footer, a version no newer than ours, and a CRC
   * that matches. False is RESTORE's "DUMP payload version or checksum are wrong".
   */
  public static boolean verify(byte[] payload) {
    if (payload.length < FOOTER) {
      return false;
    }
    int footer = payload.length - FOOTER;
    int version = (payload[footer] & 0xff) | (payload[footer + 1] & 0xff) << 8;
    if (version > RDB_VERSION) {
      return false;
    }
    long crc = Crc64.of(payload, 0, payload.length - 8);
    return crc == Listpack.le(payload, payload.length - 8, 8);
  }

  /**
   * The value of a payload that {@link #verify} accepted. Anything it cannot read is a
   * {@link RdbFormatException} (RESTORE's "Bad data format"), never another exception: the
   * bytes come from a client. Like Redis, bytes left over after the value are ignored.
   */
  public static Value read(byte[] payload) throws RdbFormatException {
    if (payload.length < FOOTER) {
      throw new RdbFormatException("shorter than its footer");
    }
    try {
      return RdbValueReader.read(new RdbInput(payload, 0, payload.length - FOOTER));
    } catch (RuntimeException e) {
      // Every bound is checked first; this is the net under a mistake, not a path.
      throw new RdbFormatException("unreadable: " + e);
    }
  }
}
