package io.keyshard.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte buffer that {@link RespWriter} renders into; reusable after {@link #reset()}. */
public final class ByteSink {
  private byte[] buf;
  private int size;

  public ByteSink() {
    this(256);
  }

  public ByteSink(int initialCapacity) {
    buf = new byte[Math.max(16, initialCapacity)];
  }

  public ByteSink write(int b) {
    ensure(1);
    buf[size++] = (byte) b;
    return this;
  }

  public ByteSink write(byte[] b) {
    return write(b, 0, b.length);
  }

  public ByteSink write(byte[] b, int off, int len) {
    ensure(len);
    System.arraycopy(b, off, buf, size, len);
    size += len;
    return this;
  }

  /** Chars below 256 as single bytes: for protocol headers and numbers, never user text. */
  public ByteSink writeLatin1(String s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) buf[size++] = (byte) s.charAt(i);
    return this;
  }

  public ByteSink writeUtf8(String s) {
    return write(s.getBytes(StandardCharsets.UTF_8));
  }

  /** The decimal digits of {@code v}, without allocating. */
  public ByteSink writeLong(long v) {
    ensure(20);
    if (v == Long.MIN_VALUE) return writeLatin1("-9223372036854775808");
    if (v < 0) {
      buf[size++] = '-';
      v = -v;
    }
    int start = size;
    do {
      buf[size++] = (byte) ('0' + (int) (v % 10));
      v /= 10;
    } while (v != 0);
    for (int i = start, j = size - 1; i < j; i++, j--) {
      byte t = buf[i];
      buf[i] = buf[j];
      buf[j] = t;
    }
    return this;
  }

  public int size() {
    return size;
  }

  /** The backing array; valid bytes are {@code [0, size())}. Changes as the sink grows. */
  public byte[] array() {
    return buf;
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }

  public void reset() {
    size = 0;
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      long want = Math.max((long) buf.length * 2, (long) size + more);
      if (want > Integer.MAX_VALUE - 8) {
        if ((long) size + more > Integer.MAX_VALUE - 8) {
          throw new OutOfMemoryError("reply larger than a Java array");
        }
        want = Integer.MAX_VALUE - 8;
      }
      buf = Arrays.copyOf(buf, (int) want);
    }
  }
}
