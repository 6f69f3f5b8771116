package io.keyshard.node.server;

import io.keyshard.node.slot.SlotEntity;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.CommandTable;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * Decides where a request runs, in one place. The outcomes, in the order they are checked:
 * <ol>
 *   <li>unknown command or wrong arity: Redis's error, before anything else runs;
 *   <li>NOAUTH: a password is set, the connection has not authenticated, and the command is not
 *       flagged no_auth;
 *   <li>a session command (connection state, introspection, keyspace-wide or multi-slot work);
 *   <li>every key in one slot: one message to that slot's entity (the fast path);
 *   <li>keys in several slots: the command's multi-slot path, or CROSSSLOT where it has none yet.
 * </ol>
 * Cluster redirects (MOVED, ASK, TRYAGAIN, CLUSTERDOWN) will be decided here too.
 */
public final class Router {
  private final CommandTable table;
  private final ClusterSharding sharding;
  private final Duration timeout;
  private final NodeSettings settings;
  private final AtomicReferenceArray<EntityRef<SlotEntity.Command>> refs =
      new AtomicReferenceArray<>(16384);
  private volatile Map<String, SessionCommand> sessionCommands = Map.of();

  public Router(CommandTable table, ClusterSharding sharding, NodeSettings settings) {
    this.table = table;
    this.sharding = sharding;
    this.settings = settings;
    this.timeout = settings.requestTimeout();
  }

  public void setSessionCommands(Map<String, SessionCommand> commands) {
    this.sessionCommands = Map.copyOf(commands);
  }

  public CommandTable table() {
    return table;
  }

  public CompletionStage<Reply> dispatch(Session s, byte[][] argv) {
    Reply invalid = table.check(argv);
    if (invalid != null) {
      return done(invalid);
    }
    CommandSpec top = table.lookup(argv[0]);
    CommandSpec spec = table.resolve(argv);
    if (!s.authenticated && settings.requirePass() != null && !top.flags().contains("no_auth")) {
      return done(Err.NOAUTH);
    }
    s.lastCommand = spec.fullName();
    s.lastCommandAt = System.currentTimeMillis();
    SessionCommand sc = sessionCommands.get(top.name());
    if (sc != null) {
      return sc.run(s, argv, spec);
    }
    int[] keys = table.keyPositions(spec, argv);
    if (keys.length == 0) {
      // A keyless form of a keyed command (OBJECT HELP): any slot can answer it.
      return execInSlot(0, top.name(), s.db, argv, false);
    }
    int slot = Slots.slot(argv[keys[0]]);
    for (int i = 1; i < keys.length; i++) {
      if (Slots.slot(argv[keys[i]]) != slot) {
        return done(Err.CROSSSLOT);
      }
    }
    return execInSlot(slot, top.name(), s.db, argv, spec.flags().contains("write"));
  }

  /** Runs one command body in one slot and returns its reply (or a timeout error). */
  public CompletionStage<Reply> execInSlot(
      int slot, String name, int db, byte[][] argv, boolean write) {
    return this.<Reply>ask(slot, replyTo -> new SlotEntity.Exec(name, db, argv, write, replyTo))
        .exceptionally(Router::failure);
  }

  public <T> CompletionStage<T> ask(
      int slot, org.apache.pekko.japi.function.Function<org.apache.pekko.actor.typed.ActorRef<T>, SlotEntity.Command> message) {
    return entity(slot).ask(message, timeout);
  }

  private EntityRef<SlotEntity.Command> entity(int slot) {
    EntityRef<SlotEntity.Command> ref = refs.get(slot);
    if (ref == null) {
      ref = sharding.entityRefFor(SlotEntity.TYPE_KEY, Integer.toString(slot));
      refs.set(slot, ref);
    }
    return ref;
  }

  static Reply failure(Throwable t) {
    Throwable cause = t.getCause() != null && t instanceof java.util.concurrent.CompletionException
        ? t.getCause() : t;
    if (cause instanceof TimeoutException) {
      // The write may or may not have been persisted: the client must treat it as unknown.
      return Reply.error("TRYAGAIN slot did not answer in time; the command may or may not have run");
    }
    return Err.err("internal error: " + cause.getClass().getSimpleName());
  }

  static CompletionStage<Reply> done(Reply r) {
    return CompletableFuture.completedFuture(r);
  }
}
