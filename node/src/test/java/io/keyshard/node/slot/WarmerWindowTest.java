package io.keyshard.node.slot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Warmer#inWindow}: the sliding window that wakes slots and rehearses takeovers. */
@Timeout(60)
class WarmerWindowTest {
  @Test
  void runsEveryTaskOnceWithAtMostTheWindowInFlight() throws Exception {
    ScheduledExecutorService pool = Executors.newScheduledThreadPool(4);
    try {
      int count = 2_000;
      AtomicIntegerArray runs = new AtomicIntegerArray(count);
      AtomicInteger inFlight = new AtomicInteger();
      AtomicInteger most = new AtomicInteger();
      CompletableFuture<Void> all =
          Warmer.inWindow(
              count,
              8,
              i -> {
                runs.incrementAndGet(i);
                most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                CompletableFuture<Void> f = new CompletableFuture<>();
                Runnable end = () -> {
                  inFlight.decrementAndGet();
                  if (i % 7 == 0) {
                    f.completeExceptionally(new IllegalStateException("a slot that failed"));
                  } else {
                    f.complete(null);
                  }
                };
                if (i % 3 == 0) {
                  end.run(); // ends at once, as a slot that moved away meanwhile
                } else {
                  pool.schedule(end, i % 5, TimeUnit.MILLISECONDS);
                }
                return f;
              });
      all.get(30, TimeUnit.SECONDS);
      for (int i = 0; i < count; i++) {
        assertEquals(1, runs.get(i), "task " + i);
      }
      assertEquals(0, inFlight.get());
      assertTrue(most.get() <= 8, "at most 8 at once, saw " + most.get());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void manyTasksThatEndAtOnceDoNotOverflowTheStack() throws Exception {
    AtomicInteger ran = new AtomicInteger();
    Warmer.inWindow(200_000, 4, i -> {
          ran.incrementAndGet();
          return CompletableFuture.completedFuture(null);
        })
        .get(30, TimeUnit.SECONDS);
    assertEquals(200_000, ran.get());
    assertTrue(Warmer.inWindow(0, 4, i -> CompletableFuture.completedFuture(null)).isDone());
  }
}
