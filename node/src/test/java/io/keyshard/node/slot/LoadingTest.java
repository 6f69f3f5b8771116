package io.keyshard.node.slot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * A standalone node restarted on a data directory that holds keys: while it loads them a request
 * waits for its data or gets Redis's LOADING, never TRYAGAIN and never an answer from part of
 * the data; INFO persistence says loading:1 meanwhile; afterwards every keyspace-wide command
 * sees every key (docs/decisions/2026-12-06-recovery-at-start.md).
 */
class LoadingTest {
  static final String LOADING = "LOADING Redis is loading the dataset in memory";
  private static final String RIGHT = "the right answer";

  /** The default journal (RocksDB): slots read at start serve without their entities. */
  @Test
  @Timeout(value = 600, unit = TimeUnit.SECONDS)
  void aRestartedNodeAnswersWithEveryKeyAndNeverTryAgain() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-loading");
    int strings = 30_000;
    Map<String, String> expected = new HashMap<>();
    try (TestNode node = TestNode.start(dir, Map.of());
        Jedis j = new Jedis("127.0.0.1", node.port(), 60_000)) {
      Pipeline p = j.pipelined();
      for (int i = 0; i < strings; i++) {
        p.set("key:" + i, "value:" + i);
        expected.put("key:" + i, "value:" + i);
        if (i % 1000 == 999) {
          p.sync();
        }
      }
      p.sync();
      for (int i = 0; i < 100; i++) {
        j.hset("hash:" + i, Map.of("f", "v" + i, "g", "w"));
        j.rpush("list:" + i, "a", "b", "c" + i);
        j.setex("ttl:" + i, 3600, "t" + i);
      }
      j.select(3);
      j.set("in-db3", "x");
    }
    long db0 = strings + 300;

    try (TestNode node = TestNode.start(dir, Map.of());
        Jedis j = new Jedis("127.0.0.1", node.port(), 60_000)) {
      // Asked at once: the node may still be loading, so LOADING is allowed, TRYAGAIN never.
      assertEquals(db0, (long) loaded(j::dbSize));
      assertEquals("value:12345", j.get("key:12345"));
      for (int i = 0; i < strings; i += 997) {
        assertEquals(expected.get("key:" + i), j.get("key:" + i));
      }
      assertEquals(Map.of("f", "v7", "g", "w"), j.hgetAll("hash:7"));
      assertEquals(List.of("a", "b", "c9"), j.lrange("list:9", 0, -1));
      long ttl = j.ttl("ttl:5");
      assertTrue(ttl > 3000 && ttl <= 3600, "ttl " + ttl);
      assertEquals(db0, j.keys("*").size());
      assertEquals(db0, scanAll(j).size());
      assertNotNull(j.randomKey());
      String info = j.info();
      assertTrue(info.contains("loading:0\r\n"), info);
      assertTrue(info.contains("rdb_last_load_keys_loaded:" + (db0 + 1) + "\r\n"), info);
      assertTrue(info.contains("db0:keys=" + db0 + ",expires=100,"), info);
      assertTrue(info.contains("db3:keys=1,expires=0,"), info);
      // Transactions over slots nobody touched since the start, and over every slot.
      assertEquals("OK", j.mset("{a}1", "x", "{b}2", "y", "{c}3", "z"));
      assertEquals(List.of("x", "y", "z"), j.mget("{a}1", "{b}2", "{c}3"));
      j.select(3);
      assertEquals("x", j.get("in-db3"));
      assertEquals("OK", j.flushAll());
      assertEquals(0L, j.dbSize());
      j.select(0);
      assertEquals(0L, j.dbSize());
    }
    try (TestNode node = TestNode.start(dir, Map.of());
        Jedis j = new Jedis("127.0.0.1", node.port(), 60_000)) {
      assertEquals(0L, (long) loaded(j::dbSize));
    }
  }

  /**
   * On a journal whose slots load through their entities (H2 here), one recovery at a time, the
   * load takes long enough to watch: INFO reports it, requests answer LOADING after a short wait
   * or the right answer, and nothing ever answers from part of the data.
   */
  @Test
  @Timeout(value = 600, unit = TimeUnit.SECONDS)
  void whileLoadingRequestsGetLoadingOrTheRightAnswer() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-loading-h2");
    Map<String, Object> settings =
        Map.of(
            "pekko-persistence-jdbc.shared-databases.keyshard.db.url",
            "jdbc:h2:file:" + dir.resolve("journal") + ";WRITE_DELAY=0;RETENTION_TIME=1000",
            "pekko.persistence.max-concurrent-recoveries", 1,
            "keyshard.loading-wait", "20ms");
    int keys = 1500;
    try (TestNode node = TestNode.start(dir, settings);
        Jedis j = new Jedis("127.0.0.1", node.port(), 60_000)) {
      Pipeline p = j.pipelined();
      for (int i = 0; i < keys; i++) {
        p.set("key:" + i, "value:" + i);
      }
      p.sync();
    }

    try (TestNode node = TestNode.start(dir, settings);
        Jedis j = new Jedis("127.0.0.1", node.port(), 60_000)) {
      boolean sawLoading = false;
      Set<String> answers = new HashSet<>();
      int i = 0;
      while (true) {
        String info = j.info();
        boolean loading = info.contains("loading:1\r\n");
        if (loading) {
          sawLoading = true;
          assertTrue(info.contains("loading_start_time:"), info);
          assertTrue(info.contains("loading_eta_seconds:"), info);
          // No counts from a data set half loaded.
          assertTrue(info.endsWith("# Keyspace\r\n"), info);
        }
        String key = "key:" + (i++ * 7919 % keys);
        answers.add(replyOf(() -> j.get(key), "value:" + key.substring(4)));
        answers.add(replyOf(j::ping, "PONG"));
        String size = replyOf(() -> Long.toString(j.dbSize()), Integer.toString(keys));
        answers.add(size);
        if (!loading && size.equals(RIGHT)) {
          break;
        }
      }
      assertTrue(sawLoading, "INFO never reported loading:1, answers " + answers);
      assertTrue(answers.contains(LOADING), "no request got LOADING: " + answers);
      assertEquals(keys, j.dbSize());
      assertTrue(j.info("persistence").contains("loading:0\r\n"));
    }
  }

  /** The reply, which must be {@code right} or LOADING: anything else fails the test. */
  private static String replyOf(Callable<String> call, String right) throws Exception {
    try {
      String reply = call.call();
      if (!right.equals(reply)) {
        fail("expected " + right + " or LOADING, got " + reply);
      }
      return RIGHT;
    } catch (JedisDataException e) {
      if (!e.getMessage().equals(LOADING)) {
        fail("expected " + right + " or LOADING, got -" + e.getMessage());
      }
      return LOADING;
    }
  }

  /** The answer once the node has loaded; LOADING is retried, any other error fails. */
  private static <T> T loaded(Callable<T> call) throws Exception {
    long until = System.currentTimeMillis() + 300_000;
    while (true) {
      try {
        return call.call();
      } catch (JedisDataException e) {
        if (!e.getMessage().equals(LOADING) || System.currentTimeMillis() > until) {
          throw e;
        }
      }
    }
  }

  private static List<String> scanAll(Jedis j) {
    List<String> out = new ArrayList<>();
    String cursor = ScanParams.SCAN_POINTER_START;
    do {
      ScanResult<String> r = j.scan(cursor, new ScanParams().count(500));
      out.addAll(r.getResult());
      cursor = r.getCursor();
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    return out;
  }
}
