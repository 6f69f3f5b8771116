package io.keyshard.node.journal;

import io.keyshard.persistence.rocks.RawRecords;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * pekko-persistence-jdbc's tables (event_journal, event_tag, snapshot) as a conversion's source
 * (H2 or PostgreSQL) or target (PostgreSQL), through plain JDBC: the rows' columns are the
 * RocksDB records' fields. Identifiers are quoted, as H2's schema creates them in lower case.
 */
final class JdbcJournalStore implements JournalStore {
  private static final int BATCH = 1000;
  private final String url;
  private final Connection c;
  /** Target side: the highest event written per id, for the deleted-marker rows. */
  private final Map<String, Long> written = new HashMap<>();

  JdbcJournalStore(String url, String user, String password) throws SQLException {
    this.url = url;
    this.c = DriverManager.getConnection(url, user, password);
  }

  @Override
  public String describe() {
    return "the JDBC journal at " + url;
  }

  private boolean hasTables() throws SQLException {
    DatabaseMetaData meta = c.getMetaData();
    try (ResultSet rs = meta.getTables(null, null, "event_journal", null)) {
      return rs.next();
    }
  }

  @Override
  public boolean isEmpty() throws SQLException {
    if (!hasTables()) {
      return true;
    }
    for (String table : new String[] {"event_journal", "snapshot"}) {
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM \"" + table + "\"")) {
        rs.next();
        if (rs.getLong(1) > 0) {
          return false;
        }
      }
    }
    return true;
  }

  @Override
  public Map<String, Long> readAll(Sink sink) throws Exception {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM \"event_tag\"")) {
      rs.next();
      if (rs.getLong(1) > 0) {
        // Keyshard tags no event; a journal with tags was written by something else.
        throw new IllegalStateException(url + " holds tagged events, which this converter does not copy");
      }
    }
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false); // PostgreSQL streams a result set (fetch size) only in a transaction
    try {
      try (Statement st = c.createStatement()) {
        st.setFetchSize(BATCH);
        try (ResultSet rs =
            st.executeQuery(
                "SELECT \"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\","
                    + " \"adapter_manifest\", \"event_ser_id\", \"event_ser_manifest\", \"event_payload\","
                    + " \"meta_ser_id\", \"meta_ser_manifest\", \"meta_payload\" FROM \"event_journal\""
                    + " WHERE \"deleted\" = false ORDER BY \"ordering\"")) {
          List<RawRecords.Event> batch = new ArrayList<>();
          while (rs.next()) {
            long time = rs.getLong(4);
            batch.add(
                new RawRecords.Event(
                    rs.getString(1),
                    rs.getLong(2),
                    time,
                    time,
                    rs.getString(3),
                    nullToEmpty(rs.getString(5)),
                    new RawRecords.Payload(rs.getInt(6), rs.getString(7), rs.getBytes(8)),
                    List.of(),
                    payload(rs, 9)));
            if (batch.size() >= BATCH) {
              sink.events(batch);
              batch = new ArrayList<>();
            }
          }
          if (!batch.isEmpty()) {
            sink.events(batch);
          }
        }
      }
      try (Statement st = c.createStatement()) {
        st.setFetchSize(BATCH / 10);
        try (ResultSet rs =
            st.executeQuery(
                "SELECT \"persistence_id\", \"sequence_number\", \"created\", \"snapshot_ser_id\","
                    + " \"snapshot_ser_manifest\", \"snapshot_payload\", \"meta_ser_id\","
                    + " \"meta_ser_manifest\", \"meta_payload\" FROM \"snapshot\"")) {
          List<RawRecords.Snapshot> batch = new ArrayList<>();
          while (rs.next()) {
            batch.add(
                new RawRecords.Snapshot(
                    rs.getString(1),
                    rs.getLong(2),
                    rs.getLong(3),
                    new RawRecords.Payload(rs.getInt(4), rs.getString(5), rs.getBytes(6)),
                    payload(rs, 7)));
            if (batch.size() >= BATCH / 10) {
              sink.snapshots(batch);
              batch = new ArrayList<>();
            }
          }
          if (!batch.isEmpty()) {
            sink.snapshots(batch);
          }
        }
      }
      // Pekko's delete keeps the highest row (marked deleted): the maximum counts every row.
      Map<String, Long> highest = new HashMap<>();
      try (Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT \"persistence_id\", MAX(\"sequence_number\") FROM \"event_journal\""
                      + " GROUP BY \"persistence_id\"")) {
        while (rs.next()) {
          highest.put(rs.getString(1), rs.getLong(2));
        }
      }
      c.commit();
      return highest;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  private static RawRecords.Payload payload(ResultSet rs, int first) throws SQLException {
    byte[] bytes = rs.getBytes(first + 2);
    return bytes == null
        ? null
        : new RawRecords.Payload(rs.getInt(first), nullToEmpty(rs.getString(first + 1)), bytes);
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  /**
   * Creates pekko-persistence-jdbc's tables (its own PostgreSQL script) if they are missing, and
   * the second-writer fence (JournalFence).
   */
  void createTables() throws SQLException, IOException {
    if (!hasTables()) {
      createSchema();
    }
    // Also on existing tables: the rows written here are fenced as a node's are (PostgreSQL).
    JournalFence.install(c);
    if (url.startsWith("jdbc:postgresql:")) {
      // The rows copied keep the times they were written at (the fence's clock stamps others).
      try (Statement st = c.createStatement()) {
        st.execute("SET keyshard.keep_times = 'on'");
      }
    }
  }

  private void createSchema() throws SQLException, IOException {
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("a JDBC target must be PostgreSQL: " + url);
    }
    String script;
    try (InputStream in =
        JdbcJournalStore.class.getClassLoader().getResourceAsStream("schema/postgres/postgres-create-schema.sql")) {
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    try (Statement st = c.createStatement()) {
      for (String statement : script.split(";")) {
        if (!statement.isBlank()) {
          st.execute(statement);
        }
      }
    }
  }

  @Override
  public void writeEvents(List<RawRecords.Event> events) throws SQLException {
    insertEvents(events, false);
    for (RawRecords.Event e : events) {
      written.merge(e.persistenceId(), e.seqNr(), Math::max);
    }
  }

  private void insertEvents(List<RawRecords.Event> events, boolean deleted) throws SQLException {
    insertAll(
        "INSERT INTO \"event_journal\" (\"deleted\", \"persistence_id\", \"sequence_number\","
            + " \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_ser_id\","
            + " \"event_ser_manifest\", \"event_payload\", \"meta_ser_id\", \"meta_ser_manifest\","
            + " \"meta_payload\") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        st -> {
          for (RawRecords.Event e : events) {
            if (!e.tags().isEmpty()) {
              throw new IllegalStateException("tagged event " + e.persistenceId() + "/" + e.seqNr()
                  + ": tags are not converted");
            }
            st.setBoolean(1, deleted);
            st.setString(2, e.persistenceId());
            st.setLong(3, e.seqNr());
            st.setString(4, e.writer());
            st.setLong(5, e.timestamp());
            st.setString(6, e.adapterManifest());
            setPayload(st, 7, e.payload());
            setPayload(st, 10, e.meta());
            st.addBatch();
          }
        });
  }

  @Override
  public void writeSnapshots(List<RawRecords.Snapshot> snapshots) throws SQLException {
    insertAll(
        "INSERT INTO \"snapshot\" (\"persistence_id\", \"sequence_number\", \"created\","
            + " \"snapshot_ser_id\", \"snapshot_ser_manifest\", \"snapshot_payload\", \"meta_ser_id\","
            + " \"meta_ser_manifest\", \"meta_payload\") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        st -> {
          for (RawRecords.Snapshot s : snapshots) {
            st.setString(1, s.persistenceId());
            st.setLong(2, s.seqNr());
            st.setLong(3, s.timestamp());
            setPayload(st, 4, s.payload());
            setPayload(st, 7, s.meta());
            st.addBatch();
          }
        });
  }

  /** Fills a statement's batch. */
  @FunctionalInterface
  private interface Rows {
    void add(PreparedStatement st) throws SQLException;
  }

  /** One statement's batch in one transaction: all of it is stored, or none. */
  private void insertAll(String sql, Rows rows) throws SQLException {
    c.setAutoCommit(false);
    try (PreparedStatement st = c.prepareStatement(sql)) {
      rows.add(st);
      st.executeBatch();
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  /** A serialized payload's three columns from {@code at}: id, manifest, bytes (null: all null). */
  private static void setPayload(PreparedStatement st, int at, RawRecords.Payload p) throws SQLException {
    if (p == null) {
      st.setNull(at, Types.INTEGER);
      st.setNull(at + 1, Types.VARCHAR);
      st.setNull(at + 2, Types.BINARY);
    } else {
      st.setInt(at, p.serializerId());
      st.setString(at + 1, p.manifest());
      st.setBytes(at + 2, p.bytes());
    }
  }

  /**
   * An id whose newest events were deleted keeps its highest sequence number as a row marked
   * deleted, as pekko-persistence-jdbc's own delete does: the primary key then refuses a second
   * writer's insert at or below it. Its payload is empty; no replay reads a deleted row, and
   * Mirror reads a slot's events only after its snapshot, which covers every deleted one.
   */
  @Override
  public void writeHighest(Map<String, Long> highest) throws SQLException {
    List<RawRecords.Event> markers = new ArrayList<>();
    for (Map.Entry<String, Long> e : highest.entrySet()) {
      if (e.getValue() > written.getOrDefault(e.getKey(), 0L)) {
        markers.add(
            new RawRecords.Event(
                e.getKey(), e.getValue(), 0, 0, "converted", "",
                new RawRecords.Payload(0, "", new byte[0]), List.of(), null));
      }
    }
    if (!markers.isEmpty()) {
      insertEvents(markers, true);
    }
  }

  @Override
  public void close() throws SQLException {
    c.close();
  }
}
