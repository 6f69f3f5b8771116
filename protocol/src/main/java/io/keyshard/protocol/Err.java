package io.keyshard.protocol;

/**
 * Redis 7.0's error replies, word for word, in one place. User errors are replies, not
 * exceptions; the few code paths that must unwind (deep inside a parser) throw
 * {@link RedisException} carrying one of these.
 */
public final class Err {
  private Err() {}

  public static final Reply SYNTAX = Reply.error("ERR syntax error");
  public static final String OOM_TEXT = "OOM command not allowed when used memory > 'maxmemory'.";
  public static final Reply OOM = Reply.error(OOM_TEXT);
  public static final Reply NOT_INTEGER = Reply.error("ERR value is not an integer or out of range");
  public static final Reply NOT_FLOAT = Reply.error("ERR value is not a valid float");
  public static final Reply OVERFLOW = Reply.error("ERR increment or decrement would overflow");
  public static final Reply INCR_NAN_OR_INF =
      Reply.error("ERR increment would produce NaN or Infinity");
  public static final Reply NO_SUCH_KEY = Reply.error("ERR no such key");
  public static final Reply WRONGTYPE =
      Reply.error("WRONGTYPE Operation against a key holding the wrong kind of value");
  public static final Reply DB_OUT_OF_RANGE = Reply.error("ERR DB index is out of range");
  public static final Reply STRING_TOO_LONG =
      Reply.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  public static final Reply OFFSET_OUT_OF_RANGE = Reply.error("ERR offset is out of range");
  public static final Reply NOAUTH = Reply.error("NOAUTH Authentication required.");
  public static final Reply WRONGPASS =
      Reply.error("WRONGPASS invalid username-password pair or user is disabled.");
  public static final Reply AUTH_NOT_CONFIGURED = Reply.error(
      "ERR AUTH <password> called without any password configured for the default user. "
          + "Are you sure your configuration is correct?");
  public static final Reply CLUSTER_DISABLED =
      Reply.error("ERR This instance has cluster support disabled");
  public static final Reply SAME_OBJECT =
      Reply.error("ERR source and destination objects are the same");
  public static final Reply INVALID_CURSOR = Reply.error("ERR invalid cursor");
  public static final Reply MULTI_NESTED = Reply.error("ERR MULTI calls can not be nested");
  public static final Reply EXEC_WITHOUT_MULTI = Reply.error("ERR EXEC without MULTI");
  public static final Reply DISCARD_WITHOUT_MULTI = Reply.error("ERR DISCARD without MULTI");

  public static Reply wrongArity(String fullName) {
    return Reply.error("ERR wrong number of arguments for '" + fullName + "' command");
  }

  public static Reply invalidExpire(String commandName) {
    return Reply.error("ERR invalid expire time in '" + commandName + "' command");
  }

  public static Reply err(String message) {
    return Reply.error("ERR " + message);
  }
}
