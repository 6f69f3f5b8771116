package io.keyshard.persistence.rocks;

/**
 * A write whose first sequence number does not follow its persistence id's highest: a second
 * writer (another incarnation of the same entity) or a write into a deleted range. Nothing of
 * the write was stored; like a primary-key violation in the JDBC journal it fails the persist,
 * so the writer stops.
 */
public final class SequenceFenceException extends RuntimeException {
  public SequenceFenceException(String persistenceId, long firstSeqNr, long highest) {
    super("journal refused the write of " + persistenceId + " from sequence number " + firstSeqNr
        + ": its highest sequence number is " + highest + " (another writer, or a stale one)");
  }
}
