package io.keyshard.persistence.rdb;

import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import io.keyshard.persistence.StreamId;
import io.keyshard.persistence.StreamValue;
import io.keyshard.persistence.ZSetValue;
import io.keyshard.protocol.RespWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;

/**
 * The digest of Redis 7.0's DEBUG DIGEST and DEBUG DIGEST-VALUE, learnt by experiment against
 * redis-server 7.0.15 (RedisDigestTest and DebugDigestDifferentialTest check it), so that a
 * dataset here and in a redis-server can be compared by one 40-digit hex string.
 *
 * <p>Built from SHA-1 and two steps over a 20-byte state: <em>xor</em>(d, bytes) XORs SHA-1(bytes)
 * into d; <em>mix</em>(d, bytes) is xor followed by d = SHA-1(d), so mixing depends on order and
 * xoring does not. A value: mix the type's number (Redis's, 4 bytes big endian), then a string
 * mixes its bytes, a list mixes each element in order, a set xors each member, a hash xors, per
 * field, (mix field, then value into zero), a sorted set xors, per member, (mix member, then the
 * score as {@code %.17g}, into zero); a key that expires then xors "!!expire!!" (whether it
 * expires, not when: two datasets differing only in a TTL's time have one digest). A key: mix its
 * name into zero, then the value's steps. The dataset: for each database holding keys, in
 * order, mix its number (4 bytes big endian) into the running state, then xor each key's digest.
 * So within a database the keys' order does not matter, and a database's part is the XOR of
 * its keys' parts wherever they are kept: {@link #keyPart} per key, XORed per slot, combined
 * by {@link #dataset}.
 */
public final class RedisDigest {
  public static final int LENGTH = 20;

  private static final byte[] EXPIRE = "!!expire!!".getBytes(StandardCharsets.US_ASCII);

  private final MessageDigest sha1;

  public RedisDigest() {
    try {
      sha1 = MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }

  /** DEBUG DIGEST-VALUE's digest of one value (the key's name is not in it). */
  public byte[] value(Value v, boolean expires) {
    byte[] d = new byte[LENGTH];
    valueInto(d, v, expires);
    return d;
  }

  /**
   * What one key adds to its database's part: SHA-1 of (name mixed, then the value), to be XORed
   * with the other keys' parts of the same database.
   */
  public byte[] keyPart(byte[] key, Value v, boolean expires) {
    byte[] d = new byte[LENGTH];
    mix(d, key);
    valueInto(d, v, expires);
    return sha1.digest(d);
  }

  /**
   * DEBUG DIGEST of a dataset: {@code parts[db]} is the XOR of that database's key parts, null
   * for a database without keys. 20 zero bytes for an empty dataset.
   */
  public byte[] dataset(byte[][] parts) {
    byte[] d = new byte[LENGTH];
    for (int db = 0; db < parts.length; db++) {
      if (parts[db] != null) {
        mix(d, new byte[] {(byte) (db >>> 24), (byte) (db >>> 16), (byte) (db >>> 8), (byte) db});
        xorInto(d, parts[db]);
      }
    }
    return d;
  }

  /** {@code into ^= part}, both 20 bytes. */
  public static void xorInto(byte[] into, byte[] part) {
    for (int i = 0; i < LENGTH; i++) {
      into[i] ^= part[i];
    }
  }

  /** Lower-case hex, as Redis prints a digest. */
  public static String hex(byte[] d) {
    StringBuilder sb = new StringBuilder(2 * d.length);
    for (byte b : d) {
      sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return sb.toString();
  }

  private void valueInto(byte[] d, Value v, boolean expires) {
    if (v instanceof StringValue s) {
      mix(d, TYPE_STRING);
      mix(d, s.bytes());
    } else if (v instanceof ListValue l) {
      mix(d, TYPE_LIST);
      for (int i = 0; i < l.size(); i++) {
        mix(d, l.get(i));
      }
    } else if (v instanceof SetValue s) {
      mix(d, TYPE_SET);
      for (Bytes m : s.members()) {
        xor(d, m.array());
      }
    } else if (v instanceof ZSetValue z) {
      mix(d, TYPE_ZSET);
      for (ZSetValue.Node n = z.first(); n != null; n = n.next()) {
        byte[] e = new byte[LENGTH];
        mix(e, n.member());
        mix(e, RespWriter.formatDouble(n.score()).getBytes(StandardCharsets.US_ASCII));
        xor(d, e);
      }
    } else if (v instanceof StreamValue st) {
      // Entries only, "ms.seq" then fields and values, as debug.c mixes them (groups are not).
      mix(d, TYPE_STREAM);
      for (Map.Entry<StreamId, byte[][]> e : st.entries().entrySet()) {
        mix(
            d,
            (Long.toUnsignedString(e.getKey().ms()) + "." + Long.toUnsignedString(e.getKey().seq()))
                .getBytes(StandardCharsets.US_ASCII));
        for (byte[] b : e.getValue()) {
          mix(d, b);
        }
      }
    } else {
      mix(d, TYPE_HASH);
      for (Map.Entry<Bytes, byte[]> f : ((HashValue) v).fields().entrySet()) {
        byte[] e = new byte[LENGTH];
        mix(e, f.getKey().array());
        mix(e, f.getValue());
        xor(d, e);
      }
    }
    if (expires) {
      xor(d, EXPIRE);
    }
  }

  // Redis's type numbers (OBJ_STRING 0 ... OBJ_HASH 4), 4 bytes big endian.
  private static final byte[] TYPE_STRING = {0, 0, 0, 0};
  private static final byte[] TYPE_LIST = {0, 0, 0, 1};
  private static final byte[] TYPE_SET = {0, 0, 0, 2};
  private static final byte[] TYPE_ZSET = {0, 0, 0, 3};
  private static final byte[] TYPE_HASH = {0, 0, 0, 4};
  private static final byte[] TYPE_STREAM = {0, 0, 0, 6};

  private void xor(byte[] d, byte[] bytes) {
    xorInto(d, sha1.digest(bytes));
  }

  private void mix(byte[] d, byte[] bytes) {
    xor(d, bytes);
    System.arraycopy(sha1.digest(d), 0, d, 0, LENGTH);
  }
}
