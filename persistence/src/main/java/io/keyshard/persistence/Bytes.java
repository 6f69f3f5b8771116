package io.keyshard.persistence;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** An immutable byte string usable as a map key (keys and members are binary-safe in Redis). */
public final class Bytes implements Comparable<Bytes> {
  private final byte[] bytes;
  private int hash;

  private Bytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Wraps without copying: the caller must not modify the array afterwards. */
  public static Bytes wrap(byte[] bytes) {
    return new Bytes(bytes);
  }

  public static Bytes of(String s) {
    return new Bytes(s.getBytes(StandardCharsets.UTF_8));
  }

  /** The wrapped array, not a copy: do not modify it. */
  public byte[] array() {
    return bytes;
  }

  public int length() {
    return bytes.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = Arrays.hashCode(bytes);
      hash = h;
    }
    return h;
  }

  /** Unsigned lexicographic order, as Redis's memcmp-based comparisons. */
  @Override
  public int compareTo(Bytes o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  @Override
  public String toString() {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
