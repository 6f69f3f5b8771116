package io.keyshard.node.commands;

import io.keyshard.protocol.Err;
import io.keyshard.protocol.Glob;
import io.keyshard.protocol.RedisException;

/**
 * HSCAN, SSCAN and ZSCAN's arguments, read as Redis reads them: the cursor first (before the
 * key is looked at), then MATCH and COUNT in any order, each checked as it comes.
 */
record ScanArgs(byte[] pattern, long count) {
  static final long DEFAULT_COUNT = 10;

  /**
   * A cursor as strtoul reads it: an unsigned 64-bit number, a sign allowed ('-' wraps around),
   * an empty string reads as 0; anything else is Redis's "invalid cursor".
   */
  static long cursor(byte[] raw) {
    String s = Args.str(raw);
    if (s.isEmpty()) {
      return 0;
    }
    boolean negative = s.startsWith("-");
    String digits = negative || s.startsWith("+") ? s.substring(1) : s;
    if (!digits.isEmpty() && digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      try {
        long v = Long.parseUnsignedLong(digits);
        return negative ? -v : v;
      } catch (NumberFormatException e) {
        // beyond 64 bits
      }
    }
    throw new RedisException(Err.INVALID_CURSOR);
  }

  /** MATCH and COUNT from {@code argv[from]} on; a MATCH of "*" is no pattern. */
  static ScanArgs options(byte[][] argv, int from) {
    byte[] pattern = null;
    long count = DEFAULT_COUNT;
    for (int i = from; i < argv.length; i += 2) {
      if (i + 1 >= argv.length) {
        throw new RedisException(Err.SYNTAX);
      }
      if (Args.is(argv[i], "MATCH")) {
        byte[] p = argv[i + 1];
        pattern = p.length == 1 && p[0] == '*' ? null : p;
      } else if (Args.is(argv[i], "COUNT")) {
        count = Args.parseLong(argv[i + 1]);
        if (count < 1) {
          throw new RedisException(Err.SYNTAX);
        }
      } else {
        throw new RedisException(Err.SYNTAX);
      }
    }
    return new ScanArgs(pattern, count);
  }

  boolean matches(byte[] element) {
    return pattern == null || Glob.match(pattern, element, false);
  }
}
