package io.keyshard.node.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * One Keyshard node and one real redis-server for a test class, both started before its first
 * test and stopped after its last; each test starts from an empty keyspace on both.
 */
public abstract class NodeAndRedisTestBase {
  protected static RedisProcess redis;
  protected static TestNode node;

  @BeforeAll
  static void startServers() throws Exception {
    redis = RedisProcess.start();
    node = TestNode.start();
  }

  @AfterAll
  static void stopServers() throws Exception {
    if (node != null) {
      node.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @BeforeEach
  void flushBoth() throws Exception {
    for (int port : new int[] {node.port(), redis.port()}) {
      try (RawClient c = new RawClient(port)) {
        assertEquals("+OK", c.call("FLUSHALL"));
      }
    }
  }
}
