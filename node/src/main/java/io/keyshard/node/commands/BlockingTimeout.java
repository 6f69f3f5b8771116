package io.keyshard.node.commands;

import io.keyshard.protocol.Err;
import io.keyshard.protocol.LongDouble;
import io.keyshard.protocol.RedisException;

/**
 * The timeout argument of the blocking commands (BLPOP ... BZMPOP), read as Redis 7.0 reads it:
 * seconds as a long double (strtold syntax, so "0x10" is 16 s), times 1000, cast to a long
 * (truncating; out of range becomes negative), then refused if negative. 0 waits forever.
 */
public final class BlockingTimeout {
  private BlockingTimeout() {}

  public static final String NOT_A_FLOAT = "timeout is not a float or out of range";
  public static final String NEGATIVE = "timeout is negative";

  /** The timeout in milliseconds, 0 for none; Redis's error for a bad or negative one. */
  public static long millis(byte[] arg) {
    LongDouble v;
    try {
      v = LongDouble.parse(arg);
    } catch (RedisException e) {
      throw new RedisException(Err.err(NOT_A_FLOAT));
    }
    long ms = v.timesThousandTruncated();
    if (ms < 0) {
      throw new RedisException(Err.err(NEGATIVE));
    }
    return ms;
  }
}
