package io.keyshard.node.testing;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * One Keyshard node and one real redis-server for a test class; each test gets a
 * {@link Differential} over both, starting from an empty keyspace, and fails at the end with
 * every mismatch it saw.
 */
public abstract class DifferentialTestBase {
  protected static RedisProcess redis;
  protected static TestNode node;
  protected Differential d;

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
  void openDifferential() throws Exception {
    d = new Differential(node.port(), redis.port());
    d.both("FLUSHALL");
  }

  @AfterEach
  void closeDifferential() throws Exception {
    try {
      d.assertNoMismatches();
    } finally {
      d.close();
    }
  }

  /** Integer replies within {@code tolerance} of {@code expected} compare equal. */
  protected static UnaryOperator<String> near(long expected, long tolerance) {
    return r -> {
      if (r.startsWith(":")) {
        long v = Long.parseLong(r.substring(1));
        if (Math.abs(v - expected) <= tolerance) {
          return ":~" + expected;
        }
      }
      return r;
    };
  }
}
