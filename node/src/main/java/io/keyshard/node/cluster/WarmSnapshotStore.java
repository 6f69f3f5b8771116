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
import scala.jdk.javaapi.FutureConverters;

/**
 * The JDBC snapshot store, except that a slot this node held warm as a replica
 * ({@link Mirror}) starts from that warm state when it is newer than the stored snapshot: the
 * slot entity then replays only the events after it (a takeover that does not replay the slot's
 * whole history). Everything else, saving included, is the JDBC store's.
 */
public final class WarmSnapshotStore extends JdbcSnapshotStore {
  public WarmSnapshotStore(Config config) {
    super(config);
  }

  @Override
  public Future<Option<SelectedSnapshot>> loadAsync(
      String persistenceId, SnapshotSelectionCriteria criteria) {
    Future<Option<SelectedSnapshot>> stored = super.loadAsync(persistenceId, criteria);
    Mirror mirror = Mirror.of(context().system());
    if (mirror == null) {
      return stored;
    }
    Optional<Map.Entry<Long, SlotSnapshot>> warm = mirror.takeWarm(persistenceId, criteria.maxSequenceNr());
    if (warm.isEmpty()) {
      return stored;
    }
    long seq = warm.get().getKey();
    SelectedSnapshot fromMirror =
        new SelectedSnapshot(
            new SnapshotMetadata(persistenceId, seq, System.currentTimeMillis()), warm.get().getValue());
    return FutureConverters.asScala(
        FutureConverters.asJava(stored)
            .thenApply(
                s -> {
                  if (s.isDefined() && s.get().metadata().sequenceNr() > seq) {
                    return s; // stored is newer (should not happen): take it
                  }
                  return Option.apply(fromMirror);
                }));
  }
}
