package io.keyshard.node.journal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcActionComponent.SimpleInsertActionComposer;
import slick.jdbc.JdbcBackend.JdbcDatabaseDef;
import slick.jdbc.JdbcProfile;
import slick.jdbc.RowsPerStatement;

/**
 * pekko-persistence-jdbc's journal DAO on PostgreSQL, writing a batch of events in one round
 * trip (docs/decisions/2026-12-06-postgres-journal-speed.md). The plugin's own DAO sends a JDBC
 * batch (one INSERT execution per row) inside a transaction, then COMMIT: two round trips, and
 * the commit's WAL flush waits in the second. Here the batch is one multi-row INSERT run in
 * autocommit: a single statement is atomic by itself, so every row of the batch is stored or
 * none, and its reply comes after its commit (and, with synchronous_commit on, the flush).
 *
 * <p>Same table, same columns, same values as the plugin writes (its own table mapping builds
 * the statement), so Mirror, JournalHeads and the fence see nothing new. Configured by
 * JournalConfig for PostgreSQL only.
 */
public final class PostgresJournalDao extends DefaultJournalDao {
  // pgjdbc binds at most 32767 parameters in one statement.
  private static final int MAX_PARAMETERS = Short.MAX_VALUE;

  private final SimpleInsertActionComposer<JournalPekkoSerializationRow> insert;
  private final int maxRows;

  public PostgresJournalDao(
      JdbcDatabaseDef db,
      JdbcProfile profile,
      JournalConfig journalConfig,
      Serialization serialization,
      ExecutionContext ec,
      Materializer mat) {
    super(db, profile, journalConfig, serialization, ec, mat);
    // Compiled once: the plugin's table mapping, ordering left to its sequence.
    this.insert = profile.createInsertActionExtensionMethods(profile.compileInsert(queries().JournalTable().toNode()));
    int columns = (int) insert.insertStatement().chars().filter(ch -> ch == '?').count();
    this.maxRows = MAX_PARAMETERS / columns;
  }

  @Override
  public Future<BoxedUnit> writeJournalRows(Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> xs) {
    List<Tuple2<JournalPekkoSerializationRow, Set<String>>> tagged = CollectionConverters.asJava(xs);
    List<JournalPekkoSerializationRow> rows = new ArrayList<>(tagged.size());
    for (Tuple2<JournalPekkoSerializationRow, Set<String>> row : tagged) {
      if (!row._2().isEmpty()) {
        // Tags go to a second table (Keyshard tags nothing): the plugin's transaction.
        return super.writeJournalRows(xs);
      }
      rows.add(row._1());
    }
    if (rows.isEmpty()) {
      // Every write of the batch failed to serialize: nothing to send (an INSERT of no rows is
      // not SQL), as the plugin's empty JDBC batch sent nothing.
      return Futures.successful(BoxedUnit.UNIT);
    }
    if (rows.size() > maxRows) {
      return super.writeJournalRows(xs);
    }
    // Ascending sequence numbers, as the plugin sorts them (a stable sort): the fence trigger
    // refuses a row at or below one its id already has, earlier rows of the statement included.
    rows.sort(Comparator.comparingLong(JournalPekkoSerializationRow::sequenceNumber));
    // Slick's run wants an action whose effect type is Scala's Nothing, which Java cannot name.
    @SuppressWarnings({"unchecked", "rawtypes"})
    Future<Object> stored =
        db().run((DBIOAction) insert.insertAll(CollectionConverters.asScala(rows), RowsPerStatement.All$.MODULE$));
    return stored.map(count -> BoxedUnit.UNIT, ExecutionContext.parasitic$.MODULE$);
  }
}
