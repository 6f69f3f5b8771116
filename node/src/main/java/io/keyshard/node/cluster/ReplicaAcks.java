package io.keyshard.node.cluster;

import io.keyshard.node.CborSerializable;
import io.keyshard.node.commands.WaitCommand;
import io.keyshard.node.server.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * WAIT in cluster mode (docs/decisions/2026-12-08-wait.md): a replica of this node counts once
 * its warm copy ({@link Mirror}) has applied, in every slot this connection wrote to, the
 * journal up to the slot's head as read after the connection's writes were acknowledged. The
 * heads come from the shared journal (PostgreSQL), so they are at or after each of those writes;
 * a count is never higher than the truth, it may only wait for writes of other clients too.
 *
 * <p>One actor per node, found through the receptionist. A primary asks every member; a member
 * answers at once that it is not a replica of that primary, or whether its mirror has applied
 * the heads, waiting up to a bound (rechecking its mirror) before it says no. The primary asks
 * again, while the client waits, until enough replicas said yes or the timeout passes.
 */
public final class ReplicaAcks implements WaitCommand.Replicas {
  public static final ServiceKey<Command> KEY =
      ServiceKey.create(Command.class, "keyshard-replica-acks");

  /** How long a replica holds one question before it answers no (the primary asks again). */
  private static final long ROUND_MS = 1000;
  /** How often a replica looks at its mirror again while it holds a question. */
  private static final long RECHECK_MS = 10;

  public interface Command {}

  /** Has this node, as a replica of primary, applied each slot up to its sequence number? */
  public record Applied(
      String primary, List<Integer> slots, List<Long> seqs, long waitMs, ActorRef<Ack> replyTo)
      implements Command, CborSerializable {}

  /** replica: whether the node follows that primary; applied: and has applied the heads. */
  public record Ack(String node, boolean replica, boolean applied) implements CborSerializable {}

  private record Recheck(Applied request, long deadline) implements Command {}

  private record Members(Receptionist.Listing listing) implements Command {}

  private final ActorSystem<?> system;
  private final ClusterView view;
  private final Mirror mirror;
  private final ExecutorService jdbc =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "keyshard-wait-heads");
            t.setDaemon(true);
            return t;
          });
  private volatile Set<ActorRef<Command>> members = Set.of();

  private ReplicaAcks(ActorSystem<?> system, ClusterView view, Mirror mirror) {
    this.system = system;
    this.view = view;
    this.mirror = mirror;
  }

  /** Starts this node's actor (answering primaries) and returns the primary's side of WAIT. */
  public static ReplicaAcks start(ActorSystem<?> system, ClusterView view, Mirror mirror) {
    ReplicaAcks acks = new ReplicaAcks(system, view, mirror);
    system.systemActorOf(acks.behavior(), "replica-acks", Props.empty());
    system.getWhenTerminated().thenRun(acks.jdbc::shutdownNow);
    return acks;
  }

  @Override
  public boolean thisIsAReplica() {
    return view.table().primaryOf(view.myId()) != null;
  }

  @Override
  public CompletionStage<Integer> applied(Session s, long needed, long waitMs) {
    long deadline = waitMs == Long.MAX_VALUE ? Long.MAX_VALUE : System.currentTimeMillis() + waitMs;
    return CompletableFuture.supplyAsync(() -> heads(s), jdbc)
        .thenCompose(heads -> round(s, heads, needed, deadline, new HashSet<>()));
  }

  /** The journal heads of the slots s wrote to that this node still owns. */
  private Map<Integer, Long> heads(Session s) {
    List<Integer> slots = new ArrayList<>();
    BitSet written;
    synchronized (s.writtenSlots) {
      written = (BitSet) s.writtenSlots.clone();
    }
    for (int slot = 0; slot < 16384; slot++) {
      // A slot that moved away took the connection's writes with it: this node's replicas no
      // longer follow it, the new owner's do.
      if ((s.wroteEverywhere || written.get(slot)) && view.owns(slot)) {
        slots.add(slot);
      }
    }
    try {
      return mirror.heads(slots);
    } catch (Exception e) {
      throw new IllegalStateException("WAIT: cannot read the journal's heads: " + e, e);
    }
  }

  /** One round of questions to every member; again until enough said yes or time is up. */
  private CompletionStage<Integer> round(
      Session s, Map<Integer, Long> heads, long needed, long deadline, Set<String> yes) {
    List<Integer> slots = new ArrayList<>(heads.keySet());
    List<Long> seqs = new ArrayList<>();
    for (int slot : slots) {
      seqs.add(heads.get(slot));
    }
    long remaining = Math.max(0, deadline - System.currentTimeMillis());
    long hold = yes.size() >= needed ? 0 : Math.min(remaining, ROUND_MS);
    String me = view.myId();
    List<CompletableFuture<Ack>> asks = new ArrayList<>();
    for (ActorRef<Command> m : members) {
      asks.add(
          AskPattern.<Command, Ack>ask(
                  m,
                  replyTo -> new Applied(me, slots, seqs, hold, replyTo),
                  // A member that is gone must not hold the reply past the client's timeout.
                  Duration.ofMillis(Math.min(hold + 5000, Math.max(hold, remaining) + 1000)),
                  system.scheduler())
              .toCompletableFuture()
              .exceptionally(t -> new Ack("", false, false)));
    }
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
        .thenCompose(
            x -> {
              for (CompletableFuture<Ack> a : asks) {
                Ack ack = a.join();
                if (ack.replica() && ack.applied()) {
                  yes.add(ack.node());
                }
              }
              boolean timeUp = System.currentTimeMillis() >= deadline;
              if (yes.size() >= needed || timeUp || s.closed) {
                return CompletableFuture.completedFuture(yes.size());
              }
              // No replica held the question (none yet, or all answered at once): pause a little.
              long pause = Math.min(50, Math.max(0, deadline - System.currentTimeMillis()));
              return CompletableFuture.supplyAsync(
                      () -> null, CompletableFuture.delayedExecutor(pause, TimeUnit.MILLISECONDS))
                  .thenCompose(y -> round(s, heads, needed, deadline, yes));
            });
  }

  private Behavior<Command> behavior() {
    return Behaviors.setup(
        ctx -> {
          ActorRef<Receptionist.Listing> adapter =
              ctx.messageAdapter(Receptionist.Listing.class, Members::new);
          ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
          ctx.getSystem().receptionist().tell(Receptionist.subscribe(KEY, adapter));
          return Behaviors.receive(Command.class)
              .onMessage(
                  Members.class,
                  m -> {
                    Set<ActorRef<Command>> now = new HashSet<>(m.listing().getServiceInstances(KEY));
                    now.remove(ctx.getSelf());
                    members = Set.copyOf(now);
                    return Behaviors.same();
                  })
              .onMessage(
                  Applied.class,
                  a -> {
                    answer(ctx.getSelf(), a, System.currentTimeMillis() + a.waitMs(), ctx);
                    return Behaviors.same();
                  })
              .onMessage(
                  Recheck.class,
                  r -> {
                    answer(ctx.getSelf(), r.request(), r.deadline(), ctx);
                    return Behaviors.same();
                  })
              .build();
        });
  }

  /** The replica's side: yes, no (not a replica of it, or time is up), or look again soon. */
  private void answer(
      ActorRef<Command> self,
      Applied a,
      long deadline,
      org.apache.pekko.actor.typed.javadsl.ActorContext<Command> ctx) {
    String me = view.myId();
    if (!a.primary().equals(view.table().primaryOf(me)) || !mirror.follows(a.primary())) {
      a.replyTo().tell(new Ack(me, false, false));
      return;
    }
    if (mirror.hasApplied(a.primary(), a.slots(), a.seqs())) {
      a.replyTo().tell(new Ack(me, true, true));
    } else if (System.currentTimeMillis() >= deadline) {
      a.replyTo().tell(new Ack(me, true, false));
    } else {
      ctx.scheduleOnce(Duration.ofMillis(RECHECK_MS), self, new Recheck(a, deadline));
    }
  }
}
