package io.keyshard.node.cluster;

import io.keyshard.node.CborSerializable;
import io.keyshard.node.Futures;
import io.keyshard.node.slot.SlotClient;
import io.keyshard.node.tx.ShareRouter;
import io.keyshard.node.tx.TxLog;
import io.keyshard.persistence.TxEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Cluster mode's {@link ShareRouter}: a committed share goes to the node that owns its slot now,
 * which applies it through its own incarnation of the slot (the one writer of the slot's
 * persistence id). This node's slots are asked directly; another node's through its
 * {@code tx-shares} actor, which checks that it owns the slot and is not fenced, reads the
 * share from the transaction's log in the shared journal (a share may be larger than a remote
 * message may be) and applies it. Whoever sends it, a share is applied once: slots recognise
 * (log, id) (docs/decisions/2026-12-06-fencing-every-write.md).
 */
public final class OwnerShares implements ShareRouter {

  /** Asks the owner of {@code slot} to apply its share of {@code txId} of {@code log}. */
  public record ApplyShare(
      int slot, String log, boolean named, long txId, long completedBelow, ActorRef<Applied> replyTo)
      implements CborSerializable {}

  /** {@code applied}: the share is in the slot (or the transaction was completed already). */
  public record Applied(boolean applied) implements CborSerializable {}

  static ServiceKey<ApplyShare> key(String nodeId) {
    return ServiceKey.create(ApplyShare.class, "tx-shares-" + nodeId);
  }

  private final ActorSystem<?> system;
  private final ClusterView view;
  private final SlotClient slots;
  private final Duration timeout;
  private final Map<String, ActorRef<ApplyShare>> owners = new ConcurrentHashMap<>();

  public OwnerShares(ActorSystem<?> system, ClusterView view, SlotClient slots, Duration timeout) {
    this.system = system;
    this.view = view;
    this.slots = slots;
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<Done> apply(
      int slot, String log, boolean named, long txId, long completedBelow, List<TxEvent.Nested> events) {
    if (view.owns(slot)) {
      return local(slots, slot, log, named, txId, completedBelow, events);
    }
    ClusterView.Node owner = view.table().owner(slot);
    if (owner == null || !reachable(owner)) {
      // Not named yet, or still the node that is gone: asked again once the table moved on.
      return CompletableFuture.failedFuture(
          new IllegalStateException("slot " + slot + " has no reachable owner yet"));
    }
    return ownerActor(owner.id())
        .thenCompose(
            ref ->
                Futures.plain(
                    AskPattern.<ApplyShare, Applied>ask(
                        ref,
                        r -> new ApplyShare(slot, log, named, txId, completedBelow, r),
                        timeout.multipliedBy(2),
                        system.scheduler())))
        .thenApply(
            a -> {
              if (!a.applied()) {
                throw new IllegalStateException(
                    "node " + owner.id() + " did not apply slot " + slot + "'s share (not its owner now?)");
              }
              return Done.getInstance();
            })
        .whenComplete(
            (d, t) -> {
              if (t != null) {
                owners.remove(owner.id()); // found again next time (the node may have restarted)
              }
            });
  }

  /** Whether the node is an Up member that this node reaches now. */
  private boolean reachable(ClusterView.Node node) {
    return reachable(system, node);
  }

  /** Whether {@code node} is an Up member that this node reaches now. */
  static boolean reachable(ActorSystem<?> system, ClusterView.Node node) {
    CurrentClusterState state = Cluster.get(system).state();
    for (Member m : state.getMembers()) {
      if (m.address().host().get().equals(node.host())
          && (Integer) m.address().port().get() == node.busPort()) {
        return m.status() == MemberStatus.up() && !state.getUnreachable().contains(m);
      }
    }
    return false;
  }

  private static CompletionStage<Done> local(
      SlotClient slots,
      int slot,
      String log,
      boolean named,
      long txId,
      long completedBelow,
      List<TxEvent.Nested> events) {
    return slots.<Done>ask(slot, r -> ShareRouter.message(log, named, txId, completedBelow, events, r));
  }

  private CompletionStage<ActorRef<ApplyShare>> ownerActor(String nodeId) {
    ActorRef<ApplyShare> known = owners.get(nodeId);
    if (known != null) {
      return CompletableFuture.completedFuture(known);
    }
    return Futures.plain(
            AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
                system.receptionist(),
                r -> Receptionist.find(key(nodeId), r),
                timeout,
                system.scheduler()))
        .thenApply(
            listing -> {
              var found = listing.getServiceInstances(key(nodeId));
              if (found.isEmpty()) {
                throw new IllegalStateException("no tx-shares actor on node " + nodeId + " yet");
              }
              ActorRef<ApplyShare> ref = found.iterator().next();
              owners.put(nodeId, ref);
              return ref;
            });
  }

  /**
   * This node's {@code tx-shares} actor: applies shares of slots it owns for other nodes. It
   * answers {@code applied=false} for a slot it does not own, or while it is fenced.
   */
  public static Behavior<ApplyShare> create(
      String nodeId, ClusterView view, SlotClient slots, Duration timeout) {
    return Behaviors.setup(
        ctx -> {
          ctx.getSystem().receptionist().tell(Receptionist.register(key(nodeId), ctx.getSelf()));
          return Behaviors.receiveMessage(
              a -> {
                if (!view.owns(a.slot()) || view.fenced()) {
                  a.replyTo().tell(new Applied(false));
                  return Behaviors.same();
                }
                // The share itself comes from the log: every committed transaction is there
                // until it is completed, and a completed one needs nothing more.
                ActorRef<TxLog.Command> reader = ctx.spawnAnonymous(TxLog.reader(a.log()));
                Futures.plain(
                        AskPattern.<TxLog.Command, TxLog.Pending>ask(
                            reader, TxLog.GetPending::new, timeout, ctx.getSystem().scheduler()))
                    .whenComplete((p, t) -> reader.tell(TxLog.Stop.INSTANCE))
                    .thenCompose(
                        pending -> {
                          List<TxEvent.Nested> events = shareOf(pending, a.txId(), a.slot());
                          if (events == null) {
                            return CompletableFuture.completedFuture(Done.getInstance());
                          }
                          return local(slots, a.slot(), a.log(), a.named(), a.txId(), a.completedBelow(), events);
                        })
                    .whenComplete((d, t) -> a.replyTo().tell(new Applied(t == null)));
                return Behaviors.same();
              });
        });
  }

  /** The slot's events in the pending transaction, or null if there is nothing to apply. */
  private static List<TxEvent.Nested> shareOf(TxLog.Pending pending, long txId, int slot) {
    for (TxEvent.TxPrepared p : pending.pending()) {
      if (p.txId() == txId) {
        for (TxEvent.SlotShare s : p.shares()) {
          if (s.slot() == slot) {
            return s.events();
          }
        }
        return null;
      }
    }
    return null; // completed: every share was applied
  }
}
