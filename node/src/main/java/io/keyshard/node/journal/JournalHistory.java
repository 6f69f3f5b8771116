package io.keyshard.node.journal;

import java.util.List;

/**
 * A consistent read view of a node's journal, for rebuilding persistence ids as they were at a
 * past instant (a point-in-time backup, docs/decisions/2026-12-07-point-in-time.md). What was
 * written, trimmed or compacted after the view opened is not seen. Times are the journal's
 * clock: the node's on the embedded store, the database's on PostgreSQL.
 */
public interface JournalHistory extends AutoCloseable {
  /** A stored payload: the bytes {@code [offset, offset + length)} of {@code bytes}. */
  interface Visitor {
    void snapshot(long seqNr, int serializerId, String manifest, byte[] bytes, int offset, int length);

    void event(long seqNr, int serializerId, String manifest, byte[] bytes, int offset, int length);
  }

  /** Every persistence id that ever wrote an event. */
  List<String> persistenceIds() throws Exception;

  /**
   * Hands over what rebuilds {@code id} just before {@code at} (Unix ms): its newest snapshot
   * saved before {@code at}, then its events after that snapshot written before {@code at}.
   * False, with nothing handed over, when the journal no longer holds that (trimmed).
   */
  boolean read(String id, long at, Visitor visitor) throws Exception;

  /**
   * Hands over every event of {@code id} written at or after {@code at} (what changed since).
   * False when the journal cannot tell them all (trimmed events may have been written after).
   */
  boolean since(String id, long at, Visitor visitor) throws Exception;

  /**
   * The earliest instant {@link #read} can rebuild {@code id} at (0: from its first event;
   * Long.MAX_VALUE: at no instant).
   */
  long earliest(String id) throws Exception;

  /** The journal clock's time now. */
  long now() throws Exception;

  @Override
  void close();
}
