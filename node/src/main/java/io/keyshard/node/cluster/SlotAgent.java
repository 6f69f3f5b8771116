package io.keyshard.node.cluster;

import io.keyshard.node.CborSerializable;
import io.keyshard.node.Futures;
import io.keyshard.node.journal.JdbcEngine;
import io.keyshard.node.route.Verdict;
import io.keyshard.node.server.Router;
import io.keyshard.node.slot.LocalSlots;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.node.slot.SlotIndex;
import io.keyshard.node.slot.Warmer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.IntPredicate;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of moving slots (docs/decisions/2026-11-22-cluster-mode-plan.md): the slot
 * table asks it to {@link Release} slots it is giving away, and to {@link Adopt} the non-empty
 * ones it receives. Releasing parks new requests for those slots in the router, hands every
 * running slot entity off (it persists what is open and stops), and forgets the slots in this
 * node's index; once the table names the new owner, the parked requests get MOVED.
 */
public final class SlotAgent {
  private SlotAgent() {}

  public sealed interface Command extends CborSerializable {}

  /**
   * Give up these slots (inclusive start, end pairs) to the node at host:port, or to nobody
   * when {@code host} is null (CLUSTER DELSLOTS).
   */
  public record Release(List<Integer> ranges, String host, int port, ActorRef<Released> replyTo)
      implements Command {}

  /** Done: these of the released slots held keys. */
  public record Released(List<Integer> nonEmpty) implements CborSerializable {}

  /** Start these slots here (they hold keys), so the index and keyspace-wide commands see them. */
  public record Adopt(List<Integer> slots) implements Command {}

  private record Finished(Release request, List<Integer> nonEmpty) implements Command {}

  /** Answer once this node's view of the table gives it these slots. */
  public record AwaitOwnership(List<Integer> slots, ActorRef<Owned> replyTo) implements Command {}

  public record Owned() implements CborSerializable {}

  /**
   * CLUSTER MIGRATESLOTS, on the target: read these slots from the journal into warm state while
   * their owner still serves them (Mirror#prewarm), so that their entities here replay only the
   * tail once the table gives them to this node.
   */
  public record Prewarm(List<Integer> slots, ActorRef<Prewarmed> replyTo) implements Command {}

  /** Done: {@code held} of the slots hold data and are warm here (-1: the read failed). */
  public record Prewarmed(int held, long millis) implements CborSerializable {}

  /**
   * On the source, after the table switched these slots: answer, once their hand-offs are over
   * (or within {@link #PAUSE_REPORT_WAIT}), how long each held its requests parked.
   */
  public record ReportPauses(List<Integer> slots, ActorRef<Pauses> replyTo) implements Command {}

  public record Pauses(List<Long> millis) implements CborSerializable {}

  private record PauseReportDue(ReportPauses request) implements Command {}

  static final Duration PAUSE_REPORT_WAIT = Duration.ofSeconds(20);

  /** The table changed (a Distributed Data update reached this node). */
  private enum TableChanged implements Command {
    INSTANCE
  }

  private record Confirmed(List<Integer> slots) implements Command {}

  private static final Logger LOG = LoggerFactory.getLogger(SlotAgent.class);

  /**
   * Slots this node gains may hold keys it has never seen: wakes those that do. On PostgreSQL
   * one query finds them and their journal heads, which spares each recovery its own query (a
   * takeover of a third of the slots took seconds of per-slot queries).
   */
  private static void wakeGained(
      ActorSystem<?> system,
      Router router,
      ClusterView view,
      List<Integer> gained) {
    BitSet mine = new BitSet();
    gained.forEach(mine::set);
    IntPredicate still = slot -> mine.get(slot) && view.owns(slot);
    Mirror mirror = Mirror.of(system.classicSystem());
    if (mirror == null) {
      Warmer.warmFromJournal(JdbcEngine.persistenceIds(system), router.slots(), still);
      return;
    }
    // Slots read ahead of a CLUSTER MIGRATESLOTS are checked against the journal first.
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    mirror
        .checkIncoming(gained, blocking)
        .whenComplete((v, t) -> wakeWarm(router, mirror, gained, still, blocking));
  }

  private static void wakeWarm(
      Router router, Mirror mirror, List<Integer> gained, IntPredicate still, Executor blocking) {
    long started = System.nanoTime();
    // The heads query is asked first, so that every recovery finds its head (or waits for it);
    // the slots this node's mirror holds warm wake meanwhile, the others once the query named them.
    CompletableFuture<List<Integer>> heads = mirror.gained(gained, blocking);
    List<Integer> warm = mirror.warmAmong(gained);
    CompletableFuture<Void> warmWoken = Warmer.warm(router.slots(), warm, still);
    Set<Integer> wokenFirst = new HashSet<>(warm);
    heads
        .thenCompose(
            nonEmpty -> {
              long headsRead = System.nanoTime();
              List<Integer> rest = new ArrayList<>(nonEmpty);
              rest.removeIf(wokenFirst::contains);
              return Warmer.warm(router.slots(), rest, still)
                  .thenCombine(warmWoken, (a, b) -> null)
                  .thenRun(
                      () ->
                          LOG.info(
                              "Woke {} gained slots holding keys (of {}) in {} ms ({} held warm; journal heads read in {} ms)",
                              rest.size() + warm.size(),
                              gained.size(),
                              (System.nanoTime() - started) / 1_000_000,
                              warm.size(),
                              (headsRead - started) / 1_000_000));
            })
        .whenComplete(
            (v, t) -> {
              if (t != null) {
                LOG.warn("Could not wake gained slots: {}", t.toString());
              }
            });
  }

  public static ServiceKey<Command> key(String nodeId) {
    return ServiceKey.create(Command.class, "slot-agent-" + nodeId);
  }

  public static Behavior<Command> create(
      String nodeId, Router router, LocalSlots local, ActorRef<SlotIndex.Command> index, ClusterView view) {
    return Behaviors.setup(
        ctx -> {
          ctx.getSystem().receptionist().tell(Receptionist.register(key(nodeId), ctx.getSelf()));
          // A parked slot whose new owner is in the table gets MOVED, once the new owner knows
          // it too (or it would send the client back here).
          ActorSystem<?> system = ctx.getSystem();
          // How long a slot may stay parked if the table never names its new owner.
          Duration parkLimit = system.settings().config().getDuration("keyshard.cluster.move-park-limit");
          view.onChange(
              (before, after) -> {
                ctx.getSelf().tell(TableChanged.INSTANCE);
                List<Integer> gained = new ArrayList<>();
                for (int slot = 0; slot < 16384; slot++) {
                  ClusterView.Node was = before.owner(slot);
                  ClusterView.Node is = after.owner(slot);
                  if (is != null && is.id().equals(nodeId) && (was == null || !was.id().equals(nodeId))) {
                    gained.add(slot);
                  }
                }
                if (!gained.isEmpty()) {
                  wakeGained(system, router, view, gained);
                }
              });
          List<AwaitOwnership> awaiting = new ArrayList<>();
          Set<Integer> confirming = new HashSet<>();
          ParkTimes parks = new ParkTimes();
          List<ReportPauses> reports = new ArrayList<>();
          return Behaviors.receive(Command.class)
              .onMessage(
                  Release.class,
                  r -> {
                    List<Integer> slots = expand(r.ranges());
                    Map<Integer, CompletableFuture<Void>> gates = router.beginMove(slots);
                    parks.begin(slots);
                    ctx.getSystem()
                        .scheduler()
                        .scheduleOnce(
                            parkLimit,
                            () -> gates.forEach(router::endMove),
                            ctx.getSystem().executionContext());
                    List<CompletableFuture<?>> stops = new ArrayList<>();
                    for (int slot : slots) {
                      if (local.running(slot)) {
                        String moved =
                            (r.host() == null
                                    ? Verdict.SLOT_NOT_SERVED
                                    : new Verdict.Moved(slot, r.host() + ":" + r.port()))
                                .text();
                        stops.add(
                            router.slots()
                                .<Done>ask(slot, reply -> new SlotEntity.Handoff(moved, reply))
                                .toCompletableFuture());
                      }
                    }
                    CompletableFuture<List<Integer>> done =
                        CompletableFuture.allOf(stops.toArray(new CompletableFuture[0]))
                            .thenCompose(
                                v ->
                                    Futures.plain(
                                        AskPattern.<SlotIndex.Command, SlotIndex.Slots>ask(
                                            index,
                                            SlotIndex.GetSlots::new,
                                            Duration.ofSeconds(30),
                                            ctx.getSystem().scheduler())))
                            .thenApply(
                                indexed -> {
                                  BitSet moving = new BitSet();
                                  slots.forEach(moving::set);
                                  List<Integer> nonEmpty = new ArrayList<>();
                                  for (int s : indexed.slots()) {
                                    if (moving.get(s)) {
                                      nonEmpty.add(s);
                                    }
                                  }
                                  return nonEmpty;
                                });
                    ctx.pipeToSelf(
                        done,
                        (nonEmpty, failure) -> new Finished(r, failure == null ? nonEmpty : null));
                    return Behaviors.same();
                  })
              .onMessage(
                  Finished.class,
                  f -> {
                    if (f.nonEmpty() == null) {
                      ctx.getLog().warn("Handing off slots {} failed; they stay here", f.request().ranges());
                      expand(f.request().ranges()).forEach(router::endMove);
                      parks.forget(expand(f.request().ranges()));
                      return Behaviors.same(); // no reply: the table's ask fails and it gives up
                    }
                    for (int s : f.nonEmpty()) {
                      index.tell(new SlotIndex.Unregister(s));
                    }
                    f.request().replyTo().tell(new Released(f.nonEmpty()));
                    return Behaviors.same();
                  })
              .onMessage(
                  TableChanged.class,
                  t -> {
                    awaiting.removeIf(
                        a -> {
                          if (a.slots().stream().allMatch(view::owns)) {
                            a.replyTo().tell(new Owned());
                            return true;
                          }
                          return false;
                        });
                    Map<String, List<Integer>> byOwner = new HashMap<>();
                    for (int slot = 0; slot < 16384; slot++) {
                      if (router.isMoving(slot) && !view.owns(slot) && !confirming.contains(slot)) {
                        ClusterView.Node owner = view.table().owner(slot);
                        if (owner != null) {
                          byOwner.computeIfAbsent(owner.id(), o -> new ArrayList<>()).add(slot);
                        } else {
                          router.endMove(slot); // given to nobody: its requests get CLUSTERDOWN
                          parks.end(List.of(slot));
                        }
                      }
                    }
                    byOwner.forEach(
                        (owner, slots) -> {
                          confirming.addAll(slots);
                          CompletableFuture<Owned> owned =
                              Futures.plain(
                                      AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
                                          ctx.getSystem().receptionist(),
                                          r -> Receptionist.find(key(owner), r),
                                          Duration.ofSeconds(10),
                                          ctx.getSystem().scheduler()))
                                  .thenCompose(
                                      listing ->
                                          Futures.plain(
                                              AskPattern.<Command, Owned>ask(
                                                  listing.getServiceInstances(key(owner)).iterator().next(),
                                                  r -> new AwaitOwnership(slots, r),
                                                  Duration.ofSeconds(10),
                                                  ctx.getSystem().scheduler())))
                                  .toCompletableFuture();
                          // Confirmed or not within the time, the requests go on (to MOVED).
                          ctx.pipeToSelf(owned, (o, failure) -> new Confirmed(slots));
                        });
                    return Behaviors.same();
                  })
              .onMessage(
                  Confirmed.class,
                  c -> {
                    c.slots().forEach(router::endMove);
                    parks.end(c.slots());
                    confirming.removeAll(c.slots());
                    reports.removeIf(
                        p -> {
                          if (parks.allEnded(p.slots())) {
                            p.replyTo().tell(new Pauses(parks.take(p.slots())));
                            return true;
                          }
                          return false;
                        });
                    return Behaviors.same();
                  })
              .onMessage(
                  ReportPauses.class,
                  p -> {
                    if (parks.allEnded(p.slots())) {
                      p.replyTo().tell(new Pauses(parks.take(p.slots())));
                    } else {
                      reports.add(p);
                      ctx.scheduleOnce(PAUSE_REPORT_WAIT, ctx.getSelf(), new PauseReportDue(p));
                    }
                    return Behaviors.same();
                  })
              .onMessage(
                  PauseReportDue.class,
                  d -> {
                    if (reports.remove(d.request())) {
                      d.request().replyTo().tell(new Pauses(parks.take(d.request().slots())));
                    }
                    return Behaviors.same();
                  })
              .onMessage(
                  Prewarm.class,
                  p -> {
                    Mirror mirror = Mirror.of(system.classicSystem());
                    if (mirror == null) {
                      p.replyTo().tell(new Prewarmed(0, 0)); // no shared journal to read ahead
                      return Behaviors.same();
                    }
                    long t0 = System.nanoTime();
                    CompletableFuture.supplyAsync(
                            () -> {
                              try {
                                return mirror.prewarm(p.slots());
                              } catch (Exception e) {
                                LOG.warn("Could not read slots ahead of their move here: {}", e.toString());
                                return -1;
                              }
                            },
                            system.dispatchers().lookup(DispatcherSelector.blocking()))
                        .thenAccept(
                            held -> p.replyTo().tell(new Prewarmed(held, (System.nanoTime() - t0) / 1_000_000)));
                    return Behaviors.same();
                  })
              .onMessage(
                  AwaitOwnership.class,
                  a -> {
                    if (a.slots().stream().allMatch(view::owns)) {
                      a.replyTo().tell(new Owned());
                    } else {
                      awaiting.add(a);
                    }
                    return Behaviors.same();
                  })
              .onMessage(
                  Adopt.class,
                  a -> {
                    Warmer.warm(router.slots(), a.slots(), view::owns);
                    return Behaviors.same();
                  })
              .build();
        });
  }

  static List<Integer> expand(List<Integer> ranges) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i + 1 < ranges.size(); i += 2) {
      for (int s = ranges.get(i); s <= ranges.get(i + 1); s++) {
        out.add(s);
      }
    }
    return out;
  }
}
