package io.keyshard.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.keyshard.node.journal.JdbcEngine;
import io.keyshard.node.journal.JournalFence;
import io.keyshard.node.journal.PostgresJournalDao;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.jdbc.db.SlickDatabase;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import scala.Option;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.collection.immutable.Set;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * The journal DAO a PostgreSQL node runs (one multi-row INSERT per batch, in autocommit), on a
 * real PostgreSQL with the fence: rows land with the plugin's columns in ascending order, a batch
 * with one fenced row stores none of its rows, and a batch too large for one statement still
 * goes through the plugin's own transaction.
 */
@Timeout(180)
class PostgresJournalDaoTest {
  private static EmbeddedPostgres postgres;
  private static ActorSystem system;
  private static PostgresJournalDao dao;
  private static String url;
  private static final Set<String> NO_TAGS = CollectionConverters.asScala(Collections.<String>emptySet()).toSet();

  @BeforeAll
  static void start() throws Exception {
    postgres = EmbeddedPostgres.builder().start();
    Config config =
        JournalConfig.derive(
            ConfigFactory.parseMap(
                    Map.of(
                        "keyshard.postgres.url", postgres.getJdbcUrl("postgres", "postgres"),
                        "keyshard.postgres.user", "postgres",
                        "keyshard.postgres.password", "",
                        "pekko.actor.provider", "local"))
                .withFallback(ConfigFactory.load()),
            Files.createTempDirectory("keyshard-dao"));
    url = config.getString(JdbcEngine.DB + ".url");
    assertEquals(PostgresJournalDao.class.getName(), config.getString("jdbc-journal.dao"));
    system = ActorSystem.create("dao", config);
    SchemaUtils.createIfNotExists(JdbcEngine.SCHEMA, system).toCompletableFuture().get(30, TimeUnit.SECONDS);
    try (Connection c = connect()) {
      JournalFence.install(c);
    }
    Config journal = system.settings().config().getConfig("jdbc-journal");
    SlickDatabase db = ((SlickExtensionImpl) SlickExtension.get(system)).database(journal);
    dao =
        new PostgresJournalDao(
            db.database(),
            db.profile(),
            // pekko-persistence-jdbc's JournalConfig; this package has Keyshard's own.
            new org.apache.pekko.persistence.jdbc.config.JournalConfig(journal),
            SerializationExtension.get(system),
            system.dispatcher(),
            Materializer.matFromSystem(system));
  }

  @AfterAll
  static void stop() throws Exception {
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  private static Connection connect() throws SQLException {
    return DriverManager.getConnection(url, "postgres", "");
  }

  private static JournalPekkoSerializationRow row(String pid, long seqNr) {
    return new JournalPekkoSerializationRow(
        Long.MIN_VALUE, false, pid, seqNr, "writer-" + pid, 1000 + seqNr, "",
        new byte[] {(byte) seqNr}, 1, "m", Option.empty(), Option.empty(), Option.empty());
  }

  /** The rows in the order given, untagged, as the plugin hands them to its DAO. */
  private static Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> batch(List<JournalPekkoSerializationRow> rows) {
    List<Tuple2<JournalPekkoSerializationRow, Set<String>>> tuples = new ArrayList<>();
    for (JournalPekkoSerializationRow r : rows) {
      tuples.add(new Tuple2<>(r, NO_TAGS));
    }
    return CollectionConverters.asScala(tuples).toSeq();
  }

  private static void write(List<JournalPekkoSerializationRow> rows) throws Exception {
    FutureConverters.asJava(dao.writeJournalRows(batch(rows))).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** persistence_id/sequence_number of an id's rows in the order of the journal's ordering. */
  private static List<String> rowsOf(String pid) throws SQLException {
    List<String> found = new ArrayList<>();
    try (Connection c = connect();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT sequence_number, writer, write_timestamp, event_ser_id, event_ser_manifest,"
                    + " event_payload, meta_payload FROM event_journal WHERE persistence_id = ? ORDER BY ordering")) {
      st.setString(1, pid);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          // write_timestamp: the database's clock at insert (JournalFence), not the plugin's value.
          long stamp = rs.getLong(3);
          String time = Math.abs(stamp - System.currentTimeMillis()) < 60_000 ? "now" : Long.toString(stamp);
          found.add(rs.getLong(1) + ":" + rs.getString(2) + ":" + time + ":" + rs.getInt(4)
              + ":" + rs.getString(5) + ":" + rs.getBytes(6)[0] + ":" + rs.getBytes(7));
        }
      }
    }
    return found;
  }

  @Test
  void aBatchLandsInSequenceOrderWithThePluginsColumns() throws Exception {
    // Given out of order, as several slots' writes may queue; stored ascending per id.
    write(List.of(row("slot-1", 3), row("slot-2", 1), row("slot-1", 1), row("slot-1", 2)));
    assertEquals(
        List.of("1:writer-slot-1:now:1:m:1:null", "2:writer-slot-1:now:1:m:2:null", "3:writer-slot-1:now:1:m:3:null"),
        rowsOf("slot-1"));
    assertEquals(List.of("1:writer-slot-2:now:1:m:1:null"), rowsOf("slot-2"));
  }

  @Test
  void aBatchWithOneFencedRowStoresNone() throws Exception {
    write(List.of(row("slot-7", 1), row("slot-7", 2)));
    // slot-8's rows are fine; slot-7's 2 is at its highest: the whole statement is refused.
    ExecutionException e =
        assertThrows(
            ExecutionException.class,
            () -> write(List.of(row("slot-8", 1), row("slot-8", 2), row("slot-7", 2))));
    SQLException sql = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        sql = s;
      }
    }
    assertEquals("23505", sql == null ? null : sql.getSQLState(), String.valueOf(e.getCause()));
    assertEquals(List.of(), rowsOf("slot-8"));
    assertEquals(2, rowsOf("slot-7").size());
    write(List.of(row("slot-8", 1), row("slot-7", 3)));
    assertEquals(1, rowsOf("slot-8").size());
  }

  @Test
  void anEmptyBatchSucceedsWithoutAStatement() throws Exception {
    write(List.of()); // what is left when every write of a batch failed to serialize
  }

  @Test
  void aBatchTooLargeForOneStatementGoesThroughThePluginsTransaction() throws Exception {
    List<JournalPekkoSerializationRow> rows = new ArrayList<>();
    for (long n = 1; n <= 3000; n++) { // 3000 x 12 parameters > 32767
      rows.add(row("slot-9", n));
    }
    write(rows);
    List<String> stored = rowsOf("slot-9");
    assertEquals(3000, stored.size());
    assertEquals("3000:writer-slot-9:now:1:m:-72:null", stored.get(2999));
  }
}
