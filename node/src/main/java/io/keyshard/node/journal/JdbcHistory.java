package io.keyshard.node.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link JournalHistory} of pekko-persistence-jdbc's tables: one read-only REPEATABLE READ
 * transaction (on PostgreSQL a snapshot of the database taken at its first query). On PostgreSQL
 * the times are the database's clock: {@link JournalFence} stamps every event row's
 * write_timestamp and every snapshot row's created as the row is inserted.
 */
final class JdbcHistory implements JournalHistory {
  private final Connection c;
  private final boolean postgres;

  JdbcHistory(Connection c) throws SQLException {
    this.c = c;
    this.postgres = "PostgreSQL".equals(c.getMetaData().getDatabaseProductName());
    c.setAutoCommit(false); // PostgreSQL streams a result set only in a transaction
    c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    c.setReadOnly(true);
  }

  @Override
  public List<String> persistenceIds() throws SQLException {
    List<String> ids = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT DISTINCT \"persistence_id\" FROM \"event_journal\"")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    return ids;
  }

  @Override
  public boolean read(String id, long at, Visitor visitor) throws SQLException {
    long from = 0;
    int snapshotSerializer = 0;
    String snapshotManifest = null;
    byte[] snapshot = null;
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT \"sequence_number\", \"snapshot_ser_id\", \"snapshot_ser_manifest\", \"snapshot_payload\""
                + " FROM \"snapshot\" WHERE \"persistence_id\" = ? AND \"created\" < ?"
                + " ORDER BY \"sequence_number\" DESC LIMIT 1")) {
      st.setString(1, id);
      st.setLong(2, at);
      try (ResultSet rs = st.executeQuery()) {
        if (rs.next()) {
          from = rs.getLong(1);
          snapshotSerializer = rs.getInt(2);
          snapshotManifest = rs.getString(3);
          snapshot = rs.getBytes(4);
        }
      }
    }
    record Row(long seqNr, int serializer, String manifest, byte[] payload) {}
    List<Row> rows = new ArrayList<>();
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT \"sequence_number\", \"write_timestamp\", \"deleted\", \"event_ser_id\","
                + " \"event_ser_manifest\", \"event_payload\" FROM \"event_journal\""
                + " WHERE \"persistence_id\" = ? AND \"sequence_number\" > ? ORDER BY \"sequence_number\"")) {
      st.setFetchSize(1000);
      st.setString(1, id);
      st.setLong(2, from);
      try (ResultSet rs = st.executeQuery()) {
        long expected = from + 1;
        while (rs.next()) {
          long seqNr = rs.getLong(1);
          if (seqNr != expected || rs.getBoolean(3)) {
            return false; // trimmed past the snapshot found (a deleted row marks the trim)
          }
          if (rs.getLong(2) >= at) {
            break;
          }
          rows.add(new Row(seqNr, rs.getInt(4), rs.getString(5), rs.getBytes(6)));
          expected++;
        }
      }
    }
    if (snapshot != null) {
      visitor.snapshot(from, snapshotSerializer, snapshotManifest, snapshot, 0, snapshot.length);
    }
    for (Row r : rows) {
      visitor.event(r.seqNr(), r.serializer(), r.manifest(), r.payload(), 0, r.payload().length);
    }
    return true;
  }

  @Override
  public boolean since(String id, long at, Visitor visitor) throws SQLException {
    long highest = 0;
    boolean first = true;
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT \"sequence_number\", \"write_timestamp\", \"deleted\", \"event_ser_id\","
                + " \"event_ser_manifest\", \"event_payload\" FROM \"event_journal\""
                + " WHERE \"persistence_id\" = ? ORDER BY \"sequence_number\"")) {
      st.setFetchSize(1000);
      st.setString(1, id);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          long seqNr = rs.getLong(1);
          highest = seqNr;
          if (rs.getBoolean(3)) {
            continue; // the row a trim keeps to mark the highest number: not an event
          }
          long time = rs.getLong(2);
          if (first) {
            first = false;
            if (seqNr != 1 && time >= at && !snapshotBefore(id, seqNr - 1, at)) {
              return false; // the events before this one are gone, and so are their times
            }
          }
          if (time >= at) {
            byte[] payload = rs.getBytes(6);
            visitor.event(seqNr, rs.getInt(4), rs.getString(5), payload, 0, payload.length);
          }
        }
      }
    }
    return !first || highest == 0 || snapshotBefore(id, highest, at);
  }

  private boolean snapshotBefore(String id, long seqNr, long at) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT \"created\" FROM \"snapshot\" WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?")) {
      st.setString(1, id);
      st.setLong(2, seqNr);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getLong(1) < at;
      }
    }
  }

  @Override
  public long earliest(String id) throws SQLException {
    long firstEvent = Long.MAX_VALUE;
    long highest = 0;
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT MIN(CASE WHEN \"deleted\" THEN NULL ELSE \"sequence_number\" END),"
                + " MAX(\"sequence_number\") FROM \"event_journal\" WHERE \"persistence_id\" = ?")) {
      st.setString(1, id);
      try (ResultSet rs = st.executeQuery()) {
        if (rs.next()) {
          long min = rs.getLong(1);
          firstEvent = rs.wasNull() ? Long.MAX_VALUE : min;
          highest = rs.getLong(2);
        }
      }
    }
    if (firstEvent == 1) {
      return 0;
    }
    long needed = firstEvent == Long.MAX_VALUE ? highest + 1 : firstEvent;
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT MIN(\"created\") FROM \"snapshot\" WHERE \"persistence_id\" = ? AND \"sequence_number\" >= ?")) {
      st.setString(1, id);
      st.setLong(2, needed - 1);
      try (ResultSet rs = st.executeQuery()) {
        if (rs.next()) {
          long created = rs.getLong(1);
          if (!rs.wasNull()) {
            return created;
          }
        }
      }
    }
    return Long.MAX_VALUE;
  }

  @Override
  public long now() throws SQLException {
    if (!postgres) {
      return System.currentTimeMillis();
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public void close() {
    try {
      c.rollback();
      c.close();
    } catch (SQLException ignored) {
      // a read-only view: nothing to keep
    }
  }
}
