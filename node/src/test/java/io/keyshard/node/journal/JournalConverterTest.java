package io.keyshard.node.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.TestNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * bin/keyshard-journal convert: a standalone node's RocksDB journal copied into PostgreSQL is
 * served by a node on PostgreSQL, which writes more; copied back into a new data directory, a
 * standalone node serves all of it. A non-empty target is refused.
 */
@Timeout(240)
class JournalConverterTest {

  @Test
  void embeddedToPostgresAndBack() throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
      try (Connection c = postgres.getPostgresDatabase().getConnection();
          Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE converted");
      }
      String url = postgres.getJdbcUrl("postgres", "converted");
      Path first = Files.createTempDirectory("keyshard-conv1");
      try (TestNode node = TestNode.start(first, Map.of());
          Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
        for (int i = 0; i < 1200; i++) {
          j.incr("counter"); // past a snapshot, so snapshots and deleted events are converted
        }
        for (int i = 0; i < 100; i++) {
          j.set("k:" + i, "v" + i);
        }
        j.zadd("z", Map.of("a", 1.0, "b", 2.0));
        j.mset("{x}1", "x", "{y}1", "y");
      }
      assertTrue(JournalTool.convert(first.toString(), url, "postgres", "") > 0);
      IllegalStateException refused =
          assertThrows(IllegalStateException.class, () -> JournalTool.convert(first.toString(), url, "postgres", ""));
      assertTrue(refused.getMessage().contains("is not empty"), refused.getMessage());

      Map<String, Object> pg = new HashMap<>();
      pg.put("keyshard.postgres.url", url);
      pg.put("keyshard.postgres.user", "postgres");
      pg.put("keyshard.postgres.password", "");
      try (TestNode node = TestNode.start(Files.createTempDirectory("keyshard-conv2"), pg);
          Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
        assertEquals("jdbc", info(j, "keyshard_journal"));
        assertEquals("1200", j.get("counter"));
        assertEquals(104, j.dbSize());
        for (int i = 0; i < 100; i++) {
          assertEquals("v" + i, j.get("k:" + i));
        }
        assertEquals(List.of("a", "b"), j.zrange("z", 0, -1));
        assertEquals(List.of("x", "y"), j.mget("{x}1", "{y}1"));
        assertEquals(1201, j.incr("counter")); // the sequence numbers continue
        j.set("from:postgres", "yes");
      }

      Path back = Files.createTempDirectory("keyshard-conv3");
      JournalTool.convert(url, back.toString(), "postgres", "");
      try (TestNode node = TestNode.start(back, Map.of());
          Jedis j = new Jedis("127.0.0.1", node.port(), 30_000)) {
        assertEquals("rocksdb", info(j, "keyshard_journal"));
        assertEquals(105, j.dbSize());
        assertEquals("1201", j.get("counter"));
        assertEquals("yes", j.get("from:postgres"));
        assertEquals("v7", j.get("k:7"));
        assertEquals(1202, j.incr("counter"));
      }
    }
  }

  private static String info(Jedis j, String field) {
    for (String line : j.info("persistence").split("\r\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1);
      }
    }
    throw new AssertionError("INFO persistence has no " + field);
  }
}
