package io.keyshard.node.slot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A backup's hold moves the trims' cutoff back until it is released or expires. */
class JournalRetentionTest {
  @Test
  void aHoldKeepsWhatRebuildsInstantsAfterItsStartUntilReleasedOrExpired() {
    JournalRetention r = new JournalRetention(4096, 1 << 20, Duration.ofSeconds(5), Duration.ZERO);
    assertEquals(95_000, r.cutoff(100_000), "now - retain");
    long first = r.hold(90_000, 200_000);
    long second = r.hold(80_000, 150_000);
    assertEquals(80_000, r.cutoff(100_000), "the earliest hold");
    assertEquals(90_000, r.cutoff(150_000), "the second expired at 150 s");
    assertTrue(r.release(first));
    assertFalse(r.release(first));
    assertFalse(r.release(second), "expired holds are gone");
    assertEquals(145_000, r.cutoff(150_000));
    // A hold never moves the cutoff forward.
    r.hold(149_000, 300_000);
    assertEquals(145_000, r.cutoff(150_000));
  }
}
