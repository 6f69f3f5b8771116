package io.keyshard.persistence;

import java.nio.charset.StandardCharsets;

/**
 * A stream entry id: milliseconds and a sequence number, both unsigned 64-bit as in Redis, so
 * they compare unsigned and print with {@link Long#toUnsignedString}.
 */
public record StreamId(long ms, long seq) implements Comparable<StreamId> {
  public static final StreamId MIN = new StreamId(0, 0);
  public static final StreamId MAX = new StreamId(-1L, -1L);

  @Override
  public int compareTo(StreamId o) {
    int c = Long.compareUnsigned(ms, o.ms);
    return c != 0 ? c : Long.compareUnsigned(seq, o.seq);
  }

  public boolean isZero() {
    return ms == 0 && seq == 0;
  }

  /** The next id, or null after the last possible one. */
  public StreamId next() {
    if (seq != -1L) {
      return new StreamId(ms, seq + 1);
    }
    return ms == -1L ? null : new StreamId(ms + 1, 0);
  }

  /** The previous id, or null before 0-0. */
  public StreamId previous() {
    if (seq != 0) {
      return new StreamId(ms, seq - 1);
    }
    return ms == 0 ? null : new StreamId(ms - 1, -1L);
  }

  public boolean after(StreamId o) {
    return compareTo(o) > 0;
  }

  public boolean before(StreamId o) {
    return compareTo(o) < 0;
  }

  public static StreamId max(StreamId a, StreamId b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  @Override
  public String toString() {
    return Long.toUnsignedString(ms) + "-" + Long.toUnsignedString(seq);
  }

  public byte[] bytes() {
    return toString().getBytes(StandardCharsets.US_ASCII);
  }
}
