package io.keyshard.node.commands;

import io.keyshard.node.migrate.InClusterHandOver;
import io.keyshard.node.migrate.MigrateArgs;
import io.keyshard.node.migrate.MigrateCopy;
import io.keyshard.node.server.Router;
import io.keyshard.node.server.Session;
import io.keyshard.node.slot.SlotExecutor;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * MIGRATE: parsed into {@link MigrateArgs}, then sent where its target is. Today every target
 * gets the copy path ({@link MigrateCopy}: DUMP, RESTORE over TCP, DEL), run inside a
 * transaction that holds the keys' slots, so a write to a migrating key waits until it is gone
 * (then it lands on a key that is not there, as in Redis, which blocks everything meanwhile).
 *
 * <p>A MIGRATE between members of one Keyshard cluster is a logical hand-over of the keys
 * instead of a copy ({@link InClusterHandOver}, set in cluster mode; issue 16): it runs before
 * any slot lock is taken, since the hand-over is a message to the keys' slot, which a lock held
 * by the same MIGRATE would make wait.
 */
final class MigrateCommand {
  private final Router router;
  private final MigrateCopy copy;

  MigrateCommand(Router router, MigrateCopy copy) {
    this.router = router;
    this.copy = copy;
  }

  void register(CommandRegistry.Builder r) {
    r.session("migrate", this::run);
  }

  private volatile InClusterHandOver inCluster;

  /** Cluster mode: MIGRATE to a member of the cluster hands the keys over. */
  void setInCluster(InClusterHandOver inCluster) {
    this.inCluster = inCluster;
  }

  /**
   * Whether the target is a member of this node's cluster, to which a MIGRATE hands the keys
   * over instead of copying them.
   */
  boolean targetIsClusterMember(MigrateArgs args) {
    InClusterHandOver c = inCluster;
    return c != null && c.isMember(args);
  }

  private CompletionStage<Reply> run(Session s, byte[][] argv, CommandSpec spec) {
    MigrateArgs args;
    try {
      args = MigrateArgs.parse(argv);
    } catch (RedisException e) {
      return CompletableFuture.completedFuture(e.reply());
    }
    if (args.keys().isEmpty()) {
      return CompletableFuture.completedFuture(MigrateCopy.NOKEY); // KEYS with no key after it
    }
    if (targetIsClusterMember(args)) {
      return inCluster.handOver(s.db, args); // no lock: the keys' slot decides, as the only writer
    }
    SortedSet<Integer> slots = new TreeSet<>();
    args.keys().forEach(k -> slots.add(Slots.slot(k)));
    int db = s.db;
    // Every key's slot stays locked from its DUMP to its deletion.
    return router.transactions().run(slots, tx -> dispatch(tx::exec, db, args));
  }

  /** MIGRATE queued in MULTI: EXEC's transaction already holds the keys' slots. */
  CompletionStage<Reply> inTransaction(SlotExecutor slots, Session s, byte[][] argv) {
    try {
      return dispatch(slots, s.db, MigrateArgs.parse(argv));
    } catch (RedisException e) {
      return CompletableFuture.completedFuture(e.reply());
    }
  }

  private CompletionStage<Reply> dispatch(SlotExecutor slots, int db, MigrateArgs args) {
    if (targetIsClusterMember(args)) {
      return handOver(slots, db, args);
    }
    return copy(slots, db, args);
  }

  /**
   * MIGRATE to a member of the cluster inside a transaction (queued in MULTI): its slots are
   * locked by that transaction, so the hand-over (a message to the slot) cannot run there.
   */
  private CompletionStage<Reply> handOver(SlotExecutor slots, int db, MigrateArgs args) {
    return CompletableFuture.completedFuture(
        Reply.error("ERR MIGRATE to a node of this cluster cannot run inside MULTI"));
  }

  private CompletionStage<Reply> copy(SlotExecutor slots, int db, MigrateArgs args) {
    // Redis 7.0 sends RESTORE-ASKING from a cluster node: the target may be importing the slot.
    return copy.run(slots, db, args, router.cluster() != null);
  }
}
