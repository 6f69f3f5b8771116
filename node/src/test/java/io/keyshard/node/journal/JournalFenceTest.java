package io.keyshard.node.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The journal fence on a real PostgreSQL, on pekko-persistence-jdbc's own schema: after the
 * rows below an id's highest are deleted the way its DefaultJournalDao.delete does, an insert
 * anywhere at or below the highest fails as a duplicate key, the next number succeeds, and the
 * rows of one multi-row insert are checked against the ones before them.
 */
@Timeout(120)
class JournalFenceTest {
  private static EmbeddedPostgres postgres;
  private static String url;

  @BeforeAll
  static void createSchema() throws Exception {
    postgres = EmbeddedPostgres.builder().start();
    url = postgres.getJdbcUrl("postgres", "postgres");
    try (JdbcJournalStore store = new JdbcJournalStore(url, "postgres", "")) {
      store.createTables();
    }
    try (Connection c = connect(url)) {
      JournalFence.install(c); // again: a node's start on an existing database
      JournalFence.install(c);
    }
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
  }

  private static Connection connect(String url) throws SQLException {
    return DriverManager.getConnection(url, "postgres", "");
  }

  /** One INSERT statement (a JDBC batch) of the given sequence numbers, as the plugin writes. */
  private static void insert(Connection c, String pid, long... seqNrs) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "INSERT INTO event_journal (deleted, persistence_id, sequence_number, writer,"
                + " write_timestamp, adapter_manifest, event_ser_id, event_ser_manifest, event_payload)"
                + " VALUES (false, ?, ?, 'w', 0, '', 1, '', ?)")) {
      for (long n : seqNrs) {
        st.setString(1, pid);
        st.setLong(2, n);
        st.setBytes(3, new byte[] {1});
        st.addBatch();
      }
      st.executeBatch();
    }
  }

  /** pekko-persistence-jdbc 1.1.1's DefaultJournalDao.delete, in one transaction. */
  private static void deleteTo(Connection c, String pid, long to) throws SQLException {
    c.setAutoCommit(false);
    try (PreparedStatement max =
            c.prepareStatement(
                "SELECT max(sequence_number) FROM event_journal WHERE persistence_id = ? AND sequence_number <= ?");
        PreparedStatement delete =
            c.prepareStatement("DELETE FROM event_journal WHERE persistence_id = ? AND sequence_number <= ?");
        PreparedStatement mark =
            c.prepareStatement(
                "UPDATE event_journal SET deleted = true WHERE persistence_id = ? AND sequence_number = ?")) {
      max.setString(1, pid);
      max.setLong(2, to);
      long highest;
      try (ResultSet rs = max.executeQuery()) {
        rs.next();
        highest = rs.getLong(1);
      }
      delete.setString(1, pid);
      delete.setLong(2, highest - 1);
      delete.executeUpdate();
      mark.setString(1, pid);
      mark.setLong(2, highest);
      mark.executeUpdate();
      c.commit();
    } finally {
      c.setAutoCommit(true);
    }
  }

  private static List<Long> rows(Connection c, String pid) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT sequence_number FROM event_journal WHERE persistence_id = ? ORDER BY sequence_number")) {
      st.setString(1, pid);
      try (ResultSet rs = st.executeQuery()) {
        List<Long> out = new ArrayList<>();
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
        return out;
      }
    }
  }

  private static void assertFenced(Connection c, String pid, long... seqNrs) {
    SQLException e = assertThrows(SQLException.class, () -> insert(c, pid, seqNrs));
    SQLException cause = e instanceof BatchUpdateException b && b.getNextException() != null ? b.getNextException() : e;
    assertEquals("23505", cause.getSQLState(), cause.toString());
  }

  @Test
  void anInsertIntoTheTrimmedRangeOrAtTheHighestFailsAsADuplicateKey() throws Exception {
    try (Connection c = connect(url)) {
      insert(c, "slot-7", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10); // one statement, ascending: all pass
      insert(c, "slot-8", 1, 2, 3);
      deleteTo(c, "slot-7", 9);
      assertEquals(List.of(9L, 10L), rows(c, "slot-7"), "row 9 is kept, marked deleted");

      assertFenced(c, "slot-7", 5); // no row 5 any more: only the fence refuses it
      assertFenced(c, "slot-7", 1);
      assertFenced(c, "slot-7", 10);
      insert(c, "slot-7", 11);

      // Everything deleted: the kept highest row still fences.
      deleteTo(c, "slot-7", 11);
      assertEquals(List.of(11L), rows(c, "slot-7"));
      assertFenced(c, "slot-7", 6);
      assertFenced(c, "slot-7", 11);
      insert(c, "slot-7", 12);
      insert(c, "slot-8", 4); // other ids are not affected
      insert(c, "slot-9", 1);
      assertEquals(List.of(11L, 12L), rows(c, "slot-7"));
    }
  }

  @Test
  void rowsOfOneMultiRowInsertSeeTheRowsBeforeThem() throws Exception {
    // reWriteBatchedInserts makes the driver send a batch as one INSERT ... VALUES (...), (...).
    try (Connection c = connect(url + "&reWriteBatchedInserts=true")) {
      insert(c, "slot-100", 1, 2, 3, 4, 5, 6, 7, 8);
      deleteTo(c, "slot-100", 7);
      // Two ids interleaved, each ascending (the plugin sorts a batch by sequence number).
      try (PreparedStatement st =
          c.prepareStatement(
              "INSERT INTO event_journal (deleted, persistence_id, sequence_number, writer,"
                  + " write_timestamp, adapter_manifest, event_ser_id, event_ser_manifest, event_payload)"
                  + " VALUES (false, ?, ?, 'w', 0, '', 1, '', '\\x01'),"
                  + " (false, ?, ?, 'w', 0, '', 1, '', '\\x01'), (false, ?, ?, 'w', 0, '', 1, '', '\\x01')")) {
        Object[] rows = {"slot-101", 1L, "slot-100", 9L, "slot-101", 2L};
        for (int i = 0; i < rows.length; i++) {
          st.setObject(i + 1, rows[i]);
        }
        assertEquals(3, st.executeUpdate());
      }
      // A descending pair in one statement: the second row sees the first and is refused, and
      // the whole statement with it.
      assertFenced(c, "slot-100", 12, 11);
      assertFenced(c, "slot-100", 10, 10);
      assertFenced(c, "slot-100", 10, 11, 6);
      assertEquals(List.of(7L, 8L, 9L), rows(c, "slot-100"));
      insert(c, "slot-100", 10, 11, 12);
      assertEquals(List.of(7L, 8L, 9L, 10L, 11L, 12L), rows(c, "slot-100"));
      assertEquals(List.of(1L, 2L), rows(c, "slot-101"));
    }
  }

  @Test
  void theTriggerIsThereOnce() throws Exception {
    try (Connection c = connect(url);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'event_journal'::regclass"
                    + " AND tgname = 'keyshard_journal_fence'")) {
      rs.next();
      assertEquals(1, rs.getInt(1), "installed once, however often a node starts");
    }
  }
}
