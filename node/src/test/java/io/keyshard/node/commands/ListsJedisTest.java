package io.keyshard.node.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.keyshard.node.testing.TestNode;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.args.ListDirection;
import redis.clients.jedis.args.ListPosition;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.LPosParams;
import redis.clients.jedis.util.KeyValue;

/** A job queue as an application writes it with Jedis, against Keyshard (RESP2 and RESP3). */
@Timeout(60)
class ListsJedisTest {
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  @Test
  void aJobQueueRunsUnchanged() {
    try (Jedis j = new Jedis("127.0.0.1", node.port())) {
      j.flushAll();
      assertEquals(3, j.rpush("{q}jobs", "j1", "j2", "j3"));
      assertEquals("j1", j.lmove("{q}jobs", "{q}working", ListDirection.LEFT, ListDirection.RIGHT));
      assertEquals(List.of("j1"), j.lrange("{q}working", 0, -1));
      assertEquals(1, j.lrem("{q}working", 1, "j1"));
      assertEquals(List.of("{q}jobs", "j2"), j.blpop(1, "{q}jobs"));
      assertEquals("j3", j.brpoplpush("{q}jobs", "{x}done", 1));
      assertEquals(List.of("j3"), j.lrange("{x}done", 0, -1));
      assertEquals(0, j.llen("{q}jobs"));

      j.rpush("l", "a", "b", "c", "b");
      assertEquals(1, j.lpos("l", "b"));
      assertEquals(List.of(3L, 1L), j.lpos("l", "b", LPosParams.lPosParams().rank(-1), 0));
      assertNull(j.lpos("l", "zz"));
      assertEquals(5, j.linsert("l", ListPosition.AFTER, "a", "a2"));
      assertEquals("OK", j.lset("l", -1, "B"));
      assertEquals("B", j.lindex("l", -1));
      assertEquals("OK", j.ltrim("l", 1, -1));
      assertEquals(List.of("a2", "b", "c", "B"), j.lrange("l", 0, -1));
      assertEquals(List.of("a2", "b"), j.lpop("l", 2));
      KeyValue<String, List<String>> popped = j.lmpop(ListDirection.RIGHT, 5, "nokey", "l");
      assertEquals("l", popped.getKey());
      assertEquals(List.of("B", "c"), popped.getValue());
      assertNull(j.lmpop(ListDirection.LEFT, "l"));
      assertNull(j.rpop("l"));
      j.set("s", "v");
      assertThrows(JedisDataException.class, () -> j.lpush("s", "x"));
    }
  }

  @Test
  void resp3Clients() {
    DefaultJedisClientConfig resp3 =
        DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP3).build();
    try (Jedis j = new Jedis(new HostAndPort("127.0.0.1", node.port()), resp3)) {
      j.flushAll();
      j.rpush("l", "a", "b");
      assertEquals(List.of("l", "a"), j.blpop(1, "l"));
      assertEquals(List.of("b"), j.rpop("l", 5));
      assertNull(j.lpop("l"));
      assertNull(j.lpop("l", 2));
    }
  }
}
