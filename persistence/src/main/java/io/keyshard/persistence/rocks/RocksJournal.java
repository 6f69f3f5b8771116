package io.keyshard.persistence.rocks;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * The journal plugin on RocksDB (plugin id {@code keyshard-rocksdb.journal}). Payloads are
 * serialized here, on the plugin's dispatcher; the store's one writer thread batches what all
 * persistence ids write and acknowledges after the sync (see GroupCommitWriter). Reads run on
 * the plugin's dispatcher against the store directly.
 */
public final class RocksJournal extends AsyncWriteJournal {
  private final RocksStore store;
  private final RecordCodec codec;
  private final ExecutionContext reads;

  public RocksJournal(Config config) {
    this.codec = new RecordCodec((ExtendedActorSystem) context().system());
    this.reads = context().dispatcher();
    this.store = RocksStore.acquireFor(context().system(), config);
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    long now = System.currentTimeMillis();
    List<WriteOp.Events> writes = new ArrayList<>();
    List<Optional<Exception>> results = new ArrayList<>();
    for (AtomicWrite write : messages) {
      try {
        List<byte[]> values = new ArrayList<>(write.size());
        for (PersistentRepr repr : CollectionConverters.asJava(write.payload())) {
          values.add(codec.encodeEvent(repr, now));
        }
        writes.add(new WriteOp.Events(write.persistenceId(), write.lowestSequenceNr(),
            write.highestSequenceNr(), values));
        results.add(Optional.empty());
      } catch (Exception e) {
        // Pekko's contract: an event that cannot be serialized is rejected alone, the writer
        // goes on; a failed write (below) fails the whole call and stops it.
        writes.add(WriteOp.Events.rejected(write.persistenceId(), write.lowestSequenceNr(),
            write.highestSequenceNr()));
        results.add(Optional.of(e));
      }
    }
    Iterable<Optional<Exception>> outcome = results;
    CompletableFuture<Iterable<Optional<Exception>>> reply = new CompletableFuture<>();
    // Not thenApply: that would wrap the failure in a CompletionException, and the writer (and
    // the node's classification of journal failures) should see the journal's own exception.
    store.write(new WriteOp.Append(writes)).whenComplete((done, failure) -> {
      if (failure != null) {
        reply.completeExceptionally(failure);
      } else {
        reply.complete(outcome);
      }
    });
    return FutureConverters.asScala(reply);
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    return FutureConverters.asScala(
        store.write(new WriteOp.DeleteEventsTo(persistenceId, toSequenceNr)));
  }

  @Override
  public Future<Void> doAsyncReplayMessages(String persistenceId, long fromSequenceNr,
      long toSequenceNr, long max, Consumer<PersistentRepr> replayCallback) {
    return Futures.future(() -> {
      store.scanEvents(persistenceId, fromSequenceNr, toSequenceNr, max,
          (seqNr, value) -> replayCallback.accept(codec.decodeEvent(persistenceId, seqNr, value)));
      return null;
    }, reads);
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    return Futures.future(() -> store.readHighestSeqNr(persistenceId), reads);
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
