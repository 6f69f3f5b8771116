package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.NodeAndRedisTestBase;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.support.caching.CacheAccessor;
import io.lettuce.core.support.caching.CacheFrontend;
import io.lettuce.core.support.caching.ClientSideCaching;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Lettuce's client-side caching (ClientSideCaching, CacheFrontend over RESP3 CLIENT TRACKING)
 * on a Keyshard node, and the same steps on redis-server 7.0.15 to show the test asks nothing
 * Redis does not do: a value read is cached, another connection's write, delete or expiry
 * drops it from the local cache, and the next read fetches the new value.
 */
class ClientTrackingLettuceTest extends NodeAndRedisTestBase {

  @Test
  void cacheFrontendOnKeyshard() throws Exception {
    cacheFollowsWrites(node.port());
  }

  @Test
  void cacheFrontendOnRedis() throws Exception {
    cacheFollowsWrites(redis.port());
  }

  private static void cacheFollowsWrites(int port) throws Exception {
    RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", port));
    try (StatefulRedisConnection<String, String> cached = client.connect();
        StatefulRedisConnection<String, String> writer = client.connect()) {
      RedisCommands<String, String> w = writer.sync();
      Map<String, String> local = new ConcurrentHashMap<>();
      CacheFrontend<String, String> frontend =
          ClientSideCaching.enable(CacheAccessor.forMap(local), cached, TrackingArgs.Builder.enabled());

      w.set("user:1", "ada");
      w.set("user:2", "grace");
      assertEquals("ada", frontend.get("user:1"));
      assertEquals("grace", frontend.get("user:2"));
      assertEquals(Map.of("user:1", "ada", "user:2", "grace"), local);

      // Served from the local cache, not the server: a value put behind the front end's back
      // is what it answers.
      local.put("user:2", "cached-copy");
      assertEquals("cached-copy", frontend.get("user:2"));

      w.set("user:1", "lovelace");
      await(() -> !local.containsKey("user:1"), "SET invalidates user:1");
      assertEquals("cached-copy", local.get("user:2"), "user:2 was not written");
      assertEquals("lovelace", frontend.get("user:1"));

      w.del("user:2");
      await(() -> !local.containsKey("user:2"), "DEL invalidates user:2");
      assertNull(frontend.get("user:2"));

      w.set("session", "s", io.lettuce.core.SetArgs.Builder.px(100));
      assertEquals("s", frontend.get("session"));
      assertTrue(local.containsKey("session"));
      await(() -> !local.containsKey("session"), "expiry invalidates session");
      assertFalse(w.exists("session") > 0);

      frontend.close();
    } finally {
      client.shutdown();
    }
  }

  private static void await(BooleanSupplier done, String what) throws InterruptedException {
    long end = System.currentTimeMillis() + 5_000;
    while (!done.getAsBoolean()) {
      if (System.currentTimeMillis() > end) {
        throw new AssertionError("not within 5 s: " + what);
      }
      Thread.sleep(10);
    }
  }
}
