package io.keyshard.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.node.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** A node starts, answers Jedis, and keeps acknowledged writes across a restart. */
class SmokeTest {

  @Test
  void writesSurviveARestart() throws Exception {
    Path dir = Files.createTempDirectory("keyshard-smoke");
    try (TestNode node = TestNode.start(dir, Map.of());
        Jedis jedis = new Jedis("127.0.0.1", node.port())) {
      assertEquals("PONG", jedis.ping());
      for (int i = 0; i < 200; i++) {
        assertEquals("OK", jedis.set("key:" + i, "value:" + i));
      }
      assertEquals(200L, jedis.dbSize());
    }
    try (TestNode node = TestNode.start(dir, Map.of());
        Jedis jedis = new Jedis("127.0.0.1", node.port())) {
      for (int i = 0; i < 200; i++) {
        assertEquals("value:" + i, jedis.get("key:" + i));
      }
      assertEquals(200L, jedis.dbSize());
    }
  }
}
