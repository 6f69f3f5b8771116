package io.keyshard.node.cluster;

import com.typesafe.config.Config;
import java.util.concurrent.CompletableFuture;
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
    CompletableFuture<Long> head = mirror == null ? null : mirror.takeHead(persistenceId);
    if (head == null) {
      return super.asyncReadHighestSequenceNr(persistenceId, fromSequenceNr);
    }
    if (head.isDone() && head.getNow(null) != null && head.getNow(null) >= fromSequenceNr) {
      return Future.successful(head.getNow(null));
    }
    // The query for all gained slots is still running (or found nothing for this one).
    return scala.jdk.javaapi.FutureConverters.asScala(
        head.thenCompose(
            seq ->
                seq != null && seq >= fromSequenceNr
                    ? CompletableFuture.<Object>completedFuture(seq)
                    : scala.jdk.javaapi.FutureConverters.asJava(
                        super.asyncReadHighestSequenceNr(persistenceId, fromSequenceNr))));
  }
}
