package io.keyshard.node.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.node.testing.RedisProcess;
import io.keyshard.node.testing.TestNode;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.CopyArgs;
import io.lettuce.core.ExpireArgs;
import io.lettuce.core.GetExArgs;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.args.ExpiryOption;
import redis.clients.jedis.params.GetExParams;
import redis.clients.jedis.params.LCSParams;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Jedis and Lettuce (sync and async), over RESP2 and RESP3, do a round of string, key and
 * expiry commands, and move binary values (every byte value, 5 MB). Each case runs against
 * redis-server too, so the expectations are checked against the reference.
 */
@Timeout(60)
class ClientsTest {
  private static RedisProcess redis;
  private static TestNode node;
  private static ClientResources resources;

  @BeforeAll
  static void start() throws Exception {
    redis = RedisProcess.start();
    node = TestNode.start();
    resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
        .build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (resources != null) {
      resources.shutdown(0, 2, TimeUnit.SECONDS).get();
    }
    if (node != null) {
      node.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  static int port(String target) {
    return target.equals("keyshard") ? node.port() : redis.port();
  }

  static Stream<Arguments> targetsAndProtocols() {
    return Stream.of(
        Arguments.of("keyshard", 2), Arguments.of("keyshard", 3),
        Arguments.of("redis", 2), Arguments.of("redis", 3));
  }

  static void near(long expected, long actual, long tolerance, String what) {
    assertTrue(Math.abs(expected - actual) <= tolerance,
        what + ": expected about " + expected + " but was " + actual);
  }

  // ---------------------------------------------------------------- Jedis

  static Jedis jedis(String target, int protocol) {
    return new Jedis(
        new HostAndPort("127.0.0.1", port(target)),
        DefaultJedisClientConfig.builder()
            .protocol(protocol == 3 ? RedisProtocol.RESP3 : RedisProtocol.RESP2)
            .socketTimeoutMillis(20_000)
            .build());
  }

  @ParameterizedTest(name = "{0} RESP{1}")
  @MethodSource("targetsAndProtocols")
  void jedisStringsKeysExpiry(String target, int protocol) throws Exception {
    try (Jedis j = jedis(target, protocol)) {
      assertEquals("OK", j.flushAll());
      assertEquals("PONG", j.ping());
      assertEquals("OK", j.set("s", "v"));
      assertEquals("v", j.get("s"));
      assertEquals("v", j.setGet("s", "w"));
      assertNull(j.set("s", "x", SetParams.setParams().nx()));
      assertEquals("OK", j.set("s", "x", SetParams.setParams().xx().ex(100)));
      near(100, j.ttl("s"), 1, "TTL after SET EX");
      assertEquals("OK", j.set("s", "y", SetParams.setParams().keepTtl()));
      near(100_000, j.pttl("s"), 1_000, "PTTL after KEEPTTL");
      assertNull(j.get("missing"));
      assertEquals(1, j.setnx("n", "1"));
      assertEquals(0, j.setnx("n", "2"));
      assertEquals("OK", j.setex("e", 100, "v"));
      assertEquals("OK", j.psetex("p", 100_000, "v"));
      near(100, j.ttl("p"), 1, "TTL after PSETEX");
      assertEquals("v", j.getSet("e", "w"));
      assertEquals(-1, j.ttl("e"));
      assertEquals("w", j.getDel("e"));
      assertFalse(j.exists("e"));
      assertEquals("v", j.getEx("p", GetExParams.getExParams().persist()));
      assertEquals(-1, j.ttl("p"));
      assertEquals("v", j.getEx("p", GetExParams.getExParams().px(50_000)));
      near(50, j.ttl("p"), 1, "TTL after GETEX PX");

      // Multi-key commands, across slots and in one slot.
      assertEquals("OK", j.mset("a", "1", "b", "2", "c", "3"));
      assertEquals(Arrays.asList("1", "2", null, "3"), j.mget("a", "b", "nope", "c"));
      assertEquals(1, j.msetnx("{t}a", "x", "{t}b", "y"));
      assertEquals(0, j.msetnx("{t}b", "z", "{t}c", "w"));
      assertEquals(3, j.exists("a", "b", "c", "nope"));
      assertEquals(2, j.touch("a", "b", "nope"));

      // Counters and ranges.
      assertEquals(2, j.incr("a"));
      assertEquals(12, j.incrBy("a", 10));
      assertEquals(11, j.decr("a"));
      assertEquals(1, j.decrBy("a", 10));
      assertEquals(3.5, j.incrByFloat("f", 3.5));
      assertEquals(4.0, j.incrByFloat("f", 0.5));
      assertEquals("4", j.get("f"));
      assertEquals(11, j.append("h", "Hello World"));
      assertEquals(11, j.strlen("h"));
      assertEquals("World", j.getrange("h", -5, -1));
      assertEquals(11, j.setrange("h", 6, "Redis"));
      assertEquals("Hello Redis", j.get("h"));
      j.mset("{t}x", "ohmytext", "{t}y", "mynewtext");
      assertEquals("mytext", j.lcs("{t}x", "{t}y", LCSParams.LCSParams()).getMatchString());
      assertEquals(6, j.lcs("{t}x", "{t}y", LCSParams.LCSParams().len()).getLen());
      assertEquals(2, j.lcs("{t}x", "{t}y", LCSParams.LCSParams().idx().withMatchLen())
          .getMatches().size());

      // Keys and expiry.
      assertEquals("string", j.type("h"));
      assertEquals("none", j.type("nope"));
      assertEquals(1, j.expire("h", 100));
      assertEquals(0, j.expire("h", 200, ExpiryOption.NX));
      assertEquals(1, j.expire("h", 50, ExpiryOption.LT));
      near(50, j.ttl("h"), 1, "TTL after EXPIRE LT");
      near(System.currentTimeMillis() / 1000 + 50, j.expireTime("h"), 2, "EXPIRETIME");
      assertEquals(1, j.pexpireAt("h", 4_102_444_800_000L));
      assertEquals(4_102_444_800_000L, j.pexpireTime("h"));
      assertEquals(1, j.persist("h"));
      assertEquals(-1, j.ttl("h"));
      assertEquals(-2, j.ttl("nope"));
      assertEquals("OK", j.rename("{t}a", "{t}r"));
      assertEquals(0, j.renamenx("{t}b", "{t}r"));
      assertTrue(j.copy("{t}r", "{t}copy", false));
      assertFalse(j.copy("{t}r", "{t}copy", false));
      assertTrue(j.copy("{t}r", "{t}copy", true));
      assertEquals("x", j.get("{t}copy"));
      assertEquals("embstr", j.objectEncoding("{t}copy"));
      assertEquals("int", j.objectEncoding("n"));
      assertEquals(Set.of("{t}b", "{t}copy", "{t}r", "{t}x", "{t}y"), j.keys("{t}*"));
      Set<String> scanned = new TreeSet<>();
      String cursor = ScanParams.SCAN_POINTER_START;
      do {
        ScanResult<String> page = j.scan(cursor, new ScanParams().match("{t}*").count(2));
        scanned.addAll(page.getResult());
        cursor = page.getCursor();
      } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
      assertEquals(Set.of("{t}b", "{t}copy", "{t}r", "{t}x", "{t}y"), scanned);
      assertTrue(j.exists(j.randomKey()));
      assertEquals(2, j.del("{t}copy", "a", "nope"));
      assertEquals(1, j.unlink("b", "nope"));
      long size = j.dbSize();
      assertEquals(j.keys("*").size(), size);

      // A key set with a short time to live is gone once it has passed.
      assertEquals("OK", j.set("short", "v", SetParams.setParams().px(150)));
      Thread.sleep(300);
      assertNull(j.get("short"));
      assertEquals(0, j.exists("short", "short"));
      assertEquals(size, j.dbSize());
    }
  }

  // ---------------------------------------------------------------- Lettuce

  static RedisClient lettuce(String target, int protocol) {
    RedisClient client =
        RedisClient.create(resources, RedisURI.create("127.0.0.1", port(target)));
    client.setOptions(
        ClientOptions.builder()
            .protocolVersion(protocol == 3 ? ProtocolVersion.RESP3 : ProtocolVersion.RESP2)
            .build());
    client.setDefaultTimeout(Duration.ofSeconds(20));
    return client;
  }

  @ParameterizedTest(name = "{0} RESP{1}")
  @MethodSource("targetsAndProtocols")
  void lettuceSync(String target, int protocol) throws Exception {
    RedisClient client = lettuce(target, protocol);
    try (StatefulRedisConnection<String, String> conn = client.connect()) {
      RedisCommands<String, String> r = conn.sync();
      assertEquals("OK", r.flushall());
      assertEquals("OK", r.set("s", "v", SetArgs.Builder.ex(100)));
      assertEquals("v", r.get("s"));
      near(100, r.ttl("s"), 1, "TTL after SET EX");
      assertNull(r.set("s", "w", SetArgs.Builder.nx()));
      assertEquals("v", r.setGet("s", "w"));
      assertEquals(-1L, r.ttl("s"));
      assertEquals("OK", r.mset(Map.of("a", "1", "b", "2", "c", "3")));
      List<String> got = new ArrayList<>();
      r.mget("a", "nope", "c").forEach(kv -> got.add(kv.getValueOrElse(null)));
      assertEquals(Arrays.asList("1", null, "3"), got);
      assertTrue(r.msetnx(Map.of("{t}a", "1", "{t}b", "2")));
      assertFalse(r.msetnx(Map.of("{t}b", "3", "{t}c", "4")));
      assertEquals(3L, r.exists("a", "b", "c"));
      assertEquals(5L, r.incrby("a", 4));
      assertEquals(4L, r.decr("a"));
      assertEquals(1.5, r.incrbyfloat("f", 1.5));
      assertEquals(5L, r.append("h", "Hello"));
      assertEquals("ell", r.getrange("h", 1, 3));
      assertEquals(7L, r.setrange("h", 5, "!!"));
      assertEquals(7L, r.strlen("h"));
      r.mset(Map.of("{t}x", "ohmytext", "{t}y", "mynewtext"));
      assertEquals("w", r.getex("s", GetExArgs.Builder.px(60_000)));
      near(60_000, r.pttl("s"), 1_000, "PTTL after GETEX");
      assertEquals("w", r.getdel("s"));
      assertTrue(r.expire("h", 100));
      assertFalse(r.expire("h", 200, ExpireArgs.Builder.nx()));
      assertTrue(r.expire("h", 300, ExpireArgs.Builder.gt()));
      near(300, r.ttl("h"), 1, "TTL after EXPIRE GT");
      assertTrue(r.pexpireat("h", 4_102_444_800_000L));
      assertEquals(4_102_444_800_000L, r.pexpiretime("h"));
      assertEquals(4_102_444_800L, r.expiretime("h"));
      assertTrue(r.persist("h"));
      assertEquals("string", r.type("h"));
      assertEquals("OK", r.rename("{t}a", "{t}r"));
      assertFalse(r.renamenx("{t}b", "{t}r"));
      assertTrue(r.copy("{t}r", "{t}c2", CopyArgs.Builder.replace(true)));
      assertEquals("raw", r.objectEncoding("h"));
      assertEquals("int", r.objectEncoding("{t}c2"));
      Set<String> scanned = new TreeSet<>();
      KeyScanCursor<String> page = r.scan(ScanArgs.Builder.matches("{t}*").limit(2));
      scanned.addAll(page.getKeys());
      while (!page.isFinished()) {
        page = r.scan(page, ScanArgs.Builder.matches("{t}*").limit(2));
        scanned.addAll(page.getKeys());
      }
      assertEquals(new TreeSet<>(r.keys("{t}*")), scanned);
      assertEquals(Set.of("{t}b", "{t}c2", "{t}r", "{t}x", "{t}y"), scanned);
      assertEquals(1L, r.exists(r.randomkey()));
      assertEquals(3L, r.del("a", "b", "{t}c2", "nope"));
      assertEquals(1L, r.unlink("c"));
      assertEquals((long) r.keys("*").size(), r.dbsize());
      assertEquals("OK", r.psetex("short", 150, "v"));
      Thread.sleep(300);
      assertNull(r.get("short"));
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  @ParameterizedTest(name = "{0} RESP{1}")
  @MethodSource("targetsAndProtocols")
  void lettuceAsyncPipelined(String target, int protocol) throws Exception {
    RedisClient client = lettuce(target, protocol);
    try (StatefulRedisConnection<String, String> conn = client.connect()) {
      RedisAsyncCommands<String, String> r = conn.async();
      assertEquals("OK", r.flushall().get(20, TimeUnit.SECONDS));
      // Sent back to back without waiting: Lettuce pipelines them on the one connection.
      List<RedisFuture<?>> futures = new ArrayList<>();
      List<Object> expected = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        futures.add(r.set("k" + i, "v" + i));
        expected.add("OK");
        futures.add(r.get("k" + i));
        expected.add("v" + i);
        futures.add(r.incr("counter"));
        expected.add((long) i + 1);
        futures.add(r.expire("k" + i, 1000));
        expected.add(Boolean.TRUE);
        futures.add(r.exists("k" + i, "counter", "nope"));
        expected.add(2L);
      }
      futures.add(r.mset(Map.of("x", "1", "y", "2", "z", "3")));
      expected.add("OK");
      futures.add(r.del("x", "y", "z", "nope"));
      expected.add(3L);
      futures.add(r.dbsize());
      expected.add(501L);
      for (int i = 0; i < futures.size(); i++) {
        assertEquals(expected.get(i), futures.get(i).get(20, TimeUnit.SECONDS), "reply " + i);
      }
      near(1000, r.ttl("k499").get(20, TimeUnit.SECONDS), 1, "TTL after pipelined EXPIRE");
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  // ---------------------------------------------------------------- binary values

  static byte[] allByteValues() {
    byte[] b = new byte[256];
    for (int i = 0; i < 256; i++) {
      b[i] = (byte) i;
    }
    return b;
  }

  static byte[] fiveMegabytes() {
    byte[] b = new byte[5 * 1024 * 1024];
    new Random(42).nextBytes(b);
    return b;
  }

  @ParameterizedTest
  @ValueSource(strings = {"keyshard", "redis"})
  void jedisBinarySafe(String target) throws Exception {
    byte[] all = allByteValues();
    byte[] big = fiveMegabytes();
    try (Jedis j = jedis(target, 2)) {
      j.flushAll();
      assertEquals("OK", j.set(all, all));
      assertArrayEquals(all, j.get(all));
      assertEquals(256, j.strlen(all));
      assertArrayEquals(Arrays.copyOfRange(all, 250, 256), j.getrange(all, -6, -1));
      assertEquals(512, j.append(all, all));
      byte[] twice = new byte[512];
      System.arraycopy(all, 0, twice, 0, 256);
      System.arraycopy(all, 0, twice, 256, 256);
      assertArrayEquals(twice, j.get(all));
      assertTrue(
          j.keys("*".getBytes(StandardCharsets.US_ASCII)).stream().anyMatch(k -> Arrays.equals(k, all)),
          "KEYS lists the all-bytes key");
      assertEquals("OK", j.set("big".getBytes(StandardCharsets.US_ASCII), big));
      assertArrayEquals(big, j.get("big".getBytes(StandardCharsets.US_ASCII)));
      assertEquals(big.length, j.strlen("big".getBytes(StandardCharsets.US_ASCII)));
      byte[] zero = {0};
      byte[] crlf = "\r\n".getBytes(StandardCharsets.US_ASCII);
      assertEquals("OK", j.mset(zero, crlf, crlf, zero));
      List<byte[]> both = j.mget(zero, crlf);
      assertArrayEquals(crlf, both.get(0));
      assertArrayEquals(zero, both.get(1));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"keyshard", "redis"})
  void lettuceBinarySafe(String target) throws Exception {
    byte[] all = allByteValues();
    byte[] big = fiveMegabytes();
    RedisClient client = lettuce(target, 3);
    try (StatefulRedisConnection<byte[], byte[]> conn = client.connect(ByteArrayCodec.INSTANCE)) {
      RedisCommands<byte[], byte[]> r = conn.sync();
      r.flushall();
      assertEquals("OK", r.set(all, all));
      assertArrayEquals(all, r.get(all));
      assertEquals("OK", r.set(big, big));
      assertArrayEquals(big, r.get(big));
      assertEquals((long) big.length, r.strlen(big));
      assertEquals(1L, r.exists(big));
      assertEquals(2L, r.del(big, all));
      RedisAsyncCommands<byte[], byte[]> a = conn.async();
      RedisFuture<String> set = a.set("async".getBytes(StandardCharsets.US_ASCII), big);
      RedisFuture<byte[]> get = a.get("async".getBytes(StandardCharsets.US_ASCII));
      assertEquals("OK", set.get(20, TimeUnit.SECONDS));
      assertArrayEquals(big, get.get(20, TimeUnit.SECONDS));
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }
}
