package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The one query for the journal heads of the slots a node gains, on a real PostgreSQL: a
 * recovery that asks before the query has run gets a head to wait for, each head is handed out
 * once, and a slot without events gets none (its recovery asks the journal).
 */
@Timeout(120)
class JournalHeadsTest {
  @Test
  void headsAreHandedOutOnceAndRecoveriesMayAskBeforeTheQueryRan() throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      try (Connection c = pg.getPostgresDatabase().getConnection();
          Statement st = c.createStatement()) {
        st.execute(
            "CREATE TABLE event_journal (persistence_id VARCHAR(255) NOT NULL,"
                + " sequence_number BIGINT NOT NULL, PRIMARY KEY (persistence_id, sequence_number))");
        st.execute("INSERT INTO event_journal SELECT 'slot-1', g FROM generate_series(1, 5) g");
        st.execute("INSERT INTO event_journal SELECT 'slot-2', g FROM generate_series(1, 3) g");
        st.execute("INSERT INTO event_journal SELECT 'slot-20', g FROM generate_series(1, 9) g");
      }
      JournalHeads heads = new JournalHeads();
      assertNull(heads.take("slot-1"), "nothing was asked yet");

      // The query runs only when the test lets it: recoveries may ask for heads meanwhile.
      List<Runnable> held = new ArrayList<>();
      CompletableFuture<List<Integer>> nonEmpty =
          heads.prefetch(pg.getJdbcUrl("postgres", "postgres"), "postgres", "", List.of(1, 2, 3), held::add);
      CompletableFuture<Long> one = heads.take("slot-1");
      assertNotNull(one);
      assertFalse(one.isDone(), "the query has not run yet");
      assertNull(heads.take("slot-1"), "a head is handed out once");
      assertNull(heads.take("slot-20"), "not a gained slot");

      assertEquals(1, held.size());
      held.get(0).run();
      assertEquals(List.of(1, 2), nonEmpty.get(10, TimeUnit.SECONDS).stream().sorted().toList());
      assertEquals(5L, one.get(10, TimeUnit.SECONDS));
      assertEquals(3L, heads.take("slot-2").get(10, TimeUnit.SECONDS));
      assertNull(heads.take("slot-3").get(10, TimeUnit.SECONDS), "no event: the recovery asks the journal");
    }
  }
}
