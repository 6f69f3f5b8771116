package io.keyshard.node.commands;

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
 * <p>The seam for a MIGRATE between members of one Keyshard cluster (a logical hand-over of the
 * key instead of a copy, issue 16) is {@link #targetIsClusterMember}; it is false until that
 * path exists.
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

  /**
   * Whether the target is a member of this node's cluster, to which a MIGRATE would hand the key
   * over instead of copying it. No such path yet, so no target is one.
   */
  boolean targetIsClusterMember(MigrateArgs args) {
    return false;
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

  /** MIGRATE within the cluster: not written yet (issue 16), so it copies like any other. */
  private CompletionStage<Reply> handOver(SlotExecutor slots, int db, MigrateArgs args) {
    return copy(slots, db, args);
  }

  private CompletionStage<Reply> copy(SlotExecutor slots, int db, MigrateArgs args) {
    // Redis 7.0 sends RESTORE-ASKING from a cluster node: the target may be importing the slot.
    return copy.run(slots, db, args, router.cluster() != null);
  }
}
