package io.keyshard.node.journal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The second-writer fence of pekko-persistence-jdbc's journal on PostgreSQL: a trigger that
 * refuses an event row at or below the highest sequence number its persistence id has in the
 * table. The primary key alone refuses only a collision with a row that still exists; once a
 * slot trims its journal, an old owner that wakes up could write into the deleted range.
 * pekko-persistence-jdbc's delete keeps each id's highest row (marked deleted), so the highest
 * number ever written is always in the table. See docs/decisions/2026-12-06-postgres-fence.md.
 *
 * <p>The refusal is SQLSTATE 23505 (unique_violation), what a key collision raises, so the
 * journal plugin and JournalHealth treat it exactly as they treated the collision before.
 */
public final class JournalFence {
  /** Serializes the installs of nodes that start at once (catalog updates would conflict). */
  private static final long INSTALL_LOCK = 0x4b53_4645_4e43_45L; // "KSFENCE"

  // VOLATILE (plpgsql's default) matters: only a volatile function's queries see the rows that
  // earlier rows of the same INSERT statement wrote, so a batch 5, 6, 7 of one id passes and a
  // batch whose rows repeat or go down is refused. pekko-persistence-jdbc sorts a batch's rows
  // by sequence number (JournalQueries.writeJournalRows), so each id's rows come ascending.
  // The query is one probe of the primary key's index (persistence_id, sequence_number).
  /**
   * One clock for the whole cluster (docs/decisions/2026-12-07-point-in-time.md): every row's
   * time is the database's as it is inserted, not the writing node's (pekko-persistence-jdbc
   * stamps rows with the JVM's clock). A session that copies rows with their own times (the
   * journal converter) sets {@code keyshard.keep_times = on}.
   */
  static final String STAMP =
      "  IF coalesce(current_setting('keyshard.keep_times', true), '') <> 'on' THEN\n"
          + "    NEW.%column% := (extract(epoch from clock_timestamp()) * 1000)::bigint;\n"
          + "  END IF;\n";

  static final String FUNCTION =
      "CREATE OR REPLACE FUNCTION keyshard_journal_fence() RETURNS trigger LANGUAGE plpgsql"
          + " VOLATILE AS $fence$\n"
          + "BEGIN\n"
          + "  IF EXISTS (SELECT 1 FROM event_journal j WHERE j.persistence_id = NEW.persistence_id"
          + " AND j.sequence_number >= NEW.sequence_number) THEN\n"
          + "    RAISE EXCEPTION USING ERRCODE = 'unique_violation',\n"
          + "      MESSAGE = format('duplicate key value violates the journal fence: %s already has"
          + " sequence number %s or higher (a second writer, or a write into a deleted range)',"
          + " NEW.persistence_id, NEW.sequence_number);\n"
          + "  END IF;\n"
          + STAMP.replace("%column%", "write_timestamp")
          + "  RETURN NEW;\n"
          + "END\n"
          + "$fence$";

  /** The same clock for snapshot rows' {@code created}. */
  static final String SNAPSHOT_FUNCTION =
      "CREATE OR REPLACE FUNCTION keyshard_snapshot_clock() RETURNS trigger LANGUAGE plpgsql"
          + " VOLATILE AS $clock$\n"
          + "BEGIN\n"
          + STAMP.replace("%column%", "created")
          + "  RETURN NEW;\n"
          + "END\n"
          + "$clock$";

  static final String SNAPSHOT_TRIGGER =
      "DO $install$ BEGIN\n"
          + "  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'keyshard_snapshot_clock'"
          + " AND tgrelid = 'snapshot'::regclass) THEN\n"
          + "    CREATE TRIGGER keyshard_snapshot_clock BEFORE INSERT OR UPDATE ON snapshot"
          + " FOR EACH ROW EXECUTE FUNCTION keyshard_snapshot_clock();\n"
          + "  END IF;\n"
          + "END $install$";

  // CREATE OR REPLACE TRIGGER needs PostgreSQL 14; a user's server may be older.
  static final String TRIGGER =
      "DO $install$ BEGIN\n"
          + "  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'keyshard_journal_fence'"
          + " AND tgrelid = 'event_journal'::regclass) THEN\n"
          + "    CREATE TRIGGER keyshard_journal_fence BEFORE INSERT ON event_journal"
          + " FOR EACH ROW EXECUTE FUNCTION keyshard_journal_fence();\n"
          + "  END IF;\n"
          + "END $install$";

  private JournalFence() {}

  /**
   * Creates or updates the fence on a PostgreSQL journal whose tables exist; idempotent, so a
   * database made before the fence gets it on the next start. Other databases are left alone:
   * H2 serves one process (its file lock), whose node owns every slot.
   */
  public static void install(Connection c) throws SQLException {
    if (!"PostgreSQL".equals(c.getMetaData().getDatabaseProductName())) {
      return;
    }
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute("SELECT pg_advisory_xact_lock(" + INSTALL_LOCK + ")");
      st.execute(FUNCTION);
      st.execute(TRIGGER);
      st.execute(SNAPSHOT_FUNCTION);
      st.execute(SNAPSHOT_TRIGGER);
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }
}
