package io.keyshard.node.slot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.NodeAndRedisTestBase;
import io.keyshard.node.testing.RawClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keys whose time passes are removed without being touched: 10,000 keys set with PX 100 and
 * never read leave DBSIZE within a few seconds, while a key with EX 100 stays. Only DBSIZE (which
 * counts stored keys, expired or not, as in Redis) and TTL of the long-lived key are asked, so
 * nothing but the active expiry cycle can remove the short-lived keys. Runs against
 * redis-server too, to show the expectation is Redis's.
 */
@Timeout(60)
class ActiveExpiryTest extends NodeAndRedisTestBase {
  private static final int KEYS = 10_000;


  private static void command(ByteArrayOutputStream out, String... args) {
    StringBuilder sb = new StringBuilder().append('*').append(args.length).append("\r\n");
    for (String a : args) {
      sb.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
    }
    out.writeBytes(sb.toString().getBytes(StandardCharsets.US_ASCII));
  }

  private static long expiredKeys(RawClient c) throws Exception {
    String info = c.call("INFO", "stats");
    for (String line : info.split("\r\n|\n")) {
      if (line.startsWith("expired_keys:")) {
        return Long.parseLong(line.substring("expired_keys:".length()).trim());
      }
    }
    throw new AssertionError("no expired_keys in INFO stats: " + info);
  }

  @ParameterizedTest
  @ValueSource(strings = {"keyshard", "redis"})
  void untouchedKeysExpireAndOthersStay(String target) throws Exception {
    int port = target.equals("keyshard") ? node.port() : redis.port();
    try (RawClient c = new RawClient(port)) {
      assertEquals("+OK", c.call("FLUSHALL"));
      assertEquals("+OK", c.call("SET", "stays", "v", "EX", "100"));
      long expiredBefore = expiredKeys(c);

      long started = System.nanoTime();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (int i = 0; i < KEYS; i++) {
        command(out, "SET", "volatile:" + i, "v", "PX", "100");
      }
      byte[] pipeline = out.toByteArray();
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(
              () -> {
                try {
                  c.sendRaw(pipeline);
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      for (int i = 0; i < KEYS; i++) {
        assertEquals("+OK", c.readReply(), target + ": reply to SET " + i);
      }
      writer.get();
      long written = System.nanoTime();
      // How many are left right away depends on the machine's speed: printed, not asserted.
      String right = c.call("DBSIZE");

      long deadline = System.currentTimeMillis() + 10_000;
      String size = right;
      while (!size.equals(":1") && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
        size = c.call("DBSIZE");
      }
      // Timings for the record only; nothing is asserted on them.
      System.out.printf("%s: %d SETs answered in %d ms, DBSIZE then %s, %s after %d ms more%n",
          target, KEYS, (written - started) / 1_000_000, right, size,
          (System.nanoTime() - written) / 1_000_000);
      assertEquals(":1", size, target + ": keys left 10 s after their time passed");
      // Every short-lived key was stored and then expired (not, say, refused or never stored).
      assertEquals(KEYS, expiredKeys(c) - expiredBefore, target + ": expired_keys grew by");
      String ttl = c.call("TTL", "stays");
      long left = Long.parseLong(ttl.substring(1));
      assertTrue(left > 0 && left <= 100, target + ": TTL of the EX 100 key is " + ttl);
      assertEquals("\"v\"", c.call("GET", "stays"));
      assertEquals(":0", c.call("EXISTS", "volatile:0", "volatile:9999"));
    }
  }
}
