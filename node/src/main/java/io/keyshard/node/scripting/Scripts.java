package io.keyshard.node.scripting;

import io.keyshard.protocol.Reply;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's scripting: one Lua state on one thread of its own (never a Pekko dispatcher thread,
 * so a CPU-bound script cannot starve the cluster's heartbeats), the script cache, and what runs
 * now, for BUSY and SCRIPT KILL (docs/decisions/2026-12-07-scripts-served.md).
 */
public final class Scripts implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Scripts.class);

  public static final String BUSY_EVAL =
      "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
  public static final String NOT_BUSY = "NOTBUSY No scripts in execution right now.";
  public static final String UNKILLABLE =
      "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script "
          + "termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";

  /** The script running now: its name (SHA), when it began, and whether it wrote. */
  public static final class Running {
    final String name;
    final long startedNanos = System.nanoTime();
    volatile boolean wrote;
    volatile boolean slowLogged;

    Running(String name) {
      this.name = name;
    }

    public void wrote() {
      wrote = true;
    }

    public boolean wroteAny() {
      return wrote;
    }

    public long millis() {
      return (System.nanoTime() - startedNanos) / 1_000_000;
    }
  }

  /**
   * The script thread's stack. cjson and cmsgpack recurse in Java once per nesting level, and
   * Redis lets that go to about 8,000 levels (Lua's stack limit); a stack overflow inside a JNI
   * call crashes the JVM rather than throwing, so the thread gets room for all of them (reserved,
   * touched only as deep as a script goes).
   */
  static final long SCRIPT_THREAD_STACK = 64L << 20;

  private final ExecutorService thread;
  private final LuaEngine engine;
  /** The cached SHAs, readable from any thread (SCRIPT EXISTS). */
  private final Set<String> cached = ConcurrentHashMap.newKeySet();
  private final LongSupplier busyThresholdMs;
  private volatile Running running;

  public Scripts(LongSupplier busyThresholdMs) {
    this.busyThresholdMs = busyThresholdMs;
    this.thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(null, r, "keyshard-scripts", SCRIPT_THREAD_STACK);
              t.setDaemon(true);
              return t;
            });
    try {
      this.engine = thread.submit(LuaEngine::new).get();
    } catch (Exception e) {
      thread.shutdownNow();
      throw new IllegalStateException("the Lua engine did not start", e);
    }
  }

  /** Runs {@code work} on the script thread with the engine; the future completes there. */
  public <T> CompletableFuture<T> submit(EngineWork<T> work) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return work.run(engine);
          } catch (RuntimeException e) {
            throw e;
          } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        },
        thread);
  }

  /** Work for the script thread. */
  @FunctionalInterface
  public interface EngineWork<T> {
    T run(LuaEngine engine) throws Exception;
  }

  /** On the script thread: compiles and caches a script, answers its SHA. */
  public String load(LuaEngine engine, byte[] body) throws LuaEngine.ScriptError {
    String sha = engine.load(body);
    cached.add(sha);
    return sha;
  }

  public boolean exists(String sha) {
    return cached.contains(sha.toLowerCase(java.util.Locale.ROOT));
  }

  /** On the script thread: SCRIPT FLUSH. */
  public void flush(LuaEngine engine) {
    engine.flush();
    cached.clear();
  }

  public int count() {
    return cached.size();
  }

  /**
   * On the script thread: runs a cached script, marked as the running one for BUSY and SCRIPT
   * KILL while it runs.
   */
  public Reply run(LuaEngine engine, Running r, Callable<Reply> body) throws Exception {
    running = r;
    try {
      return body.call();
    } finally {
      running = null;
      if (r.slowLogged) {
        log.warn("The slow script {} ended after {} ms", r.name, r.millis());
      }
    }
  }

  public Running start(String name) {
    return new Running(name);
  }

  /**
   * Whether other clients get BUSY: a script has run for longer than busy-reply-threshold (0
   * turns this off, as Redis's lua-time-limit 0 does).
   */
  public boolean busy() {
    Running r = running;
    long threshold = busyThresholdMs.getAsLong();
    if (r == null || threshold <= 0 || r.millis() < threshold) {
      return false;
    }
    if (!r.slowLogged) {
      r.slowLogged = true;
      log.warn(
          "Slow script detected: still in execution after {} milliseconds. You can try killing the script using the "
              + "SCRIPT KILL command. Script name is: {}.",
          r.millis(), r.name);
    }
    return true;
  }

  /** SCRIPT KILL. */
  public Reply kill() {
    Running r = running;
    if (r == null) {
      return Reply.error(NOT_BUSY);
    }
    if (r.wrote) {
      return Reply.error(UNKILLABLE);
    }
    engine.kill();
    return Reply.OK;
  }

  private volatile boolean stopping;

  /**
   * SHUTDOWN NOSAVE while a script runs: it stops at its next hook, written or not, and its
   * transaction is undone (none of it was journaled; Redis would lose it from memory too).
   */
  public void stopForShutdown() {
    stopping = true;
    engine.kill();
  }

  /** Whether the node is stopping: a script's transaction is undone, not committed. */
  public boolean stopping() {
    return stopping;
  }

  /** Stops the running script at its next hook (a rerun with more slots; not SCRIPT KILL). */
  public void abortRunning() {
    engine.kill();
  }

  @Override
  public void close() {
    engine.kill();
    thread.shutdownNow();
  }
}
