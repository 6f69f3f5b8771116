package io.keyshard.persistence.rocks;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Keys of the store. Events and snapshots are keyed by (persistence id, sequence number):
 * a 2-byte length of the id's UTF-8 bytes, the bytes, then the sequence number as 8 bytes
 * big-endian. The length prefix keeps one id's keys from interleaving with another's that it
 * is a prefix of ({@code slot-1} and {@code slot-10}); big-endian makes RocksDB's byte order the
 * numeric order, so a replay is one forward scan and a delete up to N is one range delete.
 * The highest sequence number of an id lives under the id's bare UTF-8 bytes in its own
 * column family, as 8 bytes big-endian.
 */
final class KeyLayout {
  private KeyLayout() {}

  static byte[] idBytes(String persistenceId) {
    byte[] id = persistenceId.getBytes(StandardCharsets.UTF_8);
    if (id.length > 0xFFFF) {
      throw new IllegalArgumentException("persistence id longer than 65535 bytes");
    }
    return id;
  }

  static byte[] key(String persistenceId, long seqNr) {
    byte[] id = idBytes(persistenceId);
    return ByteBuffer.allocate(2 + id.length + 8)
        .putShort((short) id.length)
        .put(id)
        .putLong(seqNr)
        .array();
  }

  /** The part of an id's events and snapshots keys before the sequence number. */
  static byte[] prefix(String persistenceId) {
    byte[] id = idBytes(persistenceId);
    return ByteBuffer.allocate(2 + id.length).putShort((short) id.length).put(id).array();
  }

  /**
   * Whether an events or snapshots key, the first {@code length} bytes of {@code key}, belongs
   * to the id whose {@link #prefix} this is.
   */
  static boolean hasPrefix(byte[] key, int length, byte[] prefix) {
    return length == prefix.length + 8
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** The sequence number of a key that is the first {@code length} bytes of {@code key}. */
  static long seqNr(byte[] key, int length) {
    return ByteBuffer.wrap(key, length - 8, 8).getLong();
  }

  /** The first key after every key of the id: the end of a range that covers all of it. */
  static byte[] endOf(String persistenceId) {
    byte[] id = idBytes(persistenceId);
    byte[] key = new byte[2 + id.length + 8];
    ByteBuffer.wrap(key).putShort((short) id.length).put(id);
    // Sequence numbers are never negative, so 0xFF.. sorts after all of them.
    for (int i = 2 + id.length; i < key.length; i++) {
      key[i] = (byte) 0xFF;
    }
    return key;
  }

  /** The exclusive end key of a range up to and including seqNr. */
  static byte[] after(String persistenceId, long seqNr) {
    return seqNr == Long.MAX_VALUE ? endOf(persistenceId) : key(persistenceId, seqNr + 1);
  }

  /** The persistence id of an events or snapshots key. */
  static String idOf(byte[] key) {
    int length = ByteBuffer.wrap(key, 0, 2).getShort() & 0xFFFF;
    return new String(key, 2, length, StandardCharsets.UTF_8);
  }

  static long seqNr(byte[] key) {
    return ByteBuffer.wrap(key, key.length - 8, 8).getLong();
  }

  static byte[] seqNrValue(long seqNr) {
    return ByteBuffer.allocate(8).putLong(seqNr).array();
  }

  static long seqNrOf(byte[] value) {
    return value == null ? 0L : ByteBuffer.wrap(value).getLong();
  }
}
