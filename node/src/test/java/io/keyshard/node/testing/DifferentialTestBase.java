package io.keyshard.node.testing;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The servers of {@link NodeAndRedisTestBase}; each test gets a {@link Differential} over both
 * and fails at the end with every mismatch it saw.
 */
public abstract class DifferentialTestBase extends NodeAndRedisTestBase {
  protected Differential d;

  // JUnit runs the base's FLUSHALL on both servers before this, so the keyspace starts empty.
  @BeforeEach
  void openDifferential() throws Exception {
    d = new Differential(node.port(), redis.port());
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
