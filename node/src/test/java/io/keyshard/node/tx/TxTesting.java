package io.keyshard.node.tx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.protocol.Slots;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/** Helpers shared by the transaction tests. */
final class TxTesting {
  private TxTesting() {}

  static int slot(String key) {
    return Slots.slot(key.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * {@code n} hash tags ("{prefix0}", "{prefix1}", ...) whose slots all differ, so keys built on
   * them land in {@code n} distinct slots.
   */
  static List<String> tagsInDistinctSlots(String prefix, int n) {
    List<String> tags = new ArrayList<>();
    Set<Integer> slots = new HashSet<>();
    for (int i = 0; tags.size() < n; i++) {
      String tag = "{" + prefix + i + "}";
      if (slots.add(slot(tag))) {
        tags.add(tag);
      }
    }
    return tags;
  }

  /** Plain keys (no hash tag) in {@code n} distinct slots. */
  static List<String> keysInDistinctSlots(String prefix, int n) {
    List<String> keys = new ArrayList<>();
    Set<Integer> slots = new HashSet<>();
    for (int i = 0; keys.size() < n; i++) {
      String key = prefix + ":" + i;
      if (slots.add(slot(key))) {
        keys.add(key);
      }
    }
    assertEquals(n, keys.stream().map(TxTesting::slot).distinct().count(), "keys must span " + n + " slots");
    return keys;
  }

  /**
   * A Jedis connection with a socket timeout well above the node's request timeout, so a slow
   * reply on two busy cores shows up as the node's TRYAGAIN rather than a client timeout.
   */
  static Jedis jedis(int port) {
    return new Jedis(
        new HostAndPort("127.0.0.1", port),
        DefaultJedisClientConfig.builder().socketTimeoutMillis(60_000).build());
  }

  /** Runs the tasks on their own threads and rethrows the first failure. */
  static <T> List<T> runAll(List<Callable<T>> tasks, long timeoutSeconds) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> t : tasks) {
        futures.add(pool.submit(t));
      }
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) {
        out.add(f.get(timeoutSeconds, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}
