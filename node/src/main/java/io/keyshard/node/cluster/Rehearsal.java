package io.keyshard.node.cluster;

import io.keyshard.node.slot.JournalHealth;
import io.keyshard.node.slot.LocalSlots;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.node.slot.SlotEntityId;
import io.keyshard.node.slot.SlotIndex;
import io.keyshard.node.slot.Warmer;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica rehearses its takeover once, so that the takeover runs compiled code.
 *
 * <p>A replica never runs a slot entity until its primary dies, so at the takeover the JVM met
 * every step of waking thousands of slots for the first time: the JIT compiled about 4,000 methods
 * meanwhile, and waking 5,461 slots took 4 s instead of 1 s (docs/decisions/2026-11-22-takeover-
 * rehearsal.md). The rehearsal wakes real slot entities through Cluster Sharding, on the real
 * journal and snapshot store, and runs a few writes and reads in each. They are slot entities of
 * this node with a negative epoch ({@code <slot>@<node>@-<n>}, which no table ever gives), so they
 * live in the shards this node's slots will live in (which are then allocated already), but they
 * journal under persistence ids of their own ({@code rehearsal-<node>-<n>}, which no slot reads, and
 * which are deleted afterwards), with an index and a slot registry of their own: no slot, key or
 * statistic of the node is touched.
 */
public final class Rehearsal {
  private static final Logger log = LoggerFactory.getLogger(Rehearsal.class);

  private final SlotEntity.Settings settings;
  private final String nodeId;

  /**
   * Set when the node starts to stop: no claim or rehearsal slot is asked for any more. An ask
   * whose shard has no home yet waits in the region for the coordinator, which never gives a
   * home to a region that is shutting down, so the region's graceful stop waited its whole
   * timeout (10 s) for such asks (ClusterStopTest).
   */
  private volatile boolean stopping;
  /** Claims and rehearsal slots asked for and not answered yet. */
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Completes once stopping and nothing is in flight. */
  private final CompletableFuture<Done> drained = new CompletableFuture<>();
  /** Completes once this node's shard claims are over (at once if it makes none). */
  private final CompletableFuture<Void> claimed = new CompletableFuture<>();

  /** Rehearsal slots' settings, from the node's: see the class comment. */
  public Rehearsal(ActorSystem<?> system, SlotEntity.Settings real, String nodeId) {
    this.nodeId = nodeId;
    // Before the regions stop: what was asked is answered while the coordinator still
    // allocates, and nothing new is asked, so the regions have nothing buffered to wait for.
    CoordinatedShutdown.get(system.classicSystem())
        .addTask(
            CoordinatedShutdown.PhaseBeforeClusterShutdown(),
            "keyshard-stop-background-asks",
            () -> {
              stopping = true;
              if (inFlight.get() == 0) {
                drained.complete(Done.getInstance());
              }
              return drained;
            });
    this.settings =
        new SlotEntity.Settings(
            real.commands(),
            system.systemActorOf(index(), "rehearsal-index", Props.empty()),
            real.snapshotEvery(),
            real.expireBatch(),
            real.expireInterval(),
            real.maxBatch(),
            new LocalSlots(),
            (slot, epoch) -> null,
            new JournalHealth());
  }

  private volatile String status = "none";

  /** For INFO: none (not a replica yet, or rehearse-takeover 0), running, done, or stopped. */
  public String status() {
    return status;
  }

  /** Whether an entity id's epoch names a rehearsal slot. */
  public static boolean isRehearsal(long epoch) {
    return epoch < 0;
  }

  /** The behavior of the rehearsal slot an entity id names (its epoch is negative). */
  public Behavior<SlotEntity.Command> entity(
      int slot, long epoch, ActorRef<ClusterSharding.ShardCommand> shard) {
    return SlotEntity.create(slot, 0, settings, PersistenceId.ofUniqueId(prefix(nodeId) + (-epoch)), shard);
  }

  /** The persistence ids of a node's rehearsal slots start with this. */
  public static String prefix(String nodeId) {
    return "rehearsal-" + nodeId + "-";
  }

  /** How many rehearsal slots run at once: a background task, not a second takeover. */
  static final int AT_ONCE = 32;

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /**
   * Wakes {@code slots} rehearsal slots through {@code sharding}, a few at a time, each running
   * SET, INCR, GET and DEL and then stopping; then {@code cleanup} deletes their journal rows.
   * They take the slot numbers of {@code among} (the primary's slots), spread evenly, so the
   * shards allocated for them are those a takeover of these slots needs.
   */
  public CompletableFuture<Void> run(
      ActorSystem<?> system, ClusterSharding sharding, List<Integer> among, int slots, Runnable cleanup) {
    if (slots <= 0 || among.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    status = "running";
    long started = System.nanoTime();
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<String> firstFailure = new AtomicReference<>("");
    CompletableFuture<Void> all =
        Warmer.inWindow(
            slots,
            AT_ONCE,
            n -> {
              int slot = among.get((int) ((long) n * among.size() / slots) % among.size());
              String id = new SlotEntityId(slot, nodeId, -(n + 1L)).toString();
              return unlessStopping(() -> rehearseOne(sharding.entityRefFor(SlotEntity.TYPE_KEY, id)))
                  .whenComplete(
                      (d, t) -> {
                        if (t != null) {
                          failed.incrementAndGet();
                          firstFailure.compareAndSet("", ", first: " + t);
                        }
                      });
            });
    return all.thenRunAsync(
        () -> {
          cleanup.run();
          status = stopping ? "stopped" : "done";
          log.info(
              "{} a takeover of {} slots in {} ms ({} failed{})",
              stopping ? "Stopped (the node stops) rehearsing" : "Rehearsed",
              slots, (System.nanoTime() - started) / 1_000_000, failed.get(), firstFailure.get());
        },
        system.dispatchers().lookup(DispatcherSelector.blocking()));
  }

  /** Where {@link #claimShards} numbers its slots, away from the rehearsal's 1..slots. */
  private static final int CLAIM_BASE = 1_000_000;

  /**
   * Has this node's region host a shard for every slot group, now rather than at a takeover: it
   * wakes one empty rehearsal slot per group (nothing is written; each stops at once). A
   * takeover's new owner otherwise asked the coordinator for the home of each of its new
   * shards, one update of the coordinator's state at a time, and while the dead member was
   * downed but not yet removed each update could wait 1 s for it
   * (docs/decisions/2026-11-22-exit-watch.md).
   */
  public void claimShardsOnceUp(
      ActorSystem<?> system, ClusterSharding sharding, int slotsPerShard, IntPredicate owned) {
    // Not before: a node that never joins (CLUSTER MEET refused) would only buffer the asks in
    // a region without a coordinator, and its stop would wait for them.
    system.systemActorOf(
        Behaviors.<SelfUp>setup(
            ctx -> {
              Cluster.get(ctx.getSystem())
                  .subscriptions()
                  .tell(Subscribe.create(
                      ctx.getSelf(), SelfUp.class));
              return Behaviors.receive(SelfUp.class)
                  .onMessage(
                      SelfUp.class,
                      up -> {
                        claimShards(sharding, slotsPerShard, owned).whenComplete((v, t) -> claimed.complete(null));
                        return Behaviors.stopped();
                      })
                  .build();
            }),
        "claim-shards",
        Props.empty());
  }

  /**
   * Completes once this node's shard claims ({@link #claimShardsOnceUp}) are over. Until then
   * the shard coordinator is busy with them (three nodes' claims took 12-18 s on 2 cores), and a
   * slot given to this node meanwhile waited that long for its shard: requests to it ran into the
   * node's 10 s request timeout during a per-key reshard started right after the cluster
   * (docs/decisions/2026-12-07-slot-retirement.md). Slot moves wait for it (ClusterCommands).
   */
  public CompletableFuture<Void> claimed() {
    return claimed;
  }

  /** How many of a node's claims wait at the shard coordinator at once. */
  static final int CLAIMS_AT_ONCE = 8;

  CompletableFuture<Void> claimShards(ClusterSharding sharding, int slotsPerShard, IntPredicate owned) {
    int groups = Slots.SLOT_COUNT / slotsPerShard;
    // The groups of the slots this node serves now first: clients are about to need those, and
    // the coordinator answers one allocation at a time, so a slot's first request waits behind
    // every claim asked before it.
    List<Integer> order = new ArrayList<>(groups);
    for (int g = 0; g < groups; g++) {
      order.add(g);
    }
    order.sort(Comparator.comparing(g -> !ownsAny(owned, g * slotsPerShard, slotsPerShard)));
    long started = System.nanoTime();
    AtomicInteger failed = new AtomicInteger();
    return Warmer.inWindow(
            groups,
            CLAIMS_AT_ONCE,
            n -> {
              int g = order.get(n);
              String id = new SlotEntityId(g * slotsPerShard, nodeId, -(long) (CLAIM_BASE + g)).toString();
              return unlessStopping(
                      () -> sharding.entityRefFor(SlotEntity.TYPE_KEY, id).<Done>ask(SlotEntity.Warm::new, TIMEOUT))
                  .whenComplete((d, t) -> {
                    if (t != null) {
                      failed.incrementAndGet();
                    }
                  });
            })
        .thenRun(
            () ->
                log.info(
                    "{} the shards of {} slot groups in {} ms ({} failed)",
                    stopping ? "Stopped (the node stops) claiming" : "Claimed",
                    groups, (System.nanoTime() - started) / 1_000_000, failed.get()));
  }

  private static boolean ownsAny(IntPredicate owned, int first, int count) {
    for (int slot = first; slot < first + count; slot++) {
      if (owned.test(slot)) {
        return true;
      }
    }
    return false;
  }

  /** Runs {@code ask} unless the node is stopping, counted until it is answered. */
  private CompletionStage<?> unlessStopping(Supplier<? extends CompletionStage<?>> ask) {
    // Counted first, then checked: the stop task either sees it in flight or it sees stopping.
    inFlight.incrementAndGet();
    if (stopping) {
      answered();
      return CompletableFuture.completedFuture(null);
    }
    return ask.get().whenComplete((r, t) -> answered());
  }

  private void answered() {
    if (inFlight.decrementAndGet() == 0 && stopping) {
      drained.complete(Done.getInstance());
    }
  }

  private static CompletionStage<Done> rehearseOne(EntityRef<SlotEntity.Command> slot) {
    return exec(slot, "set", true, "SET", "k", "v")
        .thenCompose(r -> exec(slot, "incr", true, "INCR", "n"))
        .thenCompose(r -> exec(slot, "get", false, "GET", "k"))
        .thenCompose(r -> exec(slot, "del", true, "DEL", "k", "n"))
        // Empty again: the slot stops, as an idle slot woken by a takeover does.
        .thenCompose(r -> slot.<Done>ask(SlotEntity.Warm::new, TIMEOUT));
  }

  private static CompletionStage<Reply> exec(
      EntityRef<SlotEntity.Command> slot, String name, boolean write, String... args) {
    byte[][] argv = new byte[args.length][];
    for (int i = 0; i < args.length; i++) {
      argv[i] = args[i].getBytes(StandardCharsets.UTF_8);
    }
    return slot.ask(r -> new SlotEntity.Exec(name, 0, argv, write, r), TIMEOUT);
  }

  /** Registers without persisting: rehearsal slots are in no index. */
  private static Behavior<SlotIndex.Command> index() {
    return Behaviors.receive(SlotIndex.Command.class)
        .onMessage(
            SlotIndex.Register.class,
            r -> {
              r.replyTo().tell(new SlotIndex.Answer(r.seq(), true));
              return Behaviors.same();
            })
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }
}
