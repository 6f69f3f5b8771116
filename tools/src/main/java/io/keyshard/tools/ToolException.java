package io.keyshard.tools;

/** A tool refuses or fails with a message for the operator and an exit code for a script. */
public final class ToolException extends Exception {
  /** Bad arguments. */
  public static final int USAGE = 2;
  /** The archive (or a file) is damaged or does not match: verification failed. */
  public static final int DAMAGED = 3;
  /** The source or target cannot be used now (unreachable, mid-migration, holds keys...). */
  public static final int REFUSED = 4;

  private final int exitCode;

  public ToolException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public ToolException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /**
   * What went wrong with {@code server}, said for the operator: a missing or wrong password, a
   * command the server does not have, a server that cannot be reached.
   */
  public static String explain(Object server, RuntimeException e) {
    String m = String.valueOf(e.getMessage());
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (m.startsWith("NOAUTH")) {
      return server + " wants a password: give it in the address (redis://user:password@host:port)";
    }
    if (m.startsWith("WRONGPASS") || m.contains("invalid password")) {
      return server + " refused the user name or password given in the address";
    }
    if (m.startsWith("NOPERM")) {
      return server + " refused the user the permission: " + m;
    }
    if (m.startsWith("ERR unknown command")) {
      int q = m.indexOf('\'');
      String name = q >= 0 && m.indexOf('\'', q + 1) > q ? m.substring(q + 1, m.indexOf('\'', q + 1)) : m;
      return server + " does not accept " + name + " (renamed or disabled), which this needs";
    }
    if (e instanceof redis.clients.jedis.exceptions.JedisConnectionException) {
      return "the connection to " + server + " failed: " + (root.getMessage() != null ? root.getMessage() : m);
    }
    return server + ": " + m;
  }

  public int exitCode() {
    return exitCode;
  }
}
