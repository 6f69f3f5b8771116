package io.keyshard.persistence.rdb;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The digest of when keys expire, which Redis's DEBUG DIGEST leaves out (it says only whether a
 * key expires): per key that expires, SHA-1 of the database (4 bytes), the key's length (4
 * bytes), the key and its absolute expiry in Unix milliseconds (8 bytes), all big endian; a set
 * of keys XORs its keys' parts. A backup's manifest holds it per slot (docs/BACKUP-FORMAT.md) and
 * a node computes the same per slot (KEYSHARD DIGESTS), so the two compare slot by slot.
 */
public final class ExpiryDigest {
  private final MessageDigest sha1;

  public ExpiryDigest() {
    try {
      sha1 = MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }

  /** One key's part (20 bytes). */
  public byte[] part(int db, byte[] key, long expireAtMs) {
    ByteBuffer b = ByteBuffer.allocate(16 + key.length);
    b.putInt(db).putInt(key.length).put(key).putLong(expireAtMs);
    return sha1.digest(b.array());
  }
}
