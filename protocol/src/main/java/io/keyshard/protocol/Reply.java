package io.keyshard.protocol;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A RESP reply as a typed value. Handlers return these; {@link RespWriter} renders them for the
 * connection's protocol version (RESP2 or RESP3), so no handler ever formats wire bytes.
 */
public sealed interface Reply {

  /** {@code +text}. */
  record Simple(String text) implements Reply {}

  /** {@code -text}; text starts with the error code (ERR, WRONGTYPE, MOVED ...). */
  record Error(String text) implements Reply {}

  /** {@code :n}. */
  record Int(long value) implements Reply {}

  /** {@code $len\r\nbytes}. */
  record Bulk(byte[] value) implements Reply {}

  /** Null bulk string: {@code $-1} in RESP2, {@code _} in RESP3. */
  record Null() implements Reply {}

  /** Null array: {@code *-1} in RESP2, {@code _} in RESP3. */
  record NullArray() implements Reply {}

  record Array(List<Reply> items) implements Reply {}

  /** Key/value pairs flattened: {@code %n} in RESP3, an array of 2n in RESP2. */
  record Map(List<Reply> keysAndValues) implements Reply {}

  /**
   * Pairs flattened: an array of n two-element arrays in RESP3, a flat array of 2n in RESP2
   * (HRANDFIELD WITHVALUES; later ZRANGE WITHSCORES).
   */
  record Pairs(List<Reply> flattened) implements Reply {}

  /**
   * Key/value pairs flattened: {@code %n} in RESP3, an array of n two-element arrays in RESP2
   * (XREAD and XREADGROUP: a stream's name and its entries).
   */
  record PairMap(List<Reply> keysAndValues) implements Reply {}

  /** {@code ~n} in RESP3, an array in RESP2. */
  record Set(List<Reply> items) implements Reply {}

  /** {@code ,d} in RESP3, a bulk string in RESP2 (formatted as Redis does: %.17g, inf, -inf). */
  record Double(double value) implements Reply {}

  /** {@code #t}/{@code #f} in RESP3, {@code :1}/{@code :0} in RESP2. */
  record Bool(boolean value) implements Reply {}

  /** {@code =len\r\nfmt:text} in RESP3, a bulk string in RESP2. */
  record Verbatim(String format, byte[] text) implements Reply {}

  /** {@code >n} in RESP3 (out-of-band), an array in RESP2. */
  record Push(List<Reply> items) implements Reply {}

  /** Already-encoded bytes, passed through as they are (used to splice precomputed replies). */
  record Raw(byte[] bytes) implements Reply {}

  Reply OK = new Simple("OK");
  Reply PONG = new Simple("PONG");
  Reply QUEUED = new Simple("QUEUED");
  Reply NULL = new Null();
  Reply NULL_ARRAY = new NullArray();
  Reply ZERO = new Int(0);
  Reply ONE = new Int(1);
  Reply EMPTY_ARRAY = new Array(List.of());

  static Reply error(String text) {
    return new Error(text);
  }

  static Reply integer(long n) {
    return n == 0 ? ZERO : n == 1 ? ONE : new Int(n);
  }

  static Reply bulk(byte[] value) {
    return value == null ? NULL : new Bulk(value);
  }

  static Reply bulk(String value) {
    return value == null ? NULL : new Bulk(value.getBytes(StandardCharsets.UTF_8));
  }

  static Reply simple(String text) {
    return new Simple(text);
  }

  static Reply array(List<Reply> items) {
    return new Array(items);
  }

  static Reply bulks(List<byte[]> values) {
    return new Array(values.stream().map(Reply::bulk).toList());
  }

  default boolean isError() {
    return this instanceof Error;
  }
}
