package io.keyshard.node.cluster;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node from serving keys when the cluster's majority may be taking its slots over
 * (docs/decisions/2026-11-22-failover.md), and tells the slot table when a member is gone.
 *
 * <ul>
 *   <li>Cut off: while this node cannot reach a majority of the members (a tie goes to the side
 *       with the lowest address, as the split brain resolver's keep-majority decides), it is
 *       fenced: keyed commands get {@code CLUSTERDOWN The cluster is down}. The majority takes
 *       its slots only after downing it and a margin, so the two never serve a slot at once.
 *   <li>Paused (a long GC pause, SIGSTOP): a watchdog thread that finds its own ticks late by more
 *       than {@code pauseLimit} fences the node for {@code settle}, long enough for the failure
 *       detector and gossip to tell it whether it was downed meanwhile.
 *   <li>A member downed: the table is told, and takes over its slots (one that left
 *       cleanly keeps them until it is back, or an operator moves them).
 * </ul>
 */
public final class Fencing {
  private static final Logger log = LoggerFactory.getLogger(Fencing.class);

  private Fencing() {}

  /**
   * Starts watching; {@code table} hears of removed members, and {@code removed} collects their
   * cluster bus addresses (host:port).
   */
  public static void start(
      ActorSystem<?> system,
      ClusterView view,
      ActorRef<SlotTable.Command> table,
      Set<String> removed,
      Duration pauseLimit,
      Duration settle) {
    AtomicLong pausedUntil = new AtomicLong();
    system.systemActorOf(watcher(view, table, removed, pausedUntil), "fencing", Props.empty());
    Thread watchdog =
        new Thread(
            () -> {
              long tick = 100;
              long last = System.nanoTime();
              while (!system.whenTerminated().isCompleted()) {
                try {
                  Thread.sleep(tick);
                } catch (InterruptedException e) {
                  return;
                }
                long now = System.nanoTime();
                long lateMs = (now - last) / 1_000_000 - tick;
                last = now;
                if (lateMs > pauseLimit.toMillis()) {
                  log.warn(
                      "This node was paused for {} ms: it serves no key for {} while it learns whether the cluster downed it",
                      lateMs, settle);
                  pausedUntil.set(System.currentTimeMillis() + settle.toMillis());
                  view.setFenced(true);
                } else if (pausedUntil.get() != 0 && System.currentTimeMillis() > pausedUntil.get()) {
                  pausedUntil.set(0);
                  recheck(system, view, pausedUntil);
                }
              }
            },
            "keyshard-pause-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }

  private static void recheck(ActorSystem<?> system, ClusterView view, AtomicLong pausedUntil) {
    boolean cutOff = cutOff(Cluster.get(system));
    view.setFenced(cutOff || pausedUntil.get() != 0);
  }

  private static Behavior<ClusterEvent.ClusterDomainEvent> watcher(
      ClusterView view,
      ActorRef<SlotTable.Command> table,
      Set<String> removedMembers,
      AtomicLong pausedUntil) {
    return Behaviors.setup(
        ctx -> {
          Cluster cluster = Cluster.get(ctx.getSystem());
          cluster.subscriptions().tell(Subscribe.create(ctx.getSelf(), ClusterEvent.ClusterDomainEvent.class));
          return Behaviors.receiveMessage(
              event -> {
                if (event instanceof ClusterEvent.MemberDowned downed
                    && !downed.member().address().equals(cluster.selfMember().address())) {
                  // Downed is final (a downed incarnation never comes back), and the cut-off side
                  // stopped serving when it lost the majority, before the resolver decided: the
                  // table need not wait for the leader to remove the member as well.
                  Address a = downed.member().address();
                  log.info("Member {} was downed", a);
                  table.tell(new SlotTable.NodeDown(a.host().get(), (Integer) a.port().get()));
                }
                if (event instanceof ClusterEvent.MemberRemoved removed
                    && !removed.member().address().equals(cluster.selfMember().address())) {
                  Address a = removed.member().address();
                  log.info("Member {} was removed ({})", a, removed.previousStatus());
                  removedMembers.add(a.host().get() + ":" + a.port().get());
                  // Only a member that was downed (dead, frozen, cut off) loses its slots. One
                  // that left (a clean stop) keeps them, as a stopped Redis primary does, so a
                  // full restart keeps the ownership; CLUSTER SETSLOT moves them meanwhile.
                  if (removed.previousStatus() == MemberStatus.down()) {
                    table.tell(new SlotTable.NodeDown(a.host().get(), (Integer) a.port().get()));
                  }
                }
                boolean cutOff = cutOff(cluster);
                boolean fenced = cutOff || pausedUntil.get() != 0;
                if (fenced != view.fenced()) {
                  log.warn(
                      fenced
                          ? "This node cannot reach a majority of the cluster: it serves no key until it can"
                          : "This node reaches a majority of the cluster again: serving keys");
                }
                view.setFenced(fenced);
                return Behaviors.same();
              });
        });
  }

  /**
   * Whether this node is on the losing side as keep-majority sees it: it reaches no more than
   * half of the members (Up or leaving), and on an exact half, not the member with the lowest
   * address.
   */
  static boolean cutOff(Cluster cluster) {
    Set<Member> unreachable = new HashSet<>();
    cluster.state().getUnreachable().forEach(unreachable::add);
    if (unreachable.isEmpty()) {
      return false;
    }
    int total = 0;
    int reachable = 0;
    Member lowest = null;
    Member lowestReachable = null;
    for (Member m : cluster.state().getMembers()) {
      MemberStatus st = m.status();
      if (st != MemberStatus.up() && st != MemberStatus.leaving() && st != MemberStatus.exiting()
          && st != MemberStatus.weaklyUp()) {
        continue;
      }
      total++;
      if (lowest == null || Member.addressOrdering().compare(m.address(), lowest.address()) < 0) {
        lowest = m;
      }
      if (!unreachable.contains(m)) {
        reachable++;
        if (lowestReachable == null
            || Member.addressOrdering().compare(m.address(), lowestReachable.address()) < 0) {
          lowestReachable = m;
        }
      }
    }
    if (reachable * 2 > total) {
      return false;
    }
    if (reachable * 2 == total) {
      return lowest == null || !lowest.equals(lowestReachable);
    }
    return true;
  }
}
