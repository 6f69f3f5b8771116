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

  public int exitCode() {
    return exitCode;
  }
}
