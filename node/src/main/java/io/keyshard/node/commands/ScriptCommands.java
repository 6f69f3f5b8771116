package io.keyshard.node.commands;

import io.keyshard.node.acl.Acl;
import io.keyshard.node.cluster.ClusterView;
import io.keyshard.node.commands.CommandRegistry.Binding;
import io.keyshard.node.commands.CommandRegistry.Kind;
import io.keyshard.node.pubsub.Tracking;
import io.keyshard.node.route.Verdict;
import io.keyshard.node.scripting.Functions;
import io.keyshard.node.scripting.LuaEngine;
import io.keyshard.node.scripting.Scripts;
import io.keyshard.node.server.CommandStats;
import io.keyshard.node.server.Evictor;
import io.keyshard.node.server.Router;
import io.keyshard.node.server.Session;
import io.keyshard.node.tx.Transactions;
import io.keyshard.protocol.CommandFlags;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.CommandTable;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (docs/decisions/2026-12-07-scripts-served.md). A
 * script runs on the node's script thread inside one transaction over the slots of its declared
 * keys: its commands run in their slots through the transaction, so no other client sees it half
 * done, and its writes are journaled as their effects when it commits. A command of the script on
 * a slot the transaction does not hold (standalone Redis lets a script touch keys it did not
 * declare) stops the run: everything it did is undone and it runs again holding that slot too.
 */
final class ScriptCommands {
  /** Runs of one script that found another undeclared slot, before it is refused. */
  private static final int MAX_RUNS = 16;

  private final Router router;
  private final TransactionCommands transactions;
  private final Scripts scripts;

  ScriptCommands(Router router, TransactionCommands transactions, Scripts scripts) {
    this.router = router;
    this.transactions = transactions;
    this.scripts = scripts;
  }

  void register(CommandRegistry.Builder r) {
    r.session("eval", (s, a, spec) -> eval(s, a, false, false));
    r.session("evalsha", (s, a, spec) -> eval(s, a, true, false));
    r.session("eval_ro", (s, a, spec) -> eval(s, a, false, true));
    r.session("evalsha_ro", (s, a, spec) -> eval(s, a, true, true));
    r.session("script", (s, a, spec) -> script(a));
    r.session("fcall", (s, a, spec) -> call(s, parse(a, false, true, false)));
    r.session("fcall_ro", (s, a, spec) -> call(s, parse(a, false, true, true)));
    r.session("function", (s, a, spec) -> function(a));
  }

  /** What one run of a script found it needs beyond what its transaction holds. */
  static final class Needs {
    final SortedSet<Integer> slots = new TreeSet<>();
    boolean everySlot;
    /** The run called a read-only command (client tracking then remembers the declared keys). */
    volatile boolean read;

    boolean any() {
      return everySlot || !slots.isEmpty();
    }
  }

  /** A parsed EVAL: the script (by SHA once compiled), its keys and arguments. */
  private record Call(
      byte[] bodyOrSha, boolean bySha, boolean function, boolean readOnly, List<byte[]> keys, List<byte[]> args,
      byte[][] argv) {}

  /** What a call runs: a cached script (by SHA) or a library's function. */
  private record Target(String sha, Functions.Function fn) {
    String name() {
      return fn != null ? fn.name() : sha;
    }

    LuaEngine.Flags flags(LuaEngine engine) {
      return fn != null ? new LuaEngine.Flags(true, fn.flags()) : engine.flags(sha);
    }
  }

  /** The call, or the error reply Redis gives for its arguments. */
  private static Object parse(byte[][] a, boolean bySha, boolean readOnly) {
    return parse(a, bySha, false, readOnly);
  }

  private static Object parse(byte[][] a, boolean bySha, boolean function, boolean readOnly) {
    long numkeys;
    try {
      numkeys = Long.parseLong(new String(a[2], StandardCharsets.US_ASCII));
    } catch (NumberFormatException e) {
      return function ? Err.err("Bad number of keys provided") : Err.NOT_INTEGER;
    }
    if (numkeys > a.length - 3) {
      return Err.err("Number of keys can't be greater than number of args");
    }
    if (numkeys < 0) {
      return Err.err("Number of keys can't be negative");
    }
    int n = (int) numkeys;
    return new Call(
        a[1],
        bySha,
        function,
        readOnly,
        List.of(Arrays.copyOfRange(a, 3, 3 + n)),
        List.of(Arrays.copyOfRange(a, 3 + n, a.length)),
        a);
  }

  private CompletionStage<Reply> eval(Session s, byte[][] a, boolean bySha, boolean readOnly) {
    return call(s, parse(a, bySha, readOnly));
  }

  /** EVAL, EVALSHA, FCALL and their _RO forms, once parsed. */
  private CompletionStage<Reply> call(Session s, Object parsed) {
    if (parsed instanceof Reply r) {
      return done(r);
    }
    Call call = (Call) parsed;
    // Client tracking: a script that calls a read-only command remembers its declared keys,
    // as Redis 7.0 does for the script's caller.
    byte[][] tracked =
        s.tracking == null
            ? null
            : Tracking.keysToRemember(s, s.trackingCachingNow, call.keys().toArray(new byte[0][]));
    SortedSet<Integer> declared = new TreeSet<>();
    for (byte[] k : call.keys()) {
      declared.add(Slots.slot(k));
    }
    // Compiled (and checked: NOSCRIPT, compile errors, shebang) before any slot is locked.
    return scripts
        .submit(engine -> prepare(engine, call))
        .thenCompose(
            prepared ->
                prepared instanceof Reply r
                    ? done(r)
                    : attempt(s, call, (Target) prepared, declared, false, 1, tracked))
        .exceptionally(ServerCommands::failed);
  }

  /** On the script thread: what the call runs, or the error reply that ends the call here. */
  private Object prepare(LuaEngine engine, Call call) {
    Target target;
    if (call.function()) {
      Functions.Function fn = scripts.functions().function(new String(call.bodyOrSha(), StandardCharsets.UTF_8));
      if (fn == null) {
        return Err.err("Function not found");
      }
      target = new Target(null, fn);
    } else if (call.bySha()) {
      String sha = new String(call.bodyOrSha(), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
      if (sha.length() != 40 || engine.flags(sha) == null) {
        return new Verdict.NoScript().reply();
      }
      target = new Target(sha, null);
    } else {
      try {
        target = new Target(scripts.load(engine, call.bodyOrSha()), null);
      } catch (LuaEngine.ScriptError e) {
        return Reply.error(e.getMessage());
      }
    }
    LuaEngine.Flags flags = target.flags(engine);
    if (flags.shebang()) {
      Reply refused = refusedUpFront(flags, call.readOnly());
      if (refused != null) {
        return refused;
      }
    }
    return target;
  }

  /** Redis's checks of a script with a shebang before it runs (docs/research, 4.2). */
  private Reply refusedUpFront(LuaEngine.Flags flags, boolean readOnlyCommand) {
    if (flags.has("no-cluster") && router.cluster() != null) {
      return Err.err("Can not run script on cluster, 'no-cluster' flag is set.");
    }
    if (!flags.has("no-writes")) {
      if (readOnlyCommand) {
        return Err.err("Can not execute a script with write flag using *_ro command.");
      }
      Evictor ev = router.evictor();
      if (!flags.has("allow-oom") && ev != null && ev.over()) {
        return Err.OOM;
      }
    }
    return null;
  }

  private CompletionStage<Reply> attempt(
      Session s, Call call, Target target, SortedSet<Integer> slots, boolean everySlot, int run, byte[][] tracked) {
    Needs needs = new Needs();
    return router
        .transactions()
        .run(
            slots,
            everySlot,
            tx -> {
              tx.by(s.id);
              // The script's SELECT changes its own session (runIn), never the caller's.
              return runIn(tx, everySlot, s, call, target, needs)
                  .thenApply(
                      r -> {
                        if (needs.any() || scripts.stopping()) {
                          tx.abort(); // undone; it runs again holding what it needs
                        }
                        return r;
                      });
            })
        .thenCompose(
            r -> {
              if (!needs.any() || scripts.stopping()) {
                if (tracked != null && needs.read) {
                  router.tracking().rememberAfter(s, tracked);
                }
                return done(r);
              }
              if (run >= MAX_RUNS) {
                return done(
                    Err.err(
                        "the script touched keys in slots it did not declare in " + run
                            + " runs in a row; declare its keys (KEYS) so that it can run atomically"));
              }
              SortedSet<Integer> more = new TreeSet<>(slots);
              more.addAll(needs.slots);
              return attempt(s, call, target, more, everySlot || needs.everySlot, run + 1, tracked);
            });
  }

  /**
   * EVAL inside EXEC: the script runs in EXEC's transaction. Needing a slot EXEC does not hold
   * fills {@code needs}, and EXEC runs again holding it.
   */
  CompletionStage<Reply> inTransaction(
      Transactions.Tx tx, boolean everySlot, Session s, byte[][] a, Needs needs) {
    String name = new String(a[0], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    Object parsed = parse(a, name.startsWith("evalsha"), name.startsWith("fcall"), name.endsWith("_ro"));
    if (parsed instanceof Reply r) {
      return done(r);
    }
    Call call = (Call) parsed;
    return scripts
        .submit(engine -> prepare(engine, call))
        .thenCompose(p -> p instanceof Reply r ? done(r) : runIn(tx, everySlot, s, call, (Target) p, needs));
  }

  /** One run of the script on the script thread, inside {@code tx}. */
  private CompletionStage<Reply> runIn(
      Transactions.Tx tx, boolean everySlot, Session caller, Call call, Target target, Needs needs) {
    Session session = new Session(caller.id, caller.addr, caller.laddr, true);
    session.user = caller.user;
    session.db = caller.db;
    // ACL LOG's client-info of a denial in the script names the caller and its command.
    session.name = caller.name;
    session.lastCommand = caller.lastCommand;
    session.proto = 3; // replies keep their RESP3 shapes; the engine converts as the script asked
    return scripts.submit(
        engine -> {
          Scripts.Running running = scripts.start(target.name(), target.fn() != null, call.argv());
          LuaEngine.Flags flags = target.flags(engine);
          Context ctx = new Context(tx, everySlot, session, flags, call.readOnly(), needs, running);
          Reply r =
              scripts.run(
                  engine,
                  running,
                  () ->
                      target.fn() != null
                          ? engine.callFunction(target.fn(), call.keys(), call.args(), ctx)
                          : engine.run(target.sha(), call.keys(), call.args(), ctx));
          if (ctx.passesOn(r)) {
            // Already counted in errorstats where redis.call or redis.pcall made it, as in Redis.
            caller.countedError = r;
          }
          return r;
        });
  }

  /** What redis.call sees: Redis's checks, then the command inside the script's transaction. */
  private final class Context implements LuaEngine.Commands {
    private final Transactions.Tx tx;
    private final boolean everySlot;
    private final Session session;
    private final LuaEngine.Flags flags;
    private final boolean readOnly;
    private final Needs needs;
    private final Scripts.Running running;
    /** The first slot touched (shebang scripts without allow-cross-slot-keys stay in it). */
    private int firstSlot;
    /** The error replies redis.call and redis.pcall gave this run (counted in errorstats). */
    private final List<String> errors = new ArrayList<>();

    Context(
        Transactions.Tx tx,
        boolean everySlot,
        Session session,
        LuaEngine.Flags flags,
        boolean readOnlyCommand,
        Needs needs,
        Scripts.Running running) {
      this.tx = tx;
      this.everySlot = everySlot;
      this.session = session;
      this.flags = flags;
      this.readOnly = readOnlyCommand || flags.has("no-writes");
      this.needs = needs;
      this.running = running;
      SortedSet<Integer> held = tx.slots();
      this.firstSlot = held.isEmpty() ? -1 : held.first();
    }

    @Override
    public Reply aclCheck(byte[][] argv) {
      CommandTable table = router.table();
      CommandSpec top = table.lookup(argv[0]);
      CommandSpec spec = table.resolve(argv);
      if (top == null || spec == null) {
        return Err.err("Invalid command passed to redis.acl_check_cmd()");
      }
      return Reply.integer(router.acl().deny(session, top, spec, argv) == null ? 1 : 0);
    }

    /** Whether the script's error reply {@code r} only passes on one of its calls' errors. */
    boolean passesOn(Reply r) {
      if (!(r instanceof Reply.Error e)) {
        return false;
      }
      for (String text : errors) {
        // redis.call's error comes back with the script's name and line after it.
        if (e.text().startsWith(text)) {
          return true;
        }
      }
      return false;
    }

    @Override
    public Reply call(byte[][] argv) {
      Reply r = checkedCall(argv);
      if (r instanceof Reply.Error e && !needs.any()) {
        errors.add(e.text());
      }
      return r;
    }

    /** Refused by the script's checks before it ran: rejected_calls, and its error counted. */
    private Reply refused(CommandSpec spec, Reply r) {
      CommandStats stats = router.commandStats();
      stats.rejected(spec);
      stats.error(r);
      return r;
    }

    private Reply checkedCall(byte[][] argv) {
      if (needs.any()) {
        return Err.err("the script runs again");
      }
      CommandTable table = router.table();
      CommandSpec top = table.lookup(argv[0]);
      if (top == null) {
        return refused(null, Err.err("Unknown Redis command called from script"));
      }
      if (table.check(argv) != null) {
        CommandSpec named = table.resolve(argv);
        return named == null || (top.isContainer() && argv.length < 2)
            ? refused(null, Err.err("Unknown Redis command called from script"))
            : refused(named, Err.err("Wrong number of args calling Redis command from script"));
      }
      CommandSpec spec = table.resolve(argv);
      if (top.flags().contains("noscript") || spec.flags().contains("noscript")) {
        return refused(spec, Err.err("This Redis command is not allowed from script"));
      }
      if ((top.name().equals("xread") || top.name().equals("xreadgroup")) && blocks(argv)) {
        // Other blocking commands run without blocking in a script; these refuse, as in Redis.
        return refused(spec, Err.err(new String(argv[0], StandardCharsets.UTF_8) + " command is not allowed with BLOCK option from scripts"));
      }
      Acl.Denial denied = router.acl().deny(session, top, spec, argv);
      if (denied != null) {
        router.acl().logDenial(session, denied, "lua");
        return refused(
            spec,
            Err.err(
                switch (denied.reason()) {
                  case "key" -> "The user executing the script can't access at least one of the keys mentioned in the command arguments";
                  case "channel" -> "The user executing the script can't publish to the channel mentioned in the command";
                  default -> "The user executing the script can't run this command or subcommand";
                }));
      }
      boolean write = spec.isWrite() || spec.flags().contains("may_replicate");
      if (readOnly && write) {
        return refused(spec, Err.err("Write commands are not allowed from read-only scripts."));
      }
      Evictor ev = router.evictor();
      if (!running.wroteAny()
          && spec.flags().contains(CommandFlags.DENYOOM)
          && !flags.has("allow-oom")
          && ev != null
          && ev.over()) {
        return refused(spec, Err.OOM);
      }
      int[] keyPositions = table.keyPositions(spec, argv);
      SortedSet<Integer> slots = Router.slotsOf(argv, keyPositions);
      ClusterView view = router.cluster();
      if (view != null) {
        for (int slot : slots) {
          if (!view.owns(slot) || slots.size() > 1) {
            return refused(spec, Err.err("Script attempted to access a non local key in a cluster node"));
          }
        }
      }
      if (view != null && flags.shebang() && !flags.has("allow-cross-slot-keys")) {
        for (int slot : slots) {
          if (firstSlot < 0) {
            firstSlot = slot;
          } else if (slot != firstSlot) {
            return refused(spec, Err.err("Script attempted to access keys that do not hash to the same slot"));
          }
        }
      }
      Binding binding = router.commands().get(top.name());
      if (binding.kind() == Kind.KEYSPACE_WIDE && !everySlot) {
        needs.everySlot = true; // it runs again holding every non-empty slot
      }
      SortedSet<Integer> wanted = new TreeSet<>(slots);
      if (keyPositions.length == 0 && !binding.kind().atConnection() && tx.slots().isEmpty()) {
        wanted.add(0); // a keyless slot command runs in a slot this transaction must hold
      }
      try {
        for (int slot : wanted) {
          // Taken now if no other transaction holds it; otherwise the run is undone and runs
          // again holding it (locking in order, waiting its turn).
          if (needs.everySlot || !tx.tryLock(slot).toCompletableFuture().get()) {
            needs.slots.add(slot);
          }
        }
      } catch (ExecutionException e) {
        needs.slots.addAll(wanted);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Err.err("interrupted");
      }
      if (needs.any()) {
        scripts.abortRunning();
        return Err.err("the script runs again");
      }
      if (spec.isReadonly()) {
        needs.read = true;
      }
      SortedSet<Integer> held = tx.slots();
      try {
        Reply r = transactions.runQueued(tx, session, argv, held, everySlot, needs, true).toCompletableFuture().get();
        if (needs.any()) {
          // SORT's BY/GET named a slot another transaction holds: undone, run again holding it.
          scripts.abortRunning();
          return Err.err("the script runs again");
        }
        if (spec.isWrite() && !(r instanceof Reply.Error)) {
          running.wrote();
        }
        return r;
      } catch (ExecutionException e) {
        return ServerCommands.failed(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Err.err("interrupted");
      }
    }
  }

  private CompletionStage<Reply> script(byte[][] a) {
    String sub = new String(a[1], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    switch (sub) {
      case "load":
        return scripts
            .submit(
                engine -> {
                  try {
                    return (Reply) Reply.bulk(scripts.load(engine, a[2]));
                  } catch (LuaEngine.ScriptError e) {
                    return Reply.error(e.getMessage());
                  }
                })
            .exceptionally(ServerCommands::failed);
      case "exists": {
        List<Reply> found = new ArrayList<>();
        for (int i = 2; i < a.length; i++) {
          found.add(Reply.integer(scripts.exists(new String(a[i], StandardCharsets.UTF_8)) ? 1 : 0));
        }
        return done(Reply.array(found));
      }
      case "flush":
        if (a.length > 3
            || (a.length == 3 && !Args.is(a[2], "ASYNC") && !Args.is(a[2], "SYNC"))) {
          return done(Err.err("SCRIPT FLUSH only support SYNC|ASYNC option"));
        }
        return scripts.submit(
            engine -> {
              scripts.flush(engine);
              return Reply.OK;
            });
      case "kill":
        return done(scripts.kill());
      case "help":
        return done(help());
      default:
        return done(Err.err("unknown subcommand '" + new String(a[1], StandardCharsets.UTF_8) + "'. Try SCRIPT HELP."));
    }
  }

  private CompletionStage<Reply> function(byte[][] a) {
    String sub = new String(a[1], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    switch (sub) {
      case "kill":
        return done(scripts.killFunction());
      case "stats":
        return done(scripts.stats());
      case "help":
        return done(ServerCommands.helpReply(FUNCTION_HELP));
      case "load":
      case "delete":
      case "flush":
      case "list":
      case "dump":
      case "restore":
        return scripts
            .submit(
                engine -> {
                  try {
                    return scripts.functionCommand(engine, sub, a);
                  } catch (LuaEngine.ScriptError e) {
                    return Reply.error(e.getMessage());
                  }
                })
            .exceptionally(ServerCommands::failed);
      default:
        return done(Err.err("unknown subcommand '" + new String(a[1], StandardCharsets.UTF_8) + "'. Try FUNCTION HELP."));
    }
  }

  private static final List<String> FUNCTION_HELP =
      List.of(
          "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "LOAD [REPLACE] <FUNCTION CODE>",
          "    Create a new library with the given library name and code.",
          "DELETE <LIBRARY NAME>",
          "    Delete the given library.",
          "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
          "    Return general information on all the libraries:",
          "    * Library name",
          "    * The engine used to run the Library",
          "    * Library description",
          "    * Functions list",
          "    * Library code (if WITHCODE is given)",
          "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
          "STATS",
          "    Return information about the current function running:",
          "    * Function name",
          "    * Command used to run the function",
          "    * Duration in MS that the function is running",
          "    If no function is running, return nil",
          "    In addition, returns a list of available engines.",
          "KILL",
          "    Kill the current running function.",
          "FLUSH [ASYNC|SYNC]",
          "    Delete all the libraries.",
          "    When called without the optional mode argument, the behavior is determined by the",
          "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
          "    * ASYNC: Asynchronously flush the libraries.",
          "    * SYNC: Synchronously flush the libraries.",
          "DUMP",
          "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
          "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
          "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
          "    control how to handle existing libraries (default APPEND):",
          "    * FLUSH: delete all existing libraries.",
          "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
          "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
          "      libraries with the new libraries (notice that even on this option there is a chance of failure",
          "      in case of functions name collision with another library).",
          "HELP",
          "    Prints this help.");

  private static Reply help() {
    return ServerCommands.helpReply(
        List.of(
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
            "HELP",
            "    Prints this help."));
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }


  /** Whether XREAD/XREADGROUP's options (before STREAMS) hold BLOCK with a value after it. */
  static boolean blocks(byte[][] argv) {
    for (int i = 1; i < argv.length; i++) {
      String o = new String(argv[i], StandardCharsets.UTF_8);
      boolean more = i + 1 < argv.length;
      if (o.equalsIgnoreCase("STREAMS")) {
        return false;
      } else if (o.equalsIgnoreCase("BLOCK") && more) {
        return true;
      } else if (o.equalsIgnoreCase("GROUP") && i + 2 < argv.length) {
        i += 2;
      } else if (o.equalsIgnoreCase("COUNT") && more) {
        i++;
      }
    }
    return false;
  }
}
