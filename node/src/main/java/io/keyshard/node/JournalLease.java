package io.keyshard.node;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.function.Predicate;

/**
 * The right to serve a PostgreSQL journal: a session-level advisory lock held on its own
 * connection for the life of the node. Two Keyshard deployments must never write the same slots'
 * events at once, so a node that cannot take the lock refuses to start. PostgreSQL releases the
 * lock when the connection ends, so a killed node's lock is free again at once.
 * (docs/decisions/2026-11-22-postgresql-journal.md; cluster mode will make the lock the
 * cluster's, not one node's.)
 */
final class JournalLease implements AutoCloseable {
  /** The advisory lock key: "KEYSHARD" in ASCII, as a 64-bit number. */
  static final long LOCK_KEY = 0x4b45595348415244L;

  private final Connection connection;

  private JournalLease(Connection connection) {
    this.connection = connection;
  }

  /**
   * Takes the lock: exclusively for a standalone node, shared for a member of a cluster (the
   * members of one cluster share the database; a standalone node and a cluster exclude each
   * other; two clusters are not told apart yet, see the cluster-mode plan).
   */
  static JournalLease acquire(String url, String user, String password, boolean shared)
      throws SQLException {
    Connection c = DriverManager.getConnection(url, user, password);
    String fn = shared ? "pg_try_advisory_lock_shared" : "pg_try_advisory_lock";
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT " + fn + "(" + LOCK_KEY + ")")) {
      rs.next();
      if (!rs.getBoolean(1)) {
        throw new IllegalStateException(
            "Another Keyshard node or cluster is serving the journal database " + url
                + " (its advisory lock " + LOCK_KEY + " is held). Stop it first, or point"
                + " this node at another database.");
      }
      return new JournalLease(c);
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** The advisory lock a cluster's slot table holds: one cluster per database. */
  static final long CLUSTER_LOCK_KEY = LOCK_KEY + 1;

  /**
   * Takes the cluster lock, or throws with the reason. The lock's session is named after the
   * node that holds it ({@code keyshard-table <host:bus port>}). If a node that this cluster has
   * removed still holds it (frozen, or cut off, with its connection open), that session is
   * ended: the removed node may not run the table any more. Waits up to {@code patience} for
   * a holder to go away by itself.
   */
  static JournalLease acquireCluster(
      String url,
      String user,
      String password,
      String self,
      Predicate<String> removed,
      Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    try {
      Properties props = new Properties();
      props.setProperty("user", user);
      props.setProperty("password", password);
      props.setProperty("ApplicationName", "keyshard-table " + self);
      Connection c = DriverManager.getConnection(url, props);
      try {
        while (true) {
          try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery("SELECT pg_try_advisory_lock(" + CLUSTER_LOCK_KEY + ")")) {
            rs.next();
            if (rs.getBoolean(1)) {
              return new JournalLease(c);
            }
          }
          String holder = evictIfRemoved(c, removed);
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "Another Keyshard cluster is serving the journal database " + url
                    + " (its advisory lock " + CLUSTER_LOCK_KEY + " is held by " + holder
                    + "). A database holds one cluster: stop the other, or point this one at"
                    + " another database.");
          }
          Thread.sleep(500);
        }
      } catch (RuntimeException | InterruptedException e) {
        c.close();
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while taking the cluster lock", e);
        }
        throw (RuntimeException) e;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot reach the journal database: " + e.getMessage(), e);
    }
  }

  /** Names the cluster lock's holder; ends its session if it is a node this cluster removed. */
  private static String evictIfRemoved(Connection c, Predicate<String> removed)
      throws SQLException {
    String sql =
        "SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            + " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = "
            + (CLUSTER_LOCK_KEY >>> 32) + " AND l.objid = " + (CLUSTER_LOCK_KEY & 0xffffffffL);
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      if (!rs.next()) {
        return "nobody any more";
      }
      int pid = rs.getInt(1);
      String name = String.valueOf(rs.getString(2));
      String prefix = "keyshard-table ";
      if (name.startsWith(prefix) && removed.test(name.substring(prefix.length()))) {
        try (Statement kill = c.createStatement()) {
          kill.execute("SELECT pg_terminate_backend(" + pid + ")");
        }
        return name + " (removed from this cluster: its session was ended)";
      }
      return "'" + name + "'";
    }
  }

  @Override
  public void close() {
    // Released explicitly first: closing the connection releases the lock only once the server's
    // backend has exited, which under load came after a new node's try-lock on the same database.
    try (Statement st = connection.createStatement()) {
      st.execute("SELECT pg_advisory_unlock_all()");
    } catch (SQLException ignored) {
      // closing below releases it anyway
    }
    try {
      connection.close(); // ends the session, which releases the lock
    } catch (SQLException ignored) {
      // the lock goes with the connection either way
    }
  }
}
