package io.keyshard.node.journal;

import io.keyshard.persistence.rocks.AppendFsync;
import io.keyshard.persistence.rocks.RocksStore;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The journal a node runs on, as far as the node itself (not Pekko Persistence, which reaches
 * it through its plugin ids) needs to know: standalone on the embedded RocksDB store, cluster
 * mode and {@code --postgres} on pekko-persistence-jdbc. Chosen once at start
 * ({@link #open}); docs/decisions/2026-12-06-rocksdb-default.md.
 */
public interface JournalEngine extends PersistenceIds, AutoCloseable {
  /** The journal plugin id of the embedded store: a config that names it runs on RocksDB. */
  String ROCKS_PLUGIN = "keyshard-rocksdb.journal";

  /** The engine the configuration's journal plugin names. */
  static JournalEngine open(com.typesafe.config.Config config) throws Exception {
    return config.getString("pekko.persistence.journal.plugin").equals(ROCKS_PLUGIN)
        ? RocksEngine.open(config)
        : new JdbcEngine(config);
  }

  /** INFO persistence's keyshard_journal: rocksdb or jdbc. */
  String name();

  /** What needs the actor system: the JDBC tables, the read journal, the pool. */
  void start(ActorSystem<?> system, Duration timeout) throws Exception;

  /** The mode writes are acknowledged under now (CONFIG GET appendfsync). */
  AppendFsync appendFsync();

  /** Why {@code mode} cannot be set at run time, or null when {@link #setAppendFsync} will. */
  String refuseAppendFsync(AppendFsync mode);

  void setAppendFsync(AppendFsync mode);

  /** The embedded store, which a standalone node reads at start in one pass; null on JDBC. */
  default RocksStore embeddedStore() {
    return null;
  }

  /**
   * A consistent read view of the journal for rebuilding slots at a past instant (a
   * point-in-time backup); the caller closes it.
   */
  JournalHistory history() throws Exception;

  /** RocksDB's own count of WAL syncs (its WAL_FILE_SYNCED ticker); -1 where there is none. */
  long walSyncs();

  /**
   * While journal operations fail (JournalHealth.onFailure): what lets the journal come back
   * without a restart.
   */
  void onFailure();

  /** After the actor system stopped: releases the store, compacts H2's file. */
  @Override
  void close();
}
