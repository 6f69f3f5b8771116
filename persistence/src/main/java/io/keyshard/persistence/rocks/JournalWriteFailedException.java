package io.keyshard.persistence.rocks;

/**
 * RocksDB failed a write it was given (a WAL write or sync error, a full disk): the write may
 * or may not be in the WAL, so a restart's recovery decides whether it landed.
 */
public final class JournalWriteFailedException extends RuntimeException {
  public JournalWriteFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
