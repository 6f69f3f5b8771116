package io.keyshard.node.commands;

import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import java.nio.charset.StandardCharsets;

/** Argument parsing with Redis's rules and error replies. */
public final class Args {
  private Args() {}

  public static String str(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  public static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** An argv: the command name, then the arguments as they are. */
  public static byte[][] command(String name, byte[]... args) {
    byte[][] out = new byte[args.length + 1][];
    out[0] = bytes(name);
    System.arraycopy(args, 0, out, 1, args.length);
    return out;
  }

  /**
   * Whether {@code arg} is the option {@code keyword} in any case, compared as Redis compares
   * options, with strcasecmp on C strings: a NUL ends the argument, so {@code "xx\0junk"} is XX
   * (found by the network fuzz test: Redis took {@code SET k v "xx\0"} as SET k v XX).
   */
  public static boolean is(byte[] arg, String keyword) {
    int len = arg.length;
    for (int i = 0; i < arg.length; i++) {
      if (arg[i] == 0) {
        len = i;
        break;
      }
    }
    if (len != keyword.length()) {
      return false;
    }
    for (int i = 0; i < len; i++) {
      int c = arg[i];
      if (c >= 'a' && c <= 'z') {
        c -= 32;
      }
      int k = keyword.charAt(i);
      if (k >= 'a' && k <= 'z') {
        k -= 32;
      }
      if (c != k) {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses a signed 64-bit integer exactly as Redis's string2ll: no spaces, no '+', no leading
   * zeros (except "0"), no overflow. Returns null when it is not one.
   */
  public static Long parseLongOrNull(byte[] b) {
    int n = b.length;
    if (n == 0 || n > 20) {
      return null;
    }
    if (n == 1 && b[0] == '0') {
      return 0L;
    }
    int i = 0;
    boolean negative = false;
    if (b[0] == '-') {
      negative = true;
      i = 1;
      if (n == 1) {
        return null;
      }
    }
    if (b[i] < '1' || b[i] > '9') {
      return null;
    }
    long v = 0;
    for (; i < n; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) {
        return null;
      }
      // Accumulate negatively so Long.MIN_VALUE parses without overflow.
      if (v < (Long.MIN_VALUE + d) / 10) {
        return null;
      }
      v = v * 10 - d;
    }
    if (!negative) {
      if (v == Long.MIN_VALUE) {
        return null;
      }
      v = -v;
    }
    return v;
  }

  /** string2ll, answering Redis's "value is not an integer or out of range" on failure. */
  public static long parseLong(byte[] b) {
    Long v = parseLongOrNull(b);
    if (v == null) {
      throw new RedisException(Err.NOT_INTEGER);
    }
    return v;
  }

  public static int parseInt(byte[] b) {
    long v = parseLong(b);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new RedisException(Err.NOT_INTEGER);
    }
    return (int) v;
  }

  /**
   * Parses a double as Redis's string2ld/strtod checks do: no surrounding spaces, "inf"/"-inf"
   * accepted, NaN rejected. Returns null when it is not one.
   */
  public static Double parseDoubleOrNull(byte[] b) {
    if (b.length == 0 || b.length > 5000) {
      return null;
    }
    String s = new String(b, StandardCharsets.US_ASCII);
    if (Character.isWhitespace(s.charAt(0)) || Character.isWhitespace(s.charAt(s.length() - 1))) {
      return null;
    }
    String lower = s.toLowerCase();
    switch (lower) {
      case "inf", "+inf", "infinity", "+infinity":
        return Double.POSITIVE_INFINITY;
      case "-inf", "-infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        break;
    }
    // Java accepts forms strtod does not ("1d", "1f", "0x1p3" differs): reject trailing letters.
    char last = lower.charAt(lower.length() - 1);
    if (last == 'd' || last == 'f' || lower.contains("nan") || lower.contains("inf")) {
      return null;
    }
    try {
      double d = Double.parseDouble(s);
      return Double.isNaN(d) ? null : d;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  public static double parseDouble(byte[] b) {
    Double d = parseDoubleOrNull(b);
    if (d == null) {
      throw new RedisException(Err.NOT_FLOAT);
    }
    return d;
  }
}
