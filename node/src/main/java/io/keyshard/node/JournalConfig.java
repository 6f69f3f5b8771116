package io.keyshard.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.keyshard.node.journal.JdbcEngine;
import io.keyshard.node.journal.JournalEngine;
import io.keyshard.node.journal.PostgresJournalDao;
import io.keyshard.node.slot.DormantSnapshotStore;
import io.keyshard.persistence.rocks.AppendFsync;
import java.nio.file.Path;

/**
 * Which journal a node runs on, decided in its configuration before the actor system starts
 * (docs/decisions/2026-12-06-rocksdb-default.md):
 * <ul>
 *   <li>a PostgreSQL url (cluster mode always has one): pekko-persistence-jdbc on PostgreSQL,
 *       appendfsync mapped onto synchronous_commit of Keyshard's connections;
 *   <li>a JDBC url set in the file itself (an H2 file, say): pekko-persistence-jdbc on it;
 *   <li>cluster mode without PostgreSQL (one node): H2 in {@code <keyshard.dir>}, as before;
 *   <li>otherwise, a standalone node's default: the embedded RocksDB store in
 *       {@code <keyshard.dir>/journal}.
 * </ul>
 */
final class JournalConfig {
  private JournalConfig() {}

  static final String JOURNAL_URL = JdbcEngine.DB + ".url";

  /** The directory of the embedded journal. */
  static Path rocksDir(Path dir) {
    return dir.resolve("journal");
  }

  /** {@code c} with its journal's settings in front of it. */
  static Config derive(Config c, Path dir) {
    AppendFsync mode = AppendFsync.parse(c.getString("keyshard.appendfsync"));
    if (!c.getString(JOURNAL_URL).isEmpty()) {
      return c;
    }
    String postgres = c.getString("keyshard.postgres.url");
    if (!postgres.isEmpty()) {
      // The same tables and the same serialized events as any pekko-persistence-jdbc journal.
      // synchronous_commit per connection: "on" makes a commit wait for its WAL flush (Redis's
      // always); "off" returns before it, losing at most ~3 x wal_writer_delay on a crash of the
      // database server, never on one of Keyshard's processes (everysec, no).
      String sync = mode == AppendFsync.ALWAYS ? "on" : "off";
      String db = "pekko-persistence-jdbc.shared-databases.keyshard";
      int connections = c.getInt("keyshard.postgres.max-connections");
      return ConfigFactory.empty()
          .withValue(db + ".profile", ConfigValueFactory.fromAnyRef("slick.jdbc.PostgresProfile$"))
          .withValue(db + ".db.driver", ConfigValueFactory.fromAnyRef("org.postgresql.Driver"))
          .withValue(JOURNAL_URL, ConfigValueFactory.fromAnyRef(postgres))
          .withValue(db + ".db.user", ConfigValueFactory.fromAnyRef(c.getString("keyshard.postgres.user")))
          .withValue(db + ".db.password", ConfigValueFactory.fromAnyRef(c.getString("keyshard.postgres.password")))
          .withValue(db + ".db.maxConnections", ConfigValueFactory.fromAnyRef(connections))
          .withValue(db + ".db.numThreads", ConfigValueFactory.fromAnyRef(connections))
          .withValue(
              db + ".db.connectionInitSql",
              ConfigValueFactory.fromAnyRef("SET synchronous_commit = " + sync))
          // One round trip per journal write: a multi-row INSERT in autocommit.
          .withValue("jdbc-journal.dao", ConfigValueFactory.fromAnyRef(PostgresJournalDao.class.getName()))
          .withValue(
              "jdbc-journal.parallelism",
              ConfigValueFactory.fromAnyRef(c.getInt("keyshard.postgres.parallelism")))
          .withFallback(c);
    }
    if (c.getBoolean("keyshard.cluster.enabled")) {
      // A one-node cluster without PostgreSQL stays on H2, as before: cluster mode's replicas,
      // heads and takeovers read pekko-persistence-jdbc's tables.
      // WRITE_DELAY=0: write each commit at once (see the embedded-journal decision).
      // RETENTION_TIME: H2 keeps every superseded chunk 45 s by default before reusing its
      // space, so the file grew by gigabytes under a write load; one second is far longer than
      // an in-flight write needs to survive a killed process.
      String url = "jdbc:h2:file:" + dir.resolve("journal") + ";WRITE_DELAY=0;RETENTION_TIME=1000";
      return ConfigFactory.empty().withValue(JOURNAL_URL, ConfigValueFactory.fromAnyRef(url)).withFallback(c);
    }
    return ConfigFactory.empty()
        .withValue("pekko.persistence.journal.plugin", ConfigValueFactory.fromAnyRef(JournalEngine.ROCKS_PLUGIN))
        .withValue(
            "pekko.persistence.snapshot-store.plugin",
            ConfigValueFactory.fromAnyRef("keyshard-rocksdb.snapshot-store"))
        // The RocksDB store, except that slots read at start recover from what was read.
        .withValue(
            "keyshard-rocksdb.snapshot-store.class",
            ConfigValueFactory.fromAnyRef(DormantSnapshotStore.class.getName()))
        .withValue("keyshard-rocksdb.dir", ConfigValueFactory.fromAnyRef(rocksDir(dir).toString()))
        .withValue("keyshard-rocksdb.appendfsync", ConfigValueFactory.fromAnyRef(mode.redisName()))
        .withFallback(c);
  }
}
