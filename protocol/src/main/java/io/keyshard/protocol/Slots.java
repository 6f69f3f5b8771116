package io.keyshard.protocol;

/**
 * Redis Cluster's key slot: CRC16 (XMODEM: polynomial 0x1021, initial value 0) of the key, or of
 * its hash tag, modulo 16384. The hash tag is what lies between the first '{' and the first '}'
 * after it, if that is not empty; otherwise the whole key is hashed.
 */
public final class Slots {
  private Slots() {}

  public static final int SLOT_COUNT = 16384;

  private static final int[] TABLE = new int[256];

  static {
    for (int i = 0; i < 256; i++) {
      int crc = i << 8;
      for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
      }
      TABLE[i] = crc & 0xFFFF;
    }
  }

  public static int slot(byte[] key) {
    return slot(key, 0, key.length);
  }

  public static int slot(byte[] key, int off, int len) {
    int end = off + len;
    int open = off;
    while (open < end && key[open] != '{') open++;
    if (open < end) {
      int close = open + 1;
      while (close < end && key[close] != '}') close++;
      // "{}" or no closing brace: the braces are just part of the key.
      if (close < end && close > open + 1) return crc16(key, open + 1, close) & (SLOT_COUNT - 1);
    }
    return crc16(key, off, end) & (SLOT_COUNT - 1);
  }

  static int crc16(byte[] b, int from, int to) {
    int crc = 0;
    for (int i = from; i < to; i++) {
      crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ b[i]) & 0xFF]) & 0xFFFF;
    }
    return crc;
  }
}
