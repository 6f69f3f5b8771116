package io.keyshard.node.journal;

import io.keyshard.persistence.rocks.RawRecords;
import java.util.List;
import java.util.Map;

/** One side of a conversion: a journal's events, snapshots and highest sequence numbers. */
interface JournalStore extends AutoCloseable {
  /** What a source hands over, in batches. */
  interface Sink {
    void events(List<RawRecords.Event> events) throws Exception;

    void snapshots(List<RawRecords.Snapshot> snapshots) throws Exception;
  }

  /** A description for log lines. */
  String describe();

  boolean isEmpty() throws Exception;

  /** Hands every event and snapshot to the sink, in batches; answers the highest sequence numbers. */
  Map<String, Long> readAll(Sink sink) throws Exception;

  /** Target side: stores a batch as it is. */
  void writeEvents(List<RawRecords.Event> events) throws Exception;

  void writeSnapshots(List<RawRecords.Snapshot> snapshots) throws Exception;

  /** Target side: the highest sequence numbers, after all events (they survive deletes). */
  void writeHighest(Map<String, Long> highest) throws Exception;

  @Override
  void close() throws Exception;
}
