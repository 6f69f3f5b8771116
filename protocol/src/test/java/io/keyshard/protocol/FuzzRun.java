package io.keyshard.protocol;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.AroundTryHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import net.jqwik.api.lifecycle.TryExecutionResult;
import net.jqwik.api.lifecycle.TryExecutor;
import net.jqwik.api.lifecycle.TryLifecycleContext;

/**
 * The lifecycle of a fuzz property: scales its tries by the system property
 * {@code keyshard.fuzz.scale} (1 in CI, 10 with {@code mvn -Pfuzz-long}), fails a try that runs
 * longer than {@link #TRY_TIMEOUT_SECONDS} (a hang), and prints how many inputs ran and how many
 * per minute.
 */
public final class FuzzRun implements AroundPropertyHook, AroundTryHook {
  public static final long TRY_TIMEOUT_SECONDS = 10;

  private static final ExecutorService RUNNER =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "fuzz-try");
            t.setDaemon(true);
            return t;
          });

  private final AtomicLong tries = new AtomicLong();

  public static int scale() {
    return Integer.getInteger("keyshard.fuzz.scale", 1);
  }

  @Override
  public PropertyExecutionResult aroundProperty(
      PropertyLifecycleContext context, PropertyExecutor property) {
    context.attributes().tries().ifPresent(n -> context.attributes().setTries(n * scale()));
    tries.set(0);
    long start = System.nanoTime();
    PropertyExecutionResult result = property.execute();
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "fuzz %s.%s: %,d inputs in %.1f s (%,.0f inputs/minute), %s%n",
        context.containerClass().getSimpleName(),
        context.targetMethod().getName(),
        tries.get(),
        seconds,
        tries.get() / seconds * 60,
        result.status());
    return result;
  }

  @Override
  public TryExecutionResult aroundTry(
      TryLifecycleContext context, TryExecutor aTry, List<Object> parameters) throws Throwable {
    tries.incrementAndGet();
    Future<TryExecutionResult> run = RUNNER.submit(() -> aTry.execute(parameters));
    try {
      return run.get(TRY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      run.cancel(true);
      throw new AssertionError(
          "no answer within " + TRY_TIMEOUT_SECONDS + " s (a hang) for " + parameters);
    } catch (ExecutionException e) {
      throw e.getCause();
    }
  }
}
