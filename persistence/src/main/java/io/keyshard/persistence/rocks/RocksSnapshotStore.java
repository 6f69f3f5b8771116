package io.keyshard.persistence.rocks;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.snapshot.japi.SnapshotStore;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * The snapshot store plugin on RocksDB (plugin id {@code keyshard-rocksdb.snapshot-store}),
 * in the same store as the journal: a snapshot is written through the same group commit and
 * acknowledged under the same appendfsync, so events it covers are deleted only after it is
 * synced (in mode always). Not final: a node serves some loads from what it read at start
 * ({@code node/slot/DormantSnapshotStore}).
 */
public class RocksSnapshotStore extends SnapshotStore {
  private final RocksStore store;
  private final RecordCodec codec;
  private final ExecutionContext reads;

  public RocksSnapshotStore(Config config) {
    this.codec = new RecordCodec((ExtendedActorSystem) context().system());
    this.reads = context().dispatcher();
    this.store = RocksStore.acquireFor(context().system(), config);
  }

  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(String persistenceId,
      SnapshotSelectionCriteria criteria) {
    return Futures.future(() -> {
      AtomicReference<Optional<SelectedSnapshot>> found = new AtomicReference<>(Optional.empty());
      store.scanSnapshotsDescending(persistenceId, criteria.maxSequenceNr(),
          criteria.minSequenceNr(), (seqNr, value) -> {
            RecordCodec.StoredSnapshot stored = RecordCodec.StoredSnapshot.of(value);
            if (!timestampMatches(criteria, stored.timestamp())) {
              return true;
            }
            found.set(Optional.of(SelectedSnapshot.create(
                codec.snapshotMetadata(persistenceId, seqNr, stored),
                codec.snapshotPayload(stored))));
            return false;
          });
      return found.get();
    }, reads);
  }

  @Override
  public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
    byte[] value;
    try {
      value = codec.encodeSnapshot(metadata, snapshot);
    } catch (RuntimeException e) {
      return Futures.failed(e);
    }
    return FutureConverters.asScala(store.write(new WriteOp.PutSnapshot(
        KeyLayout.key(metadata.persistenceId(), metadata.sequenceNr()), value)));
  }

  @Override
  public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
    return FutureConverters.asScala(store.write(new WriteOp.DeleteSnapshots(null, null,
        List.of(KeyLayout.key(metadata.persistenceId(), metadata.sequenceNr())))));
  }

  @Override
  public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    long minSeqNr = Math.max(0, criteria.minSequenceNr());
    if (criteria.maxSequenceNr() < minSeqNr) {
      return Futures.successful(null);
    }
    if (criteria.minTimestamp() <= 0 && criteria.maxTimestamp() == Long.MAX_VALUE) {
      // Only sequence numbers count (what retention asks for): one range tombstone.
      return FutureConverters.asScala(store.write(new WriteOp.DeleteSnapshots(
          KeyLayout.key(persistenceId, minSeqNr),
          KeyLayout.after(persistenceId, criteria.maxSequenceNr()), List.of())));
    }
    Future<List<byte[]>> matching = Futures.future(() -> {
      List<byte[]> keys = new ArrayList<>();
      store.scanSnapshotsDescending(persistenceId, criteria.maxSequenceNr(), minSeqNr,
          (seqNr, value) -> {
            if (timestampMatches(criteria, RecordCodec.StoredSnapshot.of(value).timestamp())) {
              keys.add(KeyLayout.key(persistenceId, seqNr));
            }
            return true;
          });
      return keys;
    }, reads);
    CompletableFuture<Void> deleted = new CompletableFuture<>();
    // Completed by hand, not thenCompose: that would wrap the store's exception.
    FutureConverters.asJava(matching).whenComplete((keys, readFailure) -> {
      if (readFailure != null) {
        deleted.completeExceptionally(readFailure);
        return;
      }
      store.write(new WriteOp.DeleteSnapshots(null, null, keys)).whenComplete((done, failure) -> {
        if (failure != null) {
          deleted.completeExceptionally(failure);
        } else {
          deleted.complete(null);
        }
      });
    });
    return FutureConverters.asScala(deleted);
  }

  private static boolean timestampMatches(SnapshotSelectionCriteria criteria, long timestamp) {
    return timestamp >= criteria.minTimestamp() && timestamp <= criteria.maxTimestamp();
  }

  @Override
  public void postStop() throws Exception {
    try {
      super.postStop();
    } finally {
      store.release();
    }
  }
}
