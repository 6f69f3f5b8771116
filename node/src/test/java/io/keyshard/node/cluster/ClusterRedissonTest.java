package io.keyshard.node.cluster;


import io.keyshard.node.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Redisson in cluster mode against three cluster-mode nodes in this JVM on one PostgreSQL journal:
 * the same locks, fair lock, semaphore, rate limiter, map and topic as against a standalone node
 * (RedissonTest.exercise), with its scripts sent to each key's slot owner and its Pub/Sub across
 * nodes.
 */
@Timeout(240)
class ClusterRedissonTest {
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(3);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void redissonRunsAgainstThreeNodes() throws Exception {
    org.redisson.config.Config config = new org.redisson.config.Config();
    config.useClusterServers()
        .addNodeAddress("redis://127.0.0.1:" + cluster.node(0).port(), "redis://127.0.0.1:" + cluster.node(1).port(),
            "redis://127.0.0.1:" + cluster.node(2).port());
    org.redisson.api.RedissonClient redisson = org.redisson.Redisson.create(config);
    try {
      io.keyshard.node.commands.RedissonTest.exercise(redisson, "cluster");
    } finally {
      redisson.shutdown();
    }
  }
}
