package io.keyshard.node.server;

import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the requests executing on this node across all connections. A request that finds no
 * permit waits (asynchronously, first come first served); its connection stops pulling more
 * requests meanwhile, so the bound turns into TCP backpressure rather than a queue in memory.
 * The bound keeps every slot's stash, and later Artery's send queue, from overflowing.
 */
public final class InflightLimiter {
  private final int limit;
  private final AtomicInteger used = new AtomicInteger();
  private final Queue<CompletableFuture<Void>> waiting = new ConcurrentLinkedQueue<>();

  public InflightLimiter(int limit) {
    this.limit = limit;
  }

  public boolean tryAcquire() {
    while (true) {
      int n = used.get();
      if (n >= limit) {
        return false;
      }
      if (used.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Completes when a permit is held by the caller. */
  public CompletableFuture<Void> acquire() {
    if (waiting.isEmpty() && tryAcquire()) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    waiting.add(f);
    // A permit may have been released between the failed attempt and the enqueue.
    drain();
    return f;
  }

  public void release() {
    used.decrementAndGet();
    drain();
  }

  private void drain() {
    while (!waiting.isEmpty() && tryAcquire()) {
      CompletableFuture<Void> next = waiting.poll();
      if (next == null) {
        used.decrementAndGet();
        return;
      }
      next.complete(null);
    }
  }

  public int inUse() {
    return used.get();
  }
}
