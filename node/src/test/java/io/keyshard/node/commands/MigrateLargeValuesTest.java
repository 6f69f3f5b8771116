package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.node.testing.BinaryClient;
import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MIGRATE of large values, both ways between Keyshard and redis-server 7.0.15: a 100 MB string
 * and a hash of 1M fields. The timeout is per I/O operation (MigrateTest shows it with a slow
 * target); the wait for a RESTORE's reply includes the target's work on it, which for Keyshard
 * is journaling 100 MB, hence 10 s.
 */
class MigrateLargeValuesTest {
  private static TestNode node;
  private static RedisProcess redis;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start();
    redis = RedisProcess.start();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
    redis.close();
  }

  private static final int MB100 = 100 * 1024 * 1024;
  private static final int FIELDS = 1_000_000;

  private static void bigString(BinaryClient c) throws Exception {
    byte[] value = new byte[MB100];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) ('a' + i % 26);
    }
    assertEquals("+OK", c.call("SET", "s", value));
  }

  private static void bigHash(BinaryClient c) throws Exception {
    for (int from = 0; from < FIELDS; from += 10_000) {
      List<Object> argv = new ArrayList<>(List.of("HSET", "h"));
      for (int i = from; i < from + 10_000; i++) {
        argv.add("field:" + i);
        argv.add(Integer.toString(i));
      }
      c.call(argv.toArray());
    }
  }

  private static void check(BinaryClient to) throws Exception {
    assertEquals((long) MB100, to.call("STRLEN", "s"));
    StringBuilder expected = new StringBuilder();
    for (int i = 100_000_018; i <= 100_000_027; i++) {
      expected.append((char) ('a' + i % 26));
    }
    assertEquals("\"" + expected + "\"", BinaryClient.show(to.call("GETRANGE", "s", "100000018", "100000027")));
    assertEquals((long) FIELDS, to.call("HLEN", "h"));
    assertEquals("\"999999\"", BinaryClient.show(to.call("HGET", "h", "field:999999")));
  }

  private static void moveBoth(BinaryClient from, int toPort) throws Exception {
    for (String key : Arrays.asList("s", "h")) {
      long start = System.nanoTime();
      assertEquals("+OK", from.call("MIGRATE", "127.0.0.1", Integer.toString(toPort), key, "0", "10000"), key);
      // Printed, never asserted: for the decision note.
      System.out.printf("MIGRATE %s to port %d: %d ms%n", key, toPort, (System.nanoTime() - start) / 1_000_000);
      assertEquals(0L, from.call("EXISTS", key), key);
    }
  }

  @Test
  void keyshardToRedisAndBack() throws Exception {
    try (BinaryClient ks = new BinaryClient(node.port());
        BinaryClient rd = new BinaryClient(redis.port())) {
      bigString(ks);
      bigHash(ks);
      moveBoth(ks, redis.port());
      check(rd);
      moveBoth(rd, node.port());
      check(ks);
    }
  }
}
