package io.keyshard.node;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Helpers for the futures Pekko's Java API returns. */
public final class Futures {
  private Futures() {}

  /**
   * A plain CompletableFuture completed by {@code stage}, on the thread that completes it.
   *
   * <p>Pekko's javadsl asks return Scala's CompletableFuture adapter, which runs every callback
   * chained on it asynchronously on the JDK's common pool. With 2 cores that pool has
   * parallelism 1, and the JDK then starts a new thread for every task: one thread per request
   * (measured: 770 threads a second, most of the CPU in the kernel). Chain on this instead.
   */
  public static <T> CompletableFuture<T> plain(CompletionStage<T> stage) {
    CompletableFuture<T> out = new CompletableFuture<>();
    stage.whenCompleteAsync(
        (value, error) -> {
          if (error != null) {
            out.completeExceptionally(error);
          } else {
            out.complete(value);
          }
        },
        Runnable::run);
    return out;
  }
}
