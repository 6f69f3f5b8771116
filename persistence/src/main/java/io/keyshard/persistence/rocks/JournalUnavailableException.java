package io.keyshard.persistence.rocks;

/** The journal refused a write before sending it to RocksDB: certainly nothing was written. */
public final class JournalUnavailableException extends RuntimeException {
  public JournalUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
