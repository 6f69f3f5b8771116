package io.keyshard.node.slot;

import com.typesafe.config.Config;
import io.keyshard.persistence.rocks.RocksSnapshotStore;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * A standalone node's RocksDB snapshot store, except that a slot read at start ({@link Preload})
 * recovers from that state, handed over as a snapshot at the sequence number it was read to:
 * Pekko then replays only events after it (none, unless something wrote since) and asks the
 * journal for the highest sequence number as usual. So a slot's first start reads nothing it
 * was not given already; a later start (after a journal failure, or a stop) finds nothing here
 * and loads from the store. Everything else, saving included, is the RocksDB store's. The same
 * shape as cluster mode's {@code WarmSnapshotStore}.
 */
public final class DormantSnapshotStore extends RocksSnapshotStore {
  public DormantSnapshotStore(Config config) {
    super(config);
  }

  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(
      String persistenceId, SnapshotSelectionCriteria criteria) {
    DormantSlots dormant = DormantSlots.of(context().system());
    int slot = SlotEntity.standaloneSlotOf(persistenceId);
    if (dormant == null || slot < 0 || !criteria.equals(SnapshotSelectionCriteria.latest())) {
      return super.doLoadAsync(persistenceId, criteria);
    }
    CompletableFuture<Optional<SelectedSnapshot>> loaded =
        dormant
            .take(slot)
            .thenCompose(
                taken ->
                    taken.isPresent()
                        ? CompletableFuture.completedFuture(
                            Optional.of(
                                SelectedSnapshot.create(
                                    new SnapshotMetadata(
                                        persistenceId, taken.get().seqNr(), System.currentTimeMillis()),
                                    taken.get())))
                        : FutureConverters.asJava(super.doLoadAsync(persistenceId, criteria))
                            .toCompletableFuture());
    return FutureConverters.asScala(loaded);
  }
}
