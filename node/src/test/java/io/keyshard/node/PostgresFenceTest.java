package io.keyshard.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.keyshard.node.journal.JdbcEngine;
import io.keyshard.node.journal.JournalFence;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fence through Pekko, on pekko-persistence-jdbc and a real PostgreSQL: an old incarnation
 * of a persistent actor, paused while a second one wrote and trimmed the journal, has its next
 * persist refused; without the fence it landed in the deleted range.
 */
@Timeout(120)
class PostgresFenceTest {

  /** Persists a string per {@code "persist"} message, deletes on {@code Long}; answers the sender. */
  static final class Writer extends AbstractPersistentActor {
    private ActorRef replyTo;

    @Override
    public String persistenceId() {
      return "slot-42";
    }

    @Override
    public Receive createReceiveRecover() {
      return receiveBuilder().matchAny(m -> {}).build();
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(String.class, e -> persist(e, p -> getSender().tell("ok:" + lastSequenceNr(), getSelf())))
          .match(Long.class, to -> {
            replyTo = getSender();
            deleteMessages(to);
          })
          .match(DeleteMessagesSuccess.class, d -> replyTo.tell("deleted:" + d.toSequenceNr(), getSelf()))
          .match(DeleteMessagesFailure.class, d -> replyTo.tell("delete failed: " + d.cause(), getSelf()))
          .build();
    }

    @Override
    public void onPersistFailure(Throwable cause, Object event, long seqNr) {
      String state = "";
      for (Throwable t = cause; t != null; t = t.getCause()) {
        if (t instanceof SQLException s) {
          state = s.getSQLState();
        }
      }
      getSender().tell("failed:" + seqNr + ":" + state, getSelf());
      super.onPersistFailure(cause, event, seqNr);
    }
  }

  private static Object ask(ActorRef to, Object message) throws Exception {
    return Patterns.ask(to, message, Duration.ofSeconds(20)).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aPausedOldIncarnationCannotPersistIntoATrimmedRange() throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      String url = pg.getJdbcUrl("postgres", "postgres");
      Config config =
          JournalConfig.derive(
              ConfigFactory.parseMap(
                      Map.of(
                          "keyshard.postgres.url", url,
                          "keyshard.postgres.user", "postgres",
                          "keyshard.postgres.password", "",
                          "pekko.actor.provider", "local"))
                  .withFallback(ConfigFactory.load()),
              Files.createTempDirectory("keyshard-fence"));
      ActorSystem old = ActorSystem.create("old", config);
      ActorSystem current = ActorSystem.create("current", config);
      try {
        SchemaUtils.createIfNotExists(JdbcEngine.SCHEMA, old).toCompletableFuture().get(30, TimeUnit.SECONDS);
        try (Connection c =
            DriverManager.getConnection(
                config.getString(JdbcEngine.DB + ".url"), "postgres", "")) {
          JournalFence.install(c);
        }
        ActorRef first = old.actorOf(Props.create(Writer.class));
        for (int i = 1; i <= 5; i++) {
          assertEquals("ok:" + i, ask(first, "e" + i));
        }
        // The old owner pauses; a new one recovers (highest 5), writes and trims.
        ActorRef second = current.actorOf(Props.create(Writer.class));
        for (int i = 6; i <= 10; i++) {
          assertEquals("ok:" + i, ask(second, "e" + i));
        }
        assertEquals("deleted:9", ask(second, 9L));

        // The old owner wakes and writes 6: its row was deleted, the key would let it in.
        Object refused = ask(first, "stale");
        assertTrue(refused.equals("failed:6:23505"), String.valueOf(refused));
        assertEquals("ok:11", ask(second, "e11"), "the current owner goes on");
      } finally {
        old.terminate();
        current.terminate();
        old.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        current.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * One clock for the cluster (the point-in-time backup's): every event row's write_timestamp and
   * snapshot row's created is the database's time at insert, whatever the writer sent; a
   * session that copies rows with their times (the converter) keeps them.
   */
  @Test
  void rowsTakeTheDatabasesClockUnlessASessionKeepsItsTimes() throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      String url = pg.getJdbcUrl("postgres", "postgres");
      Config config =
          JournalConfig.derive(
              ConfigFactory.parseMap(
                      Map.of(
                          "keyshard.postgres.url", url,
                          "keyshard.postgres.user", "postgres",
                          "keyshard.postgres.password", "",
                          "pekko.actor.provider", "local"))
                  .withFallback(ConfigFactory.load()),
              Files.createTempDirectory("keyshard-clock"));
      ActorSystem system = ActorSystem.create("clock", config);
      try {
        SchemaUtils.createIfNotExists(JdbcEngine.SCHEMA, system).toCompletableFuture().get(30, TimeUnit.SECONDS);
      } finally {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      try (Connection c = DriverManager.getConnection(config.getString(JdbcEngine.DB + ".url"), "postgres", "")) {
        JournalFence.install(c);
        String event =
            "INSERT INTO event_journal (persistence_id, sequence_number, deleted, writer, write_timestamp,"
                + " adapter_manifest, event_ser_id, event_ser_manifest, event_payload) VALUES (?, ?, false, 'w', 7, '', 1, 'E', ?)";
        String snapshot =
            "INSERT INTO snapshot (persistence_id, sequence_number, created, snapshot_ser_id,"
                + " snapshot_ser_manifest, snapshot_payload) VALUES (?, 1, 7, 1, 'S', ?)";
        long before = dbNow(c);
        insert(c, event, "slot-1", 1);
        insert(c, snapshot, "slot-1", -1);
        long after = dbNow(c);
        long written = single(c, "SELECT write_timestamp FROM event_journal WHERE persistence_id = 'slot-1'");
        long created = single(c, "SELECT created FROM snapshot WHERE persistence_id = 'slot-1'");
        assertTrue(written >= before && written <= after, before + " <= " + written + " <= " + after);
        assertTrue(created >= before && created <= after, before + " <= " + created + " <= " + after);
        try (java.sql.Statement st = c.createStatement()) {
          st.execute("SET keyshard.keep_times = 'on'");
        }
        insert(c, event, "slot-2", 1);
        insert(c, snapshot, "slot-2", -1);
        assertEquals(7, single(c, "SELECT write_timestamp FROM event_journal WHERE persistence_id = 'slot-2'"));
        assertEquals(7, single(c, "SELECT created FROM snapshot WHERE persistence_id = 'slot-2'"));
      }
    }
  }

  private static void insert(Connection c, String sql, String id, long seqNr) throws Exception {
    try (java.sql.PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, id);
      if (seqNr > 0) {
        st.setLong(2, seqNr);
        st.setBytes(3, new byte[] {1});
      } else {
        st.setBytes(2, new byte[] {1});
      }
      st.executeUpdate();
    }
  }

  private static long single(Connection c, String sql) throws Exception {
    try (java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery(sql)) {
      assertTrue(rs.next(), sql);
      return rs.getLong(1);
    }
  }

  private static long dbNow(Connection c) throws Exception {
    return single(c, "SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint");
  }
}
