package io.keyshard.persistence.rdb;

/**
 * A value in RDB encoding that cannot be read: truncated, inconsistent, of a type Keyshard does
 * not have, or bigger than its own bytes can hold. RESTORE answers it with Redis's
 * {@code ERR Bad data format}; the message is for logs and tests only. Thrown often by fuzzed
 * input, so it carries no stack trace.
 */
public final class RdbFormatException extends Exception {
  public RdbFormatException(String message) {
    super(message, null, false, false);
  }
}
