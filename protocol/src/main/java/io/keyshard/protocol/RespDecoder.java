package io.keyshard.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decodes client requests the way Redis 7.0 does (networking.c, processInlineBuffer and
 * processMultibulkBuffer), for input split at any byte. A request starting with {@code *} is a
 * multibulk of {@code $} bulk strings; anything else is an inline line split like sdssplitargs.
 *
 * <p>Quirks kept on purpose, because a client that works against Redis must work here:
 *
 * <ul>
 *   <li>Header lines end at the first {@code \r}; the byte after it is skipped unchecked, and so
 *       are the two bytes after a bulk's payload. {@code *1\r\n$4\r\nPINGxx} is PING.
 *   <li>Redis searches lines with strchr, so a NUL byte hides the line end behind it: the request
 *       waits for more input until the buffer passes the inline limit and fails as too big.
 *   <li>The "too big" limits apply to what is buffered without a line end when a read has been
 *       processed, not to the line's final length; a long line that arrives whole in one chunk is
 *       accepted, as Redis accepts it when it arrives in one read.
 *   <li>{@code *0} and negative counts are skipped; empty and blank inline lines too.
 * </ul>
 *
 * <p>Before authentication Redis applies tighter limits, and an AUTH changes them for the very
 * next request in the same packet. A caller that is not yet authenticated should therefore use
 * {@link #feed(byte[], int, int, List, int)} with {@code maxRequests = 1}, run the request, update
 * {@link DecoderLimits#setAuthenticated}, and feed an empty chunk to decode the next one.
 *
 * <p>Not thread-safe: one decoder per connection.
 */
public final class RespDecoder {
  /** Redis's PROTO_MBULK_BIG_ARG: from this size a bulk is collected in its own array. */
  static final int BIG_ARG = 32 * 1024;
  /** Most we allocate for a bulk on the word of its header alone; beyond, we grow as bytes come. */
  static final int MAX_PREALLOC = 1024 * 1024;
  /** Redis preallocates argv for at most this many arguments, then grows. */
  private static final int MAX_ARGV_PREALLOC = 1024;
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
  private static final byte[] EMPTY = new byte[0];

  private enum Kind { UNKNOWN, INLINE, MULTIBULK }

  private final DecoderLimits limits;
  private boolean failed;

  // Bytes received and not yet decoded: buf[bufStart..bufEnd). Empty most of the time, because
  // feed() decodes straight from the caller's chunk and keeps only the incomplete tail.
  private byte[] buf = EMPTY;
  private int bufStart;
  private int bufEnd;

  private Kind kind = Kind.UNKNOWN;
  private long argsLeft; // multibulk arguments still to read; 0 before the header is read
  private ArrayList<byte[]> args;
  private long bulkLen = -1; // length of the bulk being read, -1 before its header
  // A big bulk is copied straight into its own array as chunks arrive, so that a 100 MB value
  // is copied once (plus amortised growth), never re-scanned or shifted in the buffer.
  private byte[] big;
  private int bigFill;
  private int bigTrailer; // bytes of the two that follow the payload already skipped
  private long peak; // most bytes held for an incomplete request during the last feed

  public RespDecoder(DecoderLimits limits) {
    this.limits = limits;
  }

  public boolean failed() {
    return failed;
  }

  /**
   * Bytes held for the incomplete request, counted like Redis's query buffer for
   * client-query-buffer-limit: undecoded input plus a partially received big bulk (completed
   * arguments are not counted, as Redis moves them out of the query buffer).
   */
  public long bufferedBytes() {
    return (long) (bufEnd - bufStart) + (big == null ? 0 : bigFill + bigTrailer);
  }

  /**
   * The most bytes the request in progress held during the last {@link #feed} call, as Redis
   * 7.0 measures its query buffer against client-query-buffer-limit after each read: the
   * undecoded input left at the end, or a big bulk with its two trailing bytes at the moment it
   * is complete (Redis reads a big bulk up to its end, so a complete one is in the query buffer
   * whole before it is parsed; a bulk of limit - 1 bytes exceeds a limit by one).
   */
  public long queryBufferPeak() {
    return peak;
  }

  /** Heap the decoder holds in buffers right now; for tests that check it never over-reserves. */
  long allocatedBytes() {
    return (long) buf.length + (big == null ? 0 : big.length);
  }

  /**
   * Decodes as many complete requests as {@code chunk[off..off+len)} plus buffered bytes allow,
   * appending them to {@code out}. After a ProtocolError is appended, the decoder is failed: it
   * appends nothing more and ignores further input.
   */
  public void feed(byte[] chunk, int off, int len, List<Decoded> out) {
    feed(chunk, off, len, out, Integer.MAX_VALUE);
  }

  /**
   * Like {@link #feed(byte[], int, int, List)} but stops after {@code maxRequests} requests; the
   * rest stays buffered until the next call (an empty chunk is fine).
   */
  public void feed(byte[] chunk, int off, int len, List<Decoded> out, int maxRequests) {
    if (failed) return;
    peak = 0;
    byte[] data;
    int pos;
    int end;
    if (bufEnd > bufStart) {
      append(chunk, off, len);
      data = buf;
      pos = bufStart;
      end = bufEnd;
    } else {
      data = chunk;
      pos = off;
      end = off + len;
    }
    int emitted = 0;
    Cursor in = new Cursor(data, pos, end);
    while (emitted < maxRequests && !failed) {
      if (kind == Kind.UNKNOWN) {
        if (in.pos == in.end) break;
        kind = data[in.pos] == '*' ? Kind.MULTIBULK : Kind.INLINE;
      }
      Decoded d = kind == Kind.INLINE ? inline(in) : multibulk(in);
      if (d == null) {
        if (kind == Kind.UNKNOWN) continue; // a blank line or an empty multibulk was skipped
        break; // needs more input
      }
      out.add(d);
      emitted++;
    }
    if (failed) {
      release();
      return;
    }
    keep(data, in.pos, in.end);
    peak = Math.max(peak, bufferedBytes());
  }

  private static final class Cursor {
    final byte[] data;
    int pos;
    final int end;

    Cursor(byte[] data, int pos, int end) {
      this.data = data;
      this.pos = pos;
      this.end = end;
    }

    int available() {
      return end - pos;
    }

    /** Index of the first {@code c} at or after pos, or -1 if absent or behind a NUL (strchr). */
    int find(byte c) {
      for (int i = pos; i < end; i++) {
        byte b = data[i];
        if (b == c) return i;
        if (b == 0) return -1;
      }
      return -1;
    }
  }

  private Decoded inline(Cursor in) {
    int nl = in.find((byte) '\n');
    if (nl < 0) {
      return in.available() > limits.getInlineMax()
          ? fail("ERR Protocol error: too big inline request")
          : null;
    }
    int lineEnd = nl > in.pos && in.data[nl - 1] == '\r' ? nl - 1 : nl;
    byte[][] argv = InlineSplitter.split(in.data, in.pos, lineEnd);
    if (argv == null) return fail("ERR Protocol error: unbalanced quotes in request");
    in.pos = nl + 1;
    kind = Kind.UNKNOWN;
    return argv.length == 0 ? null : new Decoded.Request(argv);
  }

  private Decoded multibulk(Cursor in) {
    if (argsLeft == 0) {
      int cr = in.find((byte) '\r');
      if (cr < 0) {
        return in.available() > limits.getInlineMax()
            ? fail("ERR Protocol error: too big mbulk count string")
            : null;
      }
      // Redis wants one byte after the \r before it looks at the line, and never checks it is \n.
      if (cr > in.end - 2) return null;
      long n = parseLength(in.data, in.pos + 1, cr);
      if (n == BAD_NUMBER || n > limits.getMaxMultibulk()) {
        return fail("ERR Protocol error: invalid multibulk length");
      }
      if (n > limits.getUnauthenticatedMaxMultibulk() && !limits.isAuthenticated()) {
        return fail("ERR Protocol error: unauthenticated multibulk length");
      }
      in.pos = cr + 2;
      if (n <= 0) {
        kind = Kind.UNKNOWN;
        return null;
      }
      argsLeft = n;
      args = new ArrayList<>((int) Math.min(n, MAX_ARGV_PREALLOC));
    }
    while (argsLeft > 0) {
      if (bulkLen < 0) {
        int cr = in.find((byte) '\r');
        if (cr < 0) {
          return in.available() > limits.getInlineMax()
              ? fail("ERR Protocol error: too big bulk count string")
              : null;
        }
        if (cr > in.end - 2) return null;
        byte first = in.data[in.pos];
        if (first != '$') {
          // Redis maps CR and LF in an error to spaces so that the reply stays one line.
          char shown = first == '\r' || first == '\n' ? ' ' : RawText.of(first);
          return fail("ERR Protocol error: expected '$', got '" + shown + "'");
        }
        long n = parseLength(in.data, in.pos + 1, cr);
        if (n == BAD_NUMBER || n < 0 || n > limits.getProtoMaxBulkLen() || n > MAX_ARRAY) {
          return fail("ERR Protocol error: invalid bulk length");
        }
        if (n > limits.getUnauthenticatedMaxBulkLen() && !limits.isAuthenticated()) {
          return fail("ERR Protocol error: unauthenticated bulk length");
        }
        in.pos = cr + 2;
        bulkLen = n;
      }
      if (big == null && in.available() >= bulkLen + 2) {
        args.add(Arrays.copyOfRange(in.data, in.pos, in.pos + (int) bulkLen));
        in.pos += (int) bulkLen + 2;
      } else if (big != null || bulkLen >= BIG_ARG) {
        if (!collectBig(in)) return null;
        args.add(big);
        big = null;
      } else {
        return null;
      }
      bulkLen = -1;
      argsLeft--;
    }
    kind = Kind.UNKNOWN;
    byte[][] argv = args.toArray(new byte[0][]);
    args = null;
    return new Decoded.Request(argv);
  }

  /** Copies what has come of a big bulk into its own array; true once it and its trailer are in. */
  private boolean collectBig(Cursor in) {
    int len = (int) bulkLen;
    if (big == null) {
      big = new byte[Math.min(len, MAX_PREALLOC)];
      bigFill = 0;
      bigTrailer = 0;
    }
    int n = Math.min(len - bigFill, in.available());
    if (n > 0) {
      if (bigFill + n > big.length) {
        // Doubling keeps the copies amortised O(n); the last step lands exactly on len, so the
        // finished array is the argument itself.
        long grown = Math.max((long) big.length * 2, (long) bigFill + n);
        big = Arrays.copyOf(big, (int) Math.min(grown, len));
      }
      System.arraycopy(in.data, in.pos, big, bigFill, n);
      bigFill += n;
      in.pos += n;
    }
    if (bigFill < len) return false;
    int t = Math.min(2 - bigTrailer, in.available());
    bigTrailer += t;
    in.pos += t;
    if (bigTrailer == 2) {
      peak = Math.max(peak, (long) len + 2);
    }
    return bigTrailer == 2;
  }

  private Decoded fail(String text) {
    failed = true;
    return new Decoded.ProtocolError(text);
  }

  private void append(byte[] chunk, int off, int len) {
    if (len == 0) return;
    int held = bufEnd - bufStart;
    if (bufEnd + len > buf.length) {
      if (held + len <= buf.length && bufStart >= held) {
        // Room at the front: sliding down is cheaper than growing.
        System.arraycopy(buf, bufStart, buf, 0, held);
      } else {
        byte[] bigger = new byte[Math.max(held + len, Math.max(64, buf.length * 2))];
        System.arraycopy(buf, bufStart, bigger, 0, held);
        buf = bigger;
      }
      bufStart = 0;
      bufEnd = held;
    }
    System.arraycopy(chunk, off, buf, bufEnd, len);
    bufEnd += len;
  }

  /** Keeps {@code data[pos..end)} as the undecoded tail, copying it only if it is the caller's. */
  private void keep(byte[] data, int pos, int end) {
    if (data == buf) {
      bufStart = pos;
      if (pos == end) {
        bufStart = 0;
        bufEnd = 0;
        // Drop a buffer a burst inflated; the common case of small tails reuses a small one.
        if (buf.length > 2 * BIG_ARG) buf = EMPTY;
      }
      return;
    }
    int n = end - pos;
    bufStart = 0;
    bufEnd = n;
    if (n == 0) return;
    if (n > buf.length) buf = new byte[Math.max(n, 64)];
    System.arraycopy(data, pos, buf, 0, n);
  }

  private void release() {
    buf = EMPTY;
    bufStart = 0;
    bufEnd = 0;
    args = null;
    big = null;
  }

  static final long BAD_NUMBER = -2;

  /**
   * A length as Redis's string2ll reads it: an optional '-', then digits without a leading zero (a
   * lone "0" is fine), at most 20 chars, no '+', no blanks, within a long. Returns BAD_NUMBER when
   * the text is not such a number, and -1 for every valid negative one: callers treat all
   * negatives alike (a skipped multibulk, an invalid bulk length), even LLONG_MIN.
   */
  static long parseLength(byte[] b, int from, int to) {
    int len = to - from;
    if (len == 0 || len >= 21) return BAD_NUMBER;
    if (len == 1 && b[from] == '0') return 0;
    int p = from;
    boolean negative = b[p] == '-';
    if (negative && ++p == to) return BAD_NUMBER;
    if (b[p] < '1' || b[p] > '9') return BAD_NUMBER;
    long v = 0; // accumulated as a negative number so that LLONG_MIN's magnitude fits
    for (; p < to; p++) {
      int d = b[p] - '0';
      if (d < 0 || d > 9) return BAD_NUMBER;
      if (v < (Long.MIN_VALUE + d) / 10) return BAD_NUMBER;
      v = v * 10 - d;
    }
    if (negative) return -1;
    return v == Long.MIN_VALUE ? BAD_NUMBER : -v;
  }
}
