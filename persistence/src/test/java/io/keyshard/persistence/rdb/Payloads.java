package io.keyshard.persistence.rdb;

import java.util.Arrays;

/** Test helpers: a DUMP payload around value bytes, with any version and a correct CRC. */
final class Payloads {
  private Payloads() {}

  static byte[] wrap(byte[] typeAndValue) {
    return wrap(typeAndValue, DumpPayload.RDB_VERSION);
  }

  static byte[] wrap(byte[] typeAndValue, int version) {
    byte[] p = Arrays.copyOf(typeAndValue, typeAndValue.length + 10);
    p[typeAndValue.length] = (byte) version;
    p[typeAndValue.length + 1] = (byte) (version >> 8);
    long crc = Crc64.of(p, 0, typeAndValue.length + 2);
    for (int i = 0; i < 8; i++) {
      p[typeAndValue.length + 2 + i] = (byte) (crc >>> (8 * i));
    }
    return p;
  }

  /** The value bytes (type first) of a payload. */
  static byte[] body(byte[] payload) {
    return Arrays.copyOf(payload, payload.length - 10);
  }

  static byte[] hex(String hex) {
    String h = hex.replaceAll("\\s", "");
    byte[] b = new byte[h.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
    }
    return b;
  }
}
