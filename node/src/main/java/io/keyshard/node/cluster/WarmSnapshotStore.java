package io.keyshard.node.cluster;

import com.typesafe.config.Config;
import io.keyshard.persistence.SlotSnapshot;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.jdbc.snapshot.JdbcSnapshotStore;
import scala.Option;
import scala.concurrent.Future;

/**
 * The JDBC snapshot store, except that a slot this node held warm as a replica
 * ({@link Mirror}) starts from that warm state: the slot entity then replays only the events
 * after it (a takeover that does not replay the slot's whole history), and with
 * {@link WarmJournal} a slot already at its head asks the journal nothing. Everything else,
 * saving included, is the JDBC store's.
 */
public final class WarmSnapshotStore extends JdbcSnapshotStore {
  public WarmSnapshotStore(Config config) {
    super(config);
  }

  @Override
  public Future<Option<SelectedSnapshot>> loadAsync(
      String persistenceId, SnapshotSelectionCriteria criteria) {
    Mirror mirror = Mirror.of(context().system());
    Optional<Map.Entry<Long, SlotSnapshot>> warm =
        mirror == null ? Optional.empty() : mirror.takeWarm(persistenceId, criteria.maxSequenceNr());
    if (warm.isEmpty()) {
      return super.loadAsync(persistenceId, criteria);
    }
    // The warm state is the slot's state at that sequence number, read from the journal: a
    // stored snapshot (taken at another sequence number) would give the same state after its
    // replay, so it is not asked for (one query less per slot at a takeover).
    long seq = warm.get().getKey();
    return Future.successful(
        Option.apply(
            new SelectedSnapshot(
                new SnapshotMetadata(persistenceId, seq, System.currentTimeMillis()),
                warm.get().getValue())));
  }
}
