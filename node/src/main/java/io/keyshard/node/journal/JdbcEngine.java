package io.keyshard.node.journal;

import com.typesafe.config.Config;
import io.keyshard.persistence.rocks.AppendFsync;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import slick.jdbc.hikaricp.HikariCPJdbcDataSource;

/**
 * The journal through pekko-persistence-jdbc: PostgreSQL (cluster mode, {@code --postgres}), or
 * H2 when a configuration names an H2 url itself. appendfsync maps onto PostgreSQL's
 * synchronous_commit for Keyshard's connections, set when each connection opens
 * (JournalConfig), so it is fixed for the node's run; H2 with WRITE_DELAY=0 never syncs, which
 * CONFIG GET reports as "no".
 */
public final class JdbcEngine implements JournalEngine {
  private static final Logger log = LoggerFactory.getLogger(JdbcEngine.class);
  public static final String DB = "pekko-persistence-jdbc.shared-databases.keyshard.db";
  /**
   * The section SchemaUtils creates the tables from: the journal's database with the plugin's
   * default DAO named, since SchemaUtils takes any other DAO (PostgresJournalDao on PostgreSQL)
   * for the legacy one and would create the legacy tables.
   */
  public static final String SCHEMA = "jdbc-journal-schema";

  private final Config config;
  private final String url;
  private final AppendFsync mode;
  private volatile ActorSystem<?> system;

  JdbcEngine(Config config) {
    this.config = config;
    this.url = config.getString(DB + ".url");
    this.mode =
        url.startsWith("jdbc:h2:") ? AppendFsync.NO : AppendFsync.parse(config.getString("keyshard.appendfsync"));
  }

  /** The ids in a pekko-persistence-jdbc journal (cluster mode's takeovers read them too). */
  public static PersistenceIds persistenceIds(ActorSystem<?> system) {
    return () ->
        PersistenceQuery.get(system.classicSystem())
            .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier())
            .currentPersistenceIds()
            .runWith(Sink.seq(), system);
  }

  @Override
  public String name() {
    return "jdbc";
  }

  @Override
  public void start(ActorSystem<?> system, Duration timeout) throws Exception {
    this.system = system;
    SchemaUtils.createIfNotExists(SCHEMA, system)
        .toCompletableFuture()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    try (Connection c = connect()) {
      JournalFence.install(c);
    } catch (SQLException e) {
      // Without the fence an old owner of a slot could write into a trimmed range: refuse to
      // run rather than journal unfenced.
      throw new IllegalStateException(
          "could not install the journal's second-writer fence (a trigger on event_journal) in "
              + url + ": " + e.getMessage()
              + "; Keyshard's database user needs to create functions and triggers there",
          e);
    }
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(
        url, config.getString(DB + ".user"), config.getString(DB + ".password"));
  }

  @Override
  public JournalHistory history() throws SQLException {
    return new JdbcHistory(connect());
  }

  @Override
  public CompletionStage<List<String>> current() {
    return persistenceIds(system).current();
  }

  @Override
  public AppendFsync appendFsync() {
    return mode;
  }

  @Override
  public String refuseAppendFsync(AppendFsync wanted) {
    if (wanted == mode) {
      return null;
    }
    if (url.startsWith("jdbc:h2:")) {
      return "this node journals to H2, which never syncs its file: appendfsync is 'no'";
    }
    return "the journal is PostgreSQL, where appendfsync sets synchronous_commit of Keyshard's"
        + " connections as they open (always: on, everysec and no: off); set keyshard.appendfsync"
        + " in the config file of every node and restart them";
  }

  @Override
  public void setAppendFsync(AppendFsync wanted) {}

  @Override
  public long walSyncs() {
    return -1;
  }

  /**
   * Drops the pool's connections (in use: when returned). H2 closes its database for good after
   * a failed write on a full disk, and the pool would keep handing out connections to the closed
   * database after space was freed; PostgreSQL's died with a restarted server anyway.
   */
  @Override
  public void onFailure() {
    ActorSystem<?> s = system;
    if (s == null) {
      return;
    }
    SlickExtensionImpl slick = (SlickExtensionImpl) SlickExtension.get(s);
    Object source = slick.database(s.settings().config().getConfig("jdbc-journal")).database().source();
    if (source instanceof HikariCPJdbcDataSource hikari) {
      hikari.ds().getHikariPoolMXBean().softEvictConnections();
    }
  }

  /**
   * With WRITE_DELAY=0, H2 never compacts its file in the background: under a write load the
   * file holds mostly dead space (measured: 648 MB for 17 MB of live data after 173k writes).
   * A clean stop rewrites it compactly, which takes about a second per 600 MB.
   */
  @Override
  public void close() {
    if (!url.startsWith("jdbc:h2:")) {
      return;
    }
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      st.execute("SHUTDOWN COMPACT");
    } catch (SQLException e) {
      log.warn("Could not compact the journal file: {}", e.getMessage());
    }
  }
}
