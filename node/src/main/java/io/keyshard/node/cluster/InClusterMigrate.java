package io.keyshard.node.cluster;

import io.keyshard.node.migrate.InClusterHandOver;
import io.keyshard.node.migrate.MigrateArgs;
import io.keyshard.node.slot.Migration;
import io.keyshard.node.slot.SlotClient;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * MIGRATE's in-cluster branch: to a member of this cluster, moving a key is logical
 * ({@link #inCluster}; docs/decisions/2026-12-06-slot-migration-protocol.md). MIGRATE itself
 * (commands/MigrateCommand, with its copy path to other servers) asks it through
 * {@link InClusterHandOver} before it takes any slot lock.
 */
public final class InClusterMigrate {
  private InClusterMigrate() {}

  /** The hand-over as MIGRATE's seam sees it, over this node's view and slots. */
  public static InClusterHandOver seam(ClusterView view, SlotClient slots) {
    return new InClusterHandOver() {
      @Override
      public boolean isMember(MigrateArgs args) {
        return member(view, args.host(), args.port()) != null;
      }

      @Override
      public CompletionStage<Reply> handOver(int clientDb, MigrateArgs args) {
        ClusterView.Node target = member(view, args.host(), args.port());
        return target == null
            ? done(Err.err("the target of MIGRATE is no longer a member of this cluster"))
            : inCluster(view, slots, target, clientDb, args);
      }
    };
  }

  /** The member of this cluster at host:port (its client address), or null. */
  static ClusterView.Node member(ClusterView view, String host, int port) {
    for (ClusterView.Node n : view.table().nodes()) {
      if (n.port() == port && n.host().equals(host)) {
        return n;
      }
    }
    return null;
  }

  /**
   * MIGRATE to {@code target}, a member of this cluster: the keys' slot must be migrating from
   * this node to it; its entity hands over those of the keys still on this side, in one journaled
   * event, and from then on answers ASK for them. Nothing is copied: the slot's keys stay in its
   * one persistence id, written by this node's entity alone until SETSLOT NODE. Answers OK, NOKEY
   * (none of the keys was on this side), or an error.
   */
  static CompletionStage<Reply> inCluster(
      ClusterView view, SlotClient slots, ClusterView.Node target, int clientDb, MigrateArgs a) {
    if (a.keys().isEmpty()) {
      return done(Reply.simple("NOKEY"));
    }
    if (a.copy()) {
      return done(
          Err.err("MIGRATE COPY to a node of this cluster: a key has one copy, in the shared journal; MIGRATE without COPY hands it over"));
    }
    if (a.db() != clientDb) {
      return done(
          Err.err("MIGRATE to another database of a node of this cluster: a key keeps its database when its slot moves"));
    }
    int slot = Slots.slot(a.keys().get(0));
    Migration migration = view.migration(slot);
    if (migration == null || !migration.target().equals(target.address())) {
      // What the target itself would answer to RESTORE-ASKING of a slot it does not import.
      ClusterView.Node owner = view.table().owner(slot);
      return done(
          Err.err("Target instance replied with error: "
              + (owner == null ? "CLUSTERDOWN Hash slot not served" : "MOVED " + slot + " " + owner.address())));
    }
    return slots
        .<Reply>ask(slot, r -> new SlotEntity.HandOver(migration.id(), clientDb, a.keys(), r))
        .exceptionally(t -> SlotClient.failure(t, true));
  }

  private static CompletionStage<Reply> done(Reply r) {
    return CompletableFuture.completedFuture(r);
  }
}
