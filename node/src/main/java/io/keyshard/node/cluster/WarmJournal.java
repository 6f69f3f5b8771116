package io.keyshard.node.cluster;

import com.typesafe.config.Config;
import org.apache.pekko.persistence.jdbc.journal.JdbcAsyncWriteJournal;
import scala.concurrent.Future;

/**
 * The JDBC journal, except that a slot's first recovery after this node gained it takes its
 * highest sequence number from the one query {@link JournalHeads} made for all gained slots. When
 * that number is the snapshot's (a replica's warm state, {@link WarmSnapshotStore}), Pekko skips
 * the replay: the takeover of thousands of slots costs one query instead of two per slot.
 */
public final class WarmJournal extends JdbcAsyncWriteJournal {
  public WarmJournal(Config config) {
    super(config);
  }

  @Override
  public Future<Object> asyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    Mirror mirror = Mirror.of(context().system());
    Long head = mirror == null ? null : mirror.takeHead(persistenceId);
    if (head != null && head >= fromSequenceNr) {
      return Future.successful(head);
    }
    return super.asyncReadHighestSequenceNr(persistenceId, fromSequenceNr);
  }
}
