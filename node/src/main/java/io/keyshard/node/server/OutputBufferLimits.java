package io.keyshard.node.server;

import java.util.Locale;

/**
 * Redis 7.0's client-output-buffer-limit: for each client class a hard limit and a soft limit in
 * bytes (0 = none, compared unsigned as Redis's unsigned long long) and how many seconds a client
 * may stay over the soft limit. Keyshard's clients are all of the {@code normal} class; the
 * replica ({@code slave}) and {@code pubsub} classes are kept for CONFIG GET and the config file
 * only, there being no replication or pub/sub over RESP.
 */
public record OutputBufferLimits(Limit normal, Limit replica, Limit pubsub) {

  /** One class's limits. */
  public record Limit(long hardBytes, long softBytes, int softSeconds) {
    @Override
    public String toString() {
      return Long.toUnsignedString(hardBytes) + " " + Long.toUnsignedString(softBytes) + " "
          + softSeconds;
    }
  }

  /** Redis 7.0's defaults. */
  public static final OutputBufferLimits REDIS_DEFAULT =
      new OutputBufferLimits(
          new Limit(0, 0, 0),
          new Limit(256L * 1024 * 1024, 64L * 1024 * 1024, 60),
          new Limit(32L * 1024 * 1024, 8L * 1024 * 1024, 60));

  /** The new limits, or Redis's reason for refusing the value. */
  public record Applied(OutputBufferLimits limits, String error) {}

  /**
   * Applies a value as Redis's CONFIG SET and config file do: groups of "class hard soft
   * soft_seconds" separated by single spaces (an empty value is no group); only the classes
   * named change, a later group of a class wins; one bad group refuses the whole value. Classes
   * are normal, slave or replica, pubsub, in any case. Hard and soft are memory values (1mb,
   * 512kb...); soft_seconds is read as strtoll then cast to int, and must not be negative.
   */
  public Applied apply(String value) {
    if (value.isEmpty()) {
      return new Applied(this, null);
    }
    String[] parts = value.split(" ", -1);
    if (parts.length % 4 != 0) {
      return new Applied(null, "Wrong number of arguments in buffer limit configuration.");
    }
    Limit n = normal;
    Limit r = replica;
    Limit p = pubsub;
    for (int j = 0; j < parts.length; j += 4) {
      String cls = parts[j].toLowerCase(Locale.ROOT);
      if (!cls.equals("normal") && !cls.equals("slave") && !cls.equals("replica")
          && !cls.equals("pubsub")) {
        return new Applied(null, "Invalid client class specified in buffer limit configuration.");
      }
      Long hard = NodeSettings.memToULL(parts[j + 1]);
      Long soft = NodeSettings.memToULL(parts[j + 2]);
      Long seconds = strtollWhole(parts[j + 3]);
      if (hard == null || soft == null || seconds == null || (int) (long) seconds < 0) {
        return new Applied(
            null, "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
      }
      Limit l = new Limit(hard, soft, (int) (long) seconds);
      switch (cls) {
        case "normal" -> n = l;
        case "pubsub" -> p = l;
        default -> r = l;
      }
    }
    return new Applied(new OutputBufferLimits(n, r, p), null);
  }

  /**
   * strtoll that must consume the whole text: leading blanks and a sign are allowed, "" is 0,
   * out-of-range values saturate; null when characters are left over.
   */
  private static Long strtollWhole(String s) {
    if (s.isEmpty()) {
      return 0L;
    }
    String t = s.stripLeading();
    if (!t.matches("[+-]?[0-9]+")) {
      return null;
    }
    try {
      return Long.parseLong(t.startsWith("+") ? t.substring(1) : t);
    } catch (NumberFormatException overflow) {
      return t.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  /** As CONFIG GET shows it: {@code normal 0 0 0 slave 268435456 67108864 60 pubsub ...}. */
  @Override
  public String toString() {
    return "normal " + normal + " slave " + replica + " pubsub " + pubsub;
  }
}
