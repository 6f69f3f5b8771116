package io.keyshard.persistence;


/**
 * A Redis string. {@code raw} records that the value was last modified in place (APPEND,
 * SETRANGE), which Redis reports as the "raw" encoding whatever the length. {@code hints}
 * (null = none) records what else OBJECT reports differently from a plain SET: see
 * {@link #NOT_INT} and {@link #UNSHARED}.
 */
public record StringValue(byte[] bytes, boolean raw, Integer hints) implements Value {

  /** Never int-encoded even if it reads as an integer (INCRBYFLOAT's result). */
  public static final int NOT_INT = 1;

  /** A copy (COPY): never one of Redis's shared small integers. */
  public static final int UNSHARED = 2;

  public StringValue(byte[] bytes, boolean raw) {
    this(bytes, raw, null);
  }

  public static StringValue of(byte[] bytes) {
    return new StringValue(bytes, false, null);
  }

  public boolean has(int hint) {
    return hints != null && (hints & hint) != 0;
  }

  /** The same bytes with one more hint. */
  public StringValue with(int hint) {
    return new StringValue(bytes, raw, (hints == null ? 0 : hints) | hint);
  }

  /** The record, its array's header and the bytes. */
  static final int OVERHEAD = 32;

  @Override
  public long memoryBytes() {
    return OVERHEAD + bytes.length;
  }

  @Override
  public String typeName() {
    return "string";
  }

  @Override
  public StringValue copy() {
    return this;
  }

  @Override
  public String encoding() {
    if (!raw && !has(NOT_INT) && bytes.length <= 20 && isCanonicalLong(bytes)) {
      return "int";
    }
    return !raw && bytes.length <= 44 ? "embstr" : "raw";
  }

  /** True when the bytes are a long written the way Redis would print it (no '+', no leading 0). */
  public static boolean isCanonicalLong(byte[] b) {
    int n = b.length;
    if (n == 0 || n > 20) {
      return false;
    }
    if (n == 1 && b[0] == '0') {
      return true;
    }
    int i = b[0] == '-' ? 1 : 0;
    if (i == n || b[i] < '1' || b[i] > '9') {
      return false;
    }
    long v = 0;
    for (int j = i; j < n; j++) {
      int d = b[j] - '0';
      if (d < 0 || d > 9) {
        return false;
      }
      // Accumulated negatively: the negative range is one larger than the positive one.
      if (v < (Long.MIN_VALUE + d) / 10) {
        return false;
      }
      v = v * 10 - d;
    }
    return i == 1 || v != Long.MIN_VALUE;
  }
}
