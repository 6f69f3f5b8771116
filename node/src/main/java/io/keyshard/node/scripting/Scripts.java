package io.keyshard.node.scripting;

import io.keyshard.protocol.Reply;
import java.util.ArrayList;
import java.util.List;
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

  public static final String NOT_BUSY = "NOTBUSY No scripts in execution right now.";
  public static final String UNKILLABLE =
      "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script "
          + "termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";

  /** The script running now: its name (SHA), when it began, and whether it wrote. */
  public static final class Running {
    final String name;
    final boolean function;
    /** The caller's command (FUNCTION STATS shows it). */
    final byte[][] command;
    final long startedNanos = System.nanoTime();
    volatile boolean wrote;
    volatile boolean slowLogged;

    Running(String name, boolean function, byte[][] command) {
      this.name = name;
      this.function = function;
      this.command = command;
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
  private final Functions functions;

  public Scripts(LongSupplier busyThresholdMs, java.nio.file.Path functionsFile) {
    this.busyThresholdMs = busyThresholdMs;
    this.functions = new Functions(functionsFile);
    this.thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(null, r, "keyshard-scripts", SCRIPT_THREAD_STACK);
              t.setDaemon(true);
              return t;
            });
    try {
      this.engine = thread.submit(LuaEngine::new).get();
      int loaded = thread.submit(this::loadSaved).get();
      if (loaded > 0) {
        log.info("Loaded {} function libraries saved by the last run", loaded);
      }
    } catch (Exception e) {
      thread.shutdownNow();
      throw new IllegalStateException("the Lua engine or the saved function libraries did not load", e);
    }
  }

  /** The libraries saved by the last run, compiled again (a start fails if one does not load). */
  private int loadSaved() throws Exception {
    List<byte[]> saved = functions.saved();
    for (byte[] code : saved) {
      Functions.Metadata meta = Functions.metadata(code);
      functions.put(new Functions.Library(meta.name(), code, engine.compileLibrary(meta)));
    }
    functions.loaded();
    return saved.size();
  }

  public Functions functions() {
    return functions;
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

  /** How many scripts are cached (INFO memory's number_of_cached_scripts). */
  public int cachedCount() {
    return cached.size();
  }

  public boolean exists(String sha) {
    return cached.contains(sha.toLowerCase(java.util.Locale.ROOT));
  }

  /** On the script thread: SCRIPT FLUSH. */
  public void flush(LuaEngine engine) {
    engine.flush();
    cached.clear();
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

  public Running start(String name, boolean function, byte[][] command) {
    return new Running(name, function, command);
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

  /** The BUSY text for what runs now (EVAL's or FCALL's). */
  public String busyText() {
    Running r = running;
    return new io.keyshard.node.route.Verdict.Busy(r != null && r.function).text();
  }

  /** SCRIPT KILL. */
  public Reply kill() {
    return kill(false);
  }

  /** FUNCTION KILL. */
  public Reply killFunction() {
    return kill(true);
  }

  private Reply kill(boolean function) {
    Running r = running;
    if (r == null) {
      return Reply.error(NOT_BUSY);
    }
    if (r.function != function) {
      // Each KILL stops only its own kind, answering with the other kind's BUSY text, as Redis.
      return new io.keyshard.node.route.Verdict.Busy(r.function).reply();
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

  /** FUNCTION STATS: what runs now (a function only) and the engine's counts. */
  public Reply stats() {
    Running r = running;
    Reply runningScript =
        r == null || !r.function
            ? Reply.NULL
            : new Reply.Map(
                List.of(
                    Reply.bulk("name"), Reply.bulk(r.name),
                    Reply.bulk("command"), Reply.array(java.util.Arrays.stream(r.command).map(Reply::bulk).toList()),
                    Reply.bulk("duration_ms"), Reply.integer(r.millis())));
    return new Reply.Map(
        List.of(
            Reply.bulk("running_script"), runningScript,
            Reply.bulk("engines"),
            new Reply.Map(
                List.of(
                    Reply.bulk("LUA"),
                    new Reply.Map(
                        List.of(
                            Reply.bulk("libraries_count"), Reply.integer(functions.libraries().size()),
                            Reply.bulk("functions_count"), Reply.integer(functions.functionCount())))))));
  }

  /**
   * On the script thread: FUNCTION LOAD, DELETE, FLUSH, LIST, DUMP and RESTORE. A change is saved
   * before it is answered; one that fails changes nothing.
   */
  public Reply functionCommand(LuaEngine engine, String sub, byte[][] a) throws Exception {
    switch (sub) {
      case "load": {
        boolean replace = false;
        int i = 2;
        for (; i < a.length - 1; i++) {
          if (new String(a[i], java.nio.charset.StandardCharsets.UTF_8).equalsIgnoreCase("replace")) {
            replace = true;
          } else {
            return Reply.error("ERR Unknown option given: " + new String(a[i], java.nio.charset.StandardCharsets.UTF_8));
          }
        }
        if (i >= a.length) {
          return Reply.error("ERR Function code is missing");
        }
        byte[] code = a[i];
        Functions.Metadata meta = Functions.metadata(code);
        if (functions.library(meta.name()) != null && !replace) {
          return Reply.error("ERR Library '" + meta.name() + "' already exists");
        }
        Functions.Library lib = new Functions.Library(meta.name(), code, engine.compileLibrary(meta));
        String clash = functions.collision(lib, meta.name());
        if (clash != null) {
          engine.dropFunctions(lib.functions());
          return Reply.error(clash);
        }
        Functions.Library old = functions.put(lib);
        saveOrUndo(engine, () -> {
          functions.remove(lib.name());
          if (old != null) {
            functions.put(old);
          }
        });
        if (old != null) {
          engine.dropFunctions(old.functions());
        }
        return Reply.bulk(meta.name());
      }
      case "delete": {
        if (a.length != 3) {
          return Reply.error("ERR unknown subcommand or wrong number of arguments for 'delete'. Try FUNCTION HELP.");
        }
        Functions.Library old = functions.remove(new String(a[2], java.nio.charset.StandardCharsets.UTF_8));
        if (old == null) {
          return Reply.error("ERR Library not found");
        }
        saveOrUndo(engine, () -> functions.put(old));
        engine.dropFunctions(old.functions());
        return Reply.OK;
      }
      case "flush": {
        if (a.length > 3) {
          return Reply.error("ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.");
        }
        if (a.length == 3) {
          String mode = new String(a[2], java.nio.charset.StandardCharsets.UTF_8);
          if (!mode.equalsIgnoreCase("async") && !mode.equalsIgnoreCase("sync")) {
            return Reply.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
          }
        }
        List<Functions.Library> all = functions.clear();
        saveOrUndo(engine, () -> all.forEach(functions::put));
        for (Functions.Library l : all) {
          engine.dropFunctions(l.functions());
        }
        return Reply.OK;
      }
      case "dump":
        return Reply.bulk(functions.dump());
      case "list":
        return list(a);
      case "restore":
        return restore(engine, a);
      default:
        return Reply.error("ERR unknown subcommand '" + sub + "'. Try FUNCTION HELP.");
    }
  }

  private void saveOrUndo(LuaEngine engine, Runnable undo) throws java.io.IOException {
    try {
      functions.save();
    } catch (java.io.IOException e) {
      undo.run();
      throw e;
    }
  }

  private Reply list(byte[][] a) {
    boolean withCode = false;
    byte[] pattern = null;
    for (int i = 2; i < a.length; i++) {
      String arg = new String(a[i], java.nio.charset.StandardCharsets.UTF_8);
      if (arg.equalsIgnoreCase("withcode") && !withCode) {
        withCode = true;
      } else if (arg.equalsIgnoreCase("libraryname") && pattern == null) {
        if (i + 1 >= a.length) {
          return Reply.error("ERR library name argument was not given");
        }
        pattern = a[++i];
      } else {
        return Reply.error("ERR Unknown argument " + arg);
      }
    }
    List<Reply> libs = new ArrayList<>();
    for (Functions.Library l : functions.libraries()) {
      if (pattern != null
          && !io.keyshard.protocol.Glob.match(pattern, l.name().getBytes(java.nio.charset.StandardCharsets.UTF_8), true)) {
        continue;
      }
      List<Reply> fns = new ArrayList<>();
      for (Functions.Function f : l.functions()) {
        List<Reply> flags = new ArrayList<>();
        for (String flag : LuaEngine.FLAGS) {
          if (f.flags().contains(flag)) {
            flags.add(Reply.simple(flag));
          }
        }
        fns.add(
            new Reply.Map(
                List.of(
                    Reply.bulk("name"), Reply.bulk(f.name()),
                    Reply.bulk("description"), f.description() == null ? Reply.NULL : Reply.bulk(f.description()),
                    Reply.bulk("flags"), new Reply.Set(flags))));
      }
      List<Reply> entry = new ArrayList<>(
          List.of(
              Reply.bulk("library_name"), Reply.bulk(l.name()),
              Reply.bulk("engine"), Reply.bulk("LUA"),
              Reply.bulk("functions"), Reply.array(fns)));
      if (withCode) {
        entry.add(Reply.bulk("library_code"));
        entry.add(Reply.bulk(l.code()));
      }
      libs.add(new Reply.Map(entry));
    }
    return Reply.array(libs);
  }

  private Reply restore(LuaEngine engine, byte[][] a) throws Exception {
    if (a.length > 4) {
      return Reply.error("ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.");
    }
    String policy = a.length == 4 ? new String(a[3], java.nio.charset.StandardCharsets.UTF_8).toUpperCase(java.util.Locale.ROOT) : "APPEND";
    if (!List.of("FLUSH", "APPEND", "REPLACE").contains(policy)) {
      return Reply.error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    }
    byte[] payload = a[2];
    List<byte[]> codes;
    try {
      if (!io.keyshard.persistence.rdb.DumpPayload.verify(payload)) {
        return Reply.error("ERR DUMP payload version or checksum are wrong");
      }
      codes = io.keyshard.persistence.rdb.FunctionPayload.decode(payload);
    } catch (io.keyshard.persistence.rdb.RdbFormatException e) {
      return Reply.error("ERR given type is not a function");
    }
    // Compiled first, then checked against what stays; nothing changes unless all of it fits.
    List<Functions.Library> incoming = new ArrayList<>();
    try {
      for (byte[] code : codes) {
        Functions.Metadata meta = Functions.metadata(code);
        incoming.add(new Functions.Library(meta.name(), code, engine.compileLibrary(meta)));
      }
    } catch (LuaEngine.ScriptError e) {
      incoming.forEach(l -> engine.dropFunctions(l.functions()));
      throw e;
    }
    List<Functions.Library> before = new ArrayList<>(functions.libraries());
    List<Functions.Library> replaced = new ArrayList<>();
    String error = null;
    if (policy.equals("FLUSH")) {
      replaced.addAll(functions.clear());
    }
    for (Functions.Library l : incoming) {
      if (functions.library(l.name()) != null && policy.equals("APPEND")) {
        error = "ERR Library " + l.name() + " already exists";
        break;
      }
      String clash = functions.collision(l, policy.equals("REPLACE") ? l.name() : null);
      if (clash != null) {
        error = clash;
        break;
      }
      Functions.Library old = functions.put(l);
      if (old != null) {
        replaced.add(old);
      }
    }
    Runnable undo =
        () -> {
          functions.clear();
          before.forEach(functions::put);
        };
    if (error != null) {
      undo.run();
      incoming.forEach(l -> engine.dropFunctions(l.functions()));
      return Reply.error(error);
    }
    saveOrUndo(engine, undo);
    replaced.forEach(l -> engine.dropFunctions(l.functions()));
    return Reply.OK;
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
