package io.keyshard.node.journal;

import com.typesafe.config.Config;
import io.keyshard.persistence.rocks.AppendFsync;
import io.keyshard.persistence.rocks.RocksSettings;
import io.keyshard.persistence.rocks.RocksStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.rocksdb.RocksDBException;

/**
 * A standalone node's embedded journal. The node holds the store open for its whole life, from
 * before the actor system starts (so that a second process on the same directory stops at once,
 * with a message that says so) until after it stopped; the plugins share it.
 */
final class RocksEngine implements JournalEngine {
  private final RocksStore store;

  private RocksEngine(RocksStore store) {
    this.store = store;
  }

  static RocksEngine open(Config config) throws Exception {
    RocksSettings settings = RocksSettings.from(config.getConfig("keyshard-rocksdb"));
    // A data directory an H2 version wrote: converted once, before anything opens the store.
    H2Upgrade.ifNeeded(
        Path.of(config.getString("keyshard.dir")).toAbsolutePath().normalize(),
        settings.dir().toAbsolutePath().normalize());
    try {
      return new RocksEngine(RocksStore.acquire(settings));
    } catch (IllegalStateException e) {
      // RocksDB's LOCK file: "While lock file: .../LOCK: Resource temporarily unavailable".
      if (String.valueOf(e.getMessage()).contains("lock")) {
        throw new IllegalStateException(
            "the journal in " + settings.dir().toAbsolutePath().normalize()
                + " is in use by another Keyshard process (RocksDB's LOCK file is held): stop"
                + " that process or start this one with another keyshard.dir",
            e);
      }
      throw e;
    }
  }

  /** The store, for the converter and tests. */
  RocksStore store() {
    return store;
  }

  @Override
  public RocksStore embeddedStore() {
    return store;
  }

  @Override
  public JournalHistory history() {
    return new RocksHistory(store);
  }

  @Override
  public String name() {
    return "rocksdb";
  }

  @Override
  public void start(ActorSystem<?> system, Duration timeout) {}

  @Override
  public CompletionStage<List<String>> current() {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return store.persistenceIds();
          } catch (RocksDBException e) {
            throw new CompletionException(e);
          }
        });
  }

  @Override
  public AppendFsync appendFsync() {
    return store.appendFsync();
  }

  @Override
  public String refuseAppendFsync(AppendFsync mode) {
    return null;
  }

  @Override
  public void setAppendFsync(AppendFsync mode) {
    store.setAppendFsync(mode);
  }

  @Override
  public long walSyncs() {
    return store.walSyncs();
  }

  @Override
  public void onFailure() {
    // The store reopens itself on the next write after a failed one (GroupCommitWriter).
  }

  @Override
  public void close() {
    store.release();
  }
}
