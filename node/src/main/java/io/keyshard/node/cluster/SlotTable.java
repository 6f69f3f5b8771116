package io.keyshard.node.cluster;

import io.keyshard.node.CborSerializable;
import io.keyshard.persistence.SlotTableEvent;
import io.keyshard.persistence.SlotTableState;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.LWWRegisterKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The cluster's slot table: which node owns which slot, under one epoch. An event-sourced
 * cluster singleton in the shared journal (so a full restart keeps ownership and epochs), which
 * publishes the whole table, as ranges, to every node through Distributed Data after each
 * change. Nodes introduce themselves with {@link Hello}; with {@code cluster-init auto} the first
 * {@code min-nodes} primaries share the 16384 slots evenly once they are all known. Which slots
 * go from whom to whom is {@link Rebalance}'s arithmetic, and who inherits a leaving primary's slots
 * {@link Succession}'s rule; this class decides when, and moves them.
 */
public final class SlotTable
    extends EventSourcedBehaviorWithEnforcedReplies<
        SlotTable.Command, SlotTableEvent, SlotTableState> {

  /**
   * How long the table waits for a target's read-ahead of a batch: it only makes the target's
   * start shorter, so a target that died or is slow costs the job this much, not a failure.
   */
  private static final Duration PREWARM_LIMIT = Duration.ofSeconds(15);

  public sealed interface Command extends CborSerializable {}

  /** A node starting (or restarting): its id, client address and cluster bus port. */
  public record Hello(
      String nodeId, String host, int port, int busPort, boolean replica, ActorRef<Welcome> replyTo)
      implements Command {
    /** A node that may be given slots. */
    public Hello(String nodeId, String host, int port, int busPort, ActorRef<Welcome> replyTo) {
      this(nodeId, host, port, busPort, false, replyTo);
    }
  }

  /**
   * CLUSTER REPLICATE: {@code nodeId} becomes a replica of {@code primaryId}. Answers null or
   * Redis's error text.
   */
  public record Replicate(String nodeId, String primaryId, ActorRef<Welcome> replyTo)
      implements Command {}

  /**
   * CLUSTER FAILOVER, sent to a replica: its primary hands every slot to it (graceful), or, with
   * {@code force} and the primary unreachable, the primary is downed and the replica takes over.
   * Answers at once (null or Redis's error); the failover completes in the background.
   */
  public record Failover(String replicaId, boolean force, ActorRef<Welcome> replyTo)
      implements Command {}

  /** A node's RESP port is open: it may receive slots from others (rebalancing). */
  public record Ready(String nodeId) implements Command {}

  /** The answer to {@link Hello}: {@code refusal} says why this cluster may not run, or null. */
  public record Welcome(String refusal) implements CborSerializable {}

  /**
   * The lease on the journal database that makes this cluster its only user (see
   * JournalLease): taken by whichever node runs the table, before it reads the table.
   */
  public interface Lease extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * A node claims slots: those it was given before it joined (CLUSTER ADDSLOTS on a node that
   * had not met anyone, as redis-cli --cluster create does), or given by ADDSLOTS later.
   * {@code slots} are inclusive start, end pairs; {@code configEpoch} the node's own (0: none).
   * Answers the slots that another node already owns (not taken), as start, end pairs.
   */
  public record AddSlots(
      String nodeId, List<Integer> slots, long configEpoch, ActorRef<Busy> replyTo)
      implements Command {}

  /** The slots of an {@link AddSlots} that another node owns, as start, end pairs. */
  public record Busy(List<Integer> ranges) implements CborSerializable {}

  public record Get(ActorRef<SlotTableEvent.TableSnapshot> replyTo) implements Command {}

  /** CLUSTER FORGET: removes a node from the table; answers null or Redis's error text. */
  public record Forget(String nodeId, String askedBy, ActorRef<Welcome> replyTo) implements Command {}

  /**
   * CLUSTER SETSLOT ... NODE and DELSLOTS: gives slots (inclusive start, end pairs) to a node,
   * or to nobody when {@code nodeId} is null. A slot another node holds is handed off first.
   * Answers once the table has changed: null, or Redis's error text.
   */
  public record Assign(List<Integer> ranges, String nodeId, ActorRef<Welcome> replyTo)
      implements Command {}

  /**
   * CLUSTER SETSLOT slot MIGRATING peer, IMPORTING peer or STABLE ({@code action} in lower
   * case, {@code peerId} null for STABLE), sent to node {@code nodeId}
   * (docs/decisions/2026-12-06-slot-migration-protocol.md). Answers Redis's error text or null,
   * with the table's epoch after the change (at once when it already held).
   */
  public record SetSlotState(
      int slot, String nodeId, String action, String peerId, ActorRef<SlotStateSet> replyTo)
      implements Command {}

  public record SlotStateSet(String refusal, long epoch) implements CborSerializable {}

  /**
   * A member at this cluster bus address was downed: after the takeover margin, if it has not
   * come back meanwhile, the live nodes take its slots over. Sent by every survivor (Fencing),
   * when it sees the member downed and again when it is removed; all but the first are no-ops.
   */
  public record NodeDown(String host, int busPort) implements Command {}

  private record TakeOver(String nodeId) implements Command {}

  /** Time to look for slots whose owner is not a member (see {@link #onAudit}). */
  private record Audit() implements Command {}

  /**
   * SHUTDOWN of a node in a cluster: its slots go to its replica (as CLUSTER FAILOVER) or, with
   * none, evenly to the other live primaries, each through a hand-off. Answers once they moved:
   * null, or why not.
   */
  public record Drain(String nodeId, ActorRef<Welcome> replyTo) implements Command {}

  /**
   * CLUSTER BUMPEPOCH: a node whose config epoch is 0, or not the highest, gets a new one
   * (answers "BUMPED n"); otherwise "STILL n", as Redis.
   */
  public record BumpEpoch(String nodeId, ActorRef<Bumped> replyTo) implements Command {}

  public record Bumped(String text) implements CborSerializable {}


  /**
   * CLUSTER MIGRATESLOTS: a job per block, run in the background (batches warmed on the target,
   * then moved); answers at once: null, or Valkey's error text (nothing started).
   */
  public record MigrateSlots(List<SlotMigrations.Spec> specs, ActorRef<Welcome> replyTo)
      implements Command {}

  /** CLUSTER GETSLOTMIGRATIONS. */
  public record GetMigrations(ActorRef<Migrations> replyTo) implements Command {}

  public record Migrations(List<SlotMigrations.View> jobs) implements CborSerializable {}

  /** CLUSTER CANCELSLOTMIGRATIONS: null, or Valkey's error text. */
  public record CancelMigrations(ActorRef<Welcome> replyTo) implements Command {}

  private record BatchWarmed(String job, List<Integer> slots, int held, long millis)
      implements Command {}

  private record BatchSwitched(String job, List<Integer> slots, String failure, long millis)
      implements Command {}

  private record BatchPauses(String job, List<Integer> slots, List<Long> millis) implements Command {}

  /**
   * Slots going from one node to another ({@code to} null: to nobody), as inclusive start, end
   * pairs; {@code replyTo}, if any, hears when they have moved.
   */
  record Move(
      String from, String to, List<Integer> ranges, ActorRef<Welcome> replyTo, boolean failover) {
    Move(String from, String to, List<Integer> ranges) {
      this(from, to, ranges, null, false);
    }

    Move(String from, String to, List<Integer> ranges, ActorRef<Welcome> replyTo) {
      this(from, to, ranges, replyTo, false);
    }
  }

  private record MoveReleased(Move move, List<Integer> nonEmpty, String failure) implements Command {}

  /** The table in Distributed Data, compressed ({@link WireTable}; "slot-table" held it plain). */
  public static final Key<LWWRegister<WireTable>> KEY = LWWRegisterKey.create("slot-table-gz");

  /**
   * @param lease takes the cluster's lease on the database; throws with the reason when another
   *     cluster holds it, and this table then refuses every node
   */
  public static Behavior<Command> create(
      boolean autoInit, int minNodes, Supplier<Lease> lease) {
    return create(autoInit, minNodes, lease, Duration.ofSeconds(2));
  }

  /**
   * @param takeoverMargin how long after a member's removal its slots are given to others: the
   *     time a cut-off node needs to stop serving by itself once it is on the losing side
   */
  public static Behavior<Command> create(
      boolean autoInit,
      int minNodes,
      Supplier<Lease> lease,
      Duration takeoverMargin) {
    return Behaviors.setup(
        ctx -> {
          Lease held;
          try {
            held = lease.get();
          } catch (RuntimeException e) {
            ctx.getLog().error("The slot table cannot run here: {}", e.getMessage());
            return refusing(e.getMessage());
          }
          return new SlotTable(ctx, autoInit, minNodes, held, takeoverMargin);
        });
  }

  private static Behavior<Command> refusing(String reason) {
    return Behaviors.receive(Command.class)
        .onMessage(Hello.class, h -> {
          h.replyTo().tell(new Welcome(reason));
          return Behaviors.same();
        })
        .onMessage(AddSlots.class, a -> {
          a.replyTo().tell(new Busy(a.slots()));
          return Behaviors.same();
        })
        .onMessage(Get.class, g -> Behaviors.same())
        .onMessage(Forget.class, f -> {
          f.replyTo().tell(new Welcome(reason));
          return Behaviors.same();
        })
        .onMessage(Assign.class, a -> {
          a.replyTo().tell(new Welcome(reason));
          return Behaviors.same();
        })
        .onMessage(Replicate.class, a -> {
          a.replyTo().tell(new Welcome(reason));
          return Behaviors.same();
        })
        .onMessage(Failover.class, a -> {
          a.replyTo().tell(new Welcome(reason));
          return Behaviors.same();
        })
        .onMessage(BumpEpoch.class, a -> Behaviors.same())
        .onMessage(Drain.class, a -> {
          a.replyTo().tell(new Welcome(reason));
          return Behaviors.same();
        })
        .onMessage(MigrateSlots.class, a -> {
          a.replyTo().tell(new Welcome(reason));
          return Behaviors.same();
        })
        .onMessage(CancelMigrations.class, a -> {
          a.replyTo().tell(new Welcome(reason));
          return Behaviors.same();
        })
        .onMessage(GetMigrations.class, a -> {
          a.replyTo().tell(new Migrations(List.of()));
          return Behaviors.same();
        })
        .onMessage(NodeDown.class, p -> Behaviors.same())
        .onMessage(TakeOver.class, p -> Behaviors.same())
        .onMessage(SetSlotState.class, a -> {
          a.replyTo().tell(new SlotStateSet(reason, 0));
          return Behaviors.same();
        })
        .build();
  }

  private final ActorContext<Command> ctx;
  private final boolean autoInit;
  private final int minNodes;
  private final ActorRef<Replicator.Command> replicator;
  private final SelfUniqueAddress self;

  private final Lease lease;
  private final Duration takeoverMargin;

  private SlotTable(
      ActorContext<Command> ctx,
      boolean autoInit,
      int minNodes,
      Lease lease,
      Duration takeoverMargin) {
    super(PersistenceId.ofUniqueId("slot-table"));
    this.lease = lease;
    this.takeoverMargin = takeoverMargin;
    this.ctx = ctx;
    this.autoInit = autoInit;
    this.minNodes = minNodes;
    DistributedData dd = DistributedData.get(ctx.getSystem());
    this.replicator = dd.replicator();
    this.self = dd.selfUniqueAddress();
  }

  @Override
  public SlotTableState emptyState() {
    return SlotTableState.empty();
  }

  @Override
  public CommandHandlerWithReply<Command, SlotTableEvent, SlotTableState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Hello.class, this::onHello)
        .onCommand(AddSlots.class, this::onAddSlots)
        .onCommand(Forget.class, this::onForget)
        .onCommand(Assign.class, this::onAssign)
        .onCommand(SetSlotState.class, this::onSetSlotState)
        .onCommand(Replicate.class, this::onReplicate)
        .onCommand(Failover.class, this::onFailover)
        .onCommand(Drain.class, this::onDrain)
        .onCommand(BumpEpoch.class, this::onBumpEpoch)
        .onCommand(
            Ready.class,
            (state, r) -> {
              ready.add(r.nodeId());
              maybeRebalance(state);
              return Effect().noReply();
            })
        .onCommand(MoveReleased.class, this::onMoveReleased)
        .onCommand(NodeDown.class, this::onNodeDown)
        .onCommand(TakeOver.class, this::onTakeOver)
        .onCommand(Audit.class, this::onAudit)
        .onCommand(MigrateSlots.class, this::onMigrateSlots)
        .onCommand(GetMigrations.class, (state, g) -> Effect().reply(g.replyTo(), new Migrations(migrations.views())))
        .onCommand(CancelMigrations.class, this::onCancelMigrations)
        .onCommand(BatchWarmed.class, this::onBatchWarmed)
        .onCommand(BatchSwitched.class, this::onBatchSwitched)
        .onCommand(BatchPauses.class, this::onBatchPauses)
        .onCommand(Get.class, (state, g) -> Effect().reply(g.replyTo(), state.toSnapshot()))
        .build();
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onHello(SlotTableState state, Hello h) {
    List<SlotTableEvent> events = new ArrayList<>();
    SlotTableEvent.NodeSeen seen = new SlotTableEvent.NodeSeen(h.nodeId(), h.host(), h.port(), h.busPort());
    if (!seen.equals(state.nodes().get(h.nodeId()))) {
      events.add(seen);
    }
    events.addAll(displaced(state, seen));
    if (h.replica() && state.primaryOf(h.nodeId()) == null && state.rangesOf(h.nodeId()).isEmpty()) {
      wantReplica.add(h.nodeId()); // keyshard.cluster.replica: given a primary below
    }
    SlotTableState next = state;
    for (SlotTableEvent e : events) {
      next = next.apply(e);
    }
    if (autoInit && !next.anyAssigned() && primaries(next).size() >= minNodes) {
      List<SlotTableEvent> shares = List.copyOf(Rebalance.evenShares(next, primaries(next)));
      for (SlotTableEvent e : shares) {
        next = next.apply(e);
      }
      events.addAll(shares);
    }
    events.addAll(assignReplicas(next));
    if (events.isEmpty()) {
      return Effect().reply(h.replyTo(), new Welcome(null));
    }
    return Effect()
        .persist(events)
        .thenRun(this::publish)
        .thenReply(h.replyTo(), s -> new Welcome(null));
  }

  /**
   * Another node of the table at the address a node now says hello from has gone for good: one
   * address holds one node, so this one was started without the other's data directory (a new
   * id). The other keeps its place and its slots but loses its address (Redis's {@code noaddr}):
   * it counts as failed (cluster_state:fail, CLUSTER NODES), its slots answer CLUSTERDOWN instead
   * of redirecting clients to a node that will never serve them, and CLUSTER FORGET of it hands
   * them to the live nodes. Liveness is decided by address elsewhere, which would otherwise take
   * the newcomer for it.
   */
  private List<SlotTableEvent> displaced(SlotTableState state, SlotTableEvent.NodeSeen seen) {
    List<SlotTableEvent> out = new ArrayList<>();
    for (SlotTableEvent.NodeSeen n : state.nodes().values()) {
      if (!n.nodeId().equals(seen.nodeId())
          && n.busPort() != 0
          && n.host().equals(seen.host())
          && n.busPort() == seen.busPort()) {
        ctx.getLog().warn(
            "Node {} now runs at {}:{} where node {} was (started without its data directory?): {} has no address now{}",
            seen.nodeId(), seen.host(), seen.port(), n.nodeId(), n.nodeId(),
            state.rangesOf(n.nodeId()).isEmpty()
                ? ""
                : "; its slots " + state.rangesOf(n.nodeId())
                    + " are not served until CLUSTER FORGET " + n.nodeId() + " hands them to the live nodes");
        out.add(new SlotTableEvent.NodeSeen(n.nodeId(), n.host(), 0, 0));
      }
    }
    return out;
  }

  /** Nodes that keyshard.cluster.replica asked to be replicas and have no primary yet. */
  private final Set<String> wantReplica = new LinkedHashSet<>();

  /** The known nodes that are primaries (not replicas, and not waiting to become one). */
  private List<String> primaries(SlotTableState state) {
    List<String> out = new ArrayList<>();
    for (String id : state.nodes().keySet()) {
      if (Rebalance.takesSlots(state, id, wantReplica)) {
        out.add(id);
      }
    }
    return out;
  }

  /** Each node waiting to be a replica follows the primary (with slots) that has the fewest. */
  private List<SlotTableEvent> assignReplicas(SlotTableState state) {
    List<SlotTableEvent> out = new ArrayList<>();
    SlotTableState next = state;
    for (Iterator<String> it = wantReplica.iterator(); it.hasNext(); ) {
      String id = it.next();
      String best = null;
      int fewest = Integer.MAX_VALUE;
      for (String p : primaries(next)) {
        int n = next.replicasOf(p).size();
        if (!p.equals(id) && !next.rangesOf(p).isEmpty() && n < fewest) {
          best = p;
          fewest = n;
        }
      }
      if (best == null) {
        break; // no primary holds slots yet: after the slots are shared
      }
      SlotTableEvent.ReplicaSet r = new SlotTableEvent.ReplicaSet(id, best, next.epoch() + 1);
      out.add(r);
      next = next.apply(r);
      it.remove();
    }
    return out;
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onReplicate(SlotTableState state, Replicate r) {
    String refusal = null;
    if (!state.nodes().containsKey(r.primaryId())) {
      refusal = "Unknown node " + r.primaryId();
    } else if (r.primaryId().equals(r.nodeId())) {
      refusal = "Can't replicate myself";
    } else if (state.primaryOf(r.primaryId()) != null) {
      refusal = "I can only replicate a master, not a replica.";
    } else if (!state.rangesOf(r.nodeId()).isEmpty()) {
      refusal = "To set a master the node must be empty and without assigned slots.";
    }
    if (refusal != null) {
      return Effect().reply(r.replyTo(), new Welcome(refusal));
    }
    wantReplica.remove(r.nodeId());
    if (r.primaryId().equals(state.primaryOf(r.nodeId()))) {
      return Effect().reply(r.replyTo(), new Welcome(null));
    }
    List<SlotTableEvent> events = new ArrayList<>();
    long epoch = state.epoch() + 1;
    events.add(new SlotTableEvent.ReplicaSet(r.nodeId(), r.primaryId(), epoch));
    // Its own replicas follow its new primary (Redis moves them along too).
    for (String sub : state.replicasOf(r.nodeId())) {
      events.add(new SlotTableEvent.ReplicaSet(sub, r.primaryId(), epoch));
    }
    return Effect().persist(events).thenRun(this::publish).thenReply(r.replyTo(), s -> new Welcome(null));
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onFailover(SlotTableState state, Failover f) {
    String primary = state.primaryOf(f.replicaId());
    if (primary == null) {
      return Effect().reply(f.replyTo(), new Welcome("You should send CLUSTER FAILOVER to a replica"));
    }
    boolean primaryUp = liveNodes(state).contains(primary);
    if (!primaryUp && !f.force()) {
      return Effect().reply(
          f.replyTo(), new Welcome("Master is down or failed, please use CLUSTER FAILOVER FORCE"));
    }
    if (!primaryUp) {
      // FORCE (and TAKEOVER): have the unreachable primary downed now; its removal promotes
      // this replica (onNodeDown, onTakeOver) without waiting for the split brain resolver.
      SlotTableEvent.NodeSeen p = state.nodes().get(primary);
      Cluster cluster = Cluster.get(ctx.getSystem());
      for (Member m : cluster.state().getMembers()) {
        if (m.address().host().get().equals(p.host()) && (Integer) m.address().port().get() == p.busPort()) {
          ctx.getLog().warn("CLUSTER FAILOVER FORCE: downing unreachable primary {}", primary);
          cluster.manager().tell(new Down(m.address()));
        }
      }
      return Effect().reply(f.replyTo(), new Welcome(null));
    }
    // Graceful: the primary hands all its slots to the replica (parked requests follow them),
    // then the two swap roles (onMoveReleased).
    List<Integer> ranges = state.rangesOf(primary);
    requested.add(new Move(primary, f.replicaId(), ranges, null, true));
    if (!moving) {
      runNextMove(state);
    }
    return Effect().reply(f.replyTo(), new Welcome(null));
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onBumpEpoch(SlotTableState state, BumpEpoch b) {
    long mine = state.configEpoch(b.nodeId());
    if (mine != 0 && mine == state.epoch()) {
      return Effect().reply(b.replyTo(), new Bumped("STILL " + mine));
    }
    long next = state.epoch() + 1;
    return Effect()
        .persist(new SlotTableEvent.SlotsAssigned(b.nodeId(), List.of(), next))
        .thenRun(this::publish)
        .thenReply(b.replyTo(), s -> new Bumped("BUMPED " + next));
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onDrain(SlotTableState state, Drain d) {
    List<SlotTableEvent> ended = endMigrations(state, d.nodeId(), state.epoch());
    if (!ended.isEmpty()) {
      // A migration's target that stops: the source answers for every key again; then drain.
      return Effect()
          .persist(ended)
          .thenRun(
              s -> {
                publish(s);
                ctx.getSelf().tell(d);
              })
          .thenNoReply();
    }
    List<Integer> ranges = state.rangesOf(d.nodeId());
    if (ranges.isEmpty()) {
      return Effect().reply(d.replyTo(), new Welcome(null));
    }
    Set<String> live = liveNodes(state);
    live.addAll(ready);
    live.remove(d.nodeId());
    String replica = Succession.liveReplica(state, d.nodeId(), live);
    if (replica != null) {
      requested.add(new Move(d.nodeId(), replica, ranges, d.replyTo(), true));
      if (!moving) {
        runNextMove(state);
      }
      return Effect().noReply();
    }
    live.removeIf(id -> !Rebalance.takesSlots(state, id, wantReplica));
    if (live.isEmpty()) {
      return Effect().reply(d.replyTo(), new Welcome("no other primary is up to take its slots"));
    }
    List<SlotTableEvent.SlotsAssigned> parts = Rebalance.split(state, ranges, new ArrayList<>(live));
    for (int i = 0; i < parts.size(); i++) {
      SlotTableEvent.SlotsAssigned part = parts.get(i);
      requested.add(
          new Move(d.nodeId(), part.nodeId(), part.ranges(), i == parts.size() - 1 ? d.replyTo() : null));
    }
    if (!moving) {
      runNextMove(state);
    }
    return Effect().noReply();
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onForget(SlotTableState state, Forget f) {
    if (f.nodeId().equals(f.askedBy())) {
      return Effect().reply(f.replyTo(), new Welcome("I tried hard but I can't forget myself..."));
    }
    if (!state.nodes().containsKey(f.nodeId())) {
      return Effect().reply(f.replyTo(), new Welcome("Unknown node " + f.nodeId()));
    }
    List<SlotTableEvent> events = new ArrayList<>(inheritance(state, f.nodeId()));
    long epoch = events.isEmpty() ? state.epoch() + 1 : lastEpoch(events) + 1;
    events.add(new SlotTableEvent.NodeForgotten(f.nodeId(), epoch));
    return Effect()
        .persist(events)
        .thenRun(this::publish)
        .thenReply(f.replyTo(), s -> new Welcome(null));
  }

  /**
   * The slots of a node that is forgotten while it is not a member (it will never come back: a
   * lost data directory, other ports) go to the live nodes, as a downed primary's do: a live
   * replica of its own, or else the live primaries share them. Their data is in the shared
   * journal, so nothing is copied. A member's slots are not inherited (it serves them; FORGET
   * of a live node leaves them unowned, as before).
   */
  private List<SlotTableEvent> inheritance(SlotTableState state, String nodeId) {
    List<Integer> ranges = state.rangesOf(nodeId);
    Set<String> live = liveNodes(state);
    if (ranges.isEmpty() || live.contains(nodeId)) {
      return List.of();
    }
    String replica = Succession.liveReplica(state, nodeId, live);
    if (replica != null) {
      ctx.getLog().warn("CLUSTER FORGET {}: its replica {} takes over its slots {}", nodeId, replica, ranges);
      // The old primary is forgotten right after, so it does not stay the new one's replica.
      return Succession.promote(state, nodeId, replica, ranges).stream()
          .filter(e -> !(e instanceof SlotTableEvent.ReplicaSet r && r.nodeId().equals(nodeId)))
          .toList();
    }
    live.removeIf(id -> !Rebalance.takesSlots(state, id, wantReplica));
    if (live.isEmpty()) {
      return List.of();
    }
    ctx.getLog().warn("CLUSTER FORGET {}: its slots {} go to {}", nodeId, ranges, live);
    return List.copyOf(Rebalance.split(state, ranges, new ArrayList<>(live)));
  }

  private static long lastEpoch(List<SlotTableEvent> events) {
    long epoch = 0;
    for (SlotTableEvent e : events) {
      if (e instanceof SlotTableEvent.SlotsAssigned a) {
        epoch = Math.max(epoch, a.epoch());
      } else if (e instanceof SlotTableEvent.ReplicaSet r) {
        epoch = Math.max(epoch, r.epoch());
      }
    }
    return epoch;
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onAddSlots(
      SlotTableState state, AddSlots a) {
    List<Integer> free = new ArrayList<>();
    List<Integer> busy = new ArrayList<>();
    List<Integer> r = a.slots();
    for (int i = 0; i + 1 < r.size(); i += 2) {
      for (int s = r.get(i); s <= r.get(i + 1); s++) {
        String owner = state.owner(s);
        if (a.nodeId().equals(owner)) {
          continue; // its own already: keeps its epoch (and so its running entity)
        }
        List<Integer> to = owner == null ? free : busy;
        to.add(s);
        to.add(s);
      }
    }
    List<Integer> busyRanges = Rebalance.merge(busy);
    if (free.isEmpty() || !state.nodes().containsKey(a.nodeId())) {
      return Effect().reply(a.replyTo(), new Busy(busyRanges));
    }
    // Slots brought from before joining keep the config epoch the node was given then
    // (SET-CONFIG-EPOCH, as redis-cli --cluster create does); any other assignment is a change
    // of ownership under a new epoch (which also names the slots' new incarnations).
    long epoch =
        a.configEpoch() > 0
            ? Math.max(a.configEpoch(), state.configEpoch(a.nodeId()))
            : state.epoch() + 1;
    return Effect()
        .persist(new SlotTableEvent.SlotsAssigned(a.nodeId(), Rebalance.merge(free), epoch))
        .thenRun(this::publish)
        .thenReply(a.replyTo(), s -> new Busy(busyRanges));
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onAssign(SlotTableState state, Assign a) {
    if (a.nodeId() != null && !state.nodes().containsKey(a.nodeId())) {
      return Effect().reply(a.replyTo(), new Welcome("Unknown node " + a.nodeId()));
    }
    if (a.nodeId() != null && state.primaryOf(a.nodeId()) != null) {
      return Effect().reply(a.replyTo(), new Welcome("Target node is not a master"));
    }
    // Slots nobody holds are given at once; the others move from their owners one by one.
    List<Integer> free = new ArrayList<>();
    Map<String, List<Integer>> held = new LinkedHashMap<>();
    List<SlotTableEvent> closed = new ArrayList<>();
    List<Integer> r = a.ranges();
    for (int i = 0; i + 1 < r.size(); i += 2) {
      for (int s = r.get(i); s <= r.get(i + 1); s++) {
        String owner = state.owner(s);
        if (owner == null ? a.nodeId() != null : !owner.equals(a.nodeId())) {
          List<Integer> to = owner == null ? free : held.computeIfAbsent(owner, o -> new ArrayList<>());
          to.add(s);
          to.add(s);
        } else if (owner != null && state.open(s) != SlotTableEvent.OpenSlot.NONE) {
          // SETSLOT NODE of a slot its target owns already: the migration is over all the same.
          closed.add(new SlotTableEvent.SlotStable(s, "", state.epoch() + 1 + closed.size()));
        }
      }
    }
    if (!closed.isEmpty() && free.isEmpty() && held.isEmpty()) {
      return Effect().persist(closed).thenRun(this::publish).thenReply(a.replyTo(), st -> new Welcome(null));
    }
    List<Move> moves = new ArrayList<>();
    held.forEach((owner, slots) -> moves.add(new Move(owner, a.nodeId(), Rebalance.merge(slots), null)));
    if (!moves.isEmpty()) {
      // The last move answers; a failure answers at once and drops the rest (see onMoveReleased).
      Move last = moves.remove(moves.size() - 1);
      moves.add(new Move(last.from(), last.to(), last.ranges(), a.replyTo()));
      moves.forEach(requested::add);
    }
    if (free.isEmpty()) {
      if (moves.isEmpty()) {
        return Effect().reply(a.replyTo(), new Welcome(null));
      }
      if (!moving) {
        runNextMove(state);
      }
      return Effect().noReply();
    }
    return Effect()
        .persist(new SlotTableEvent.SlotsAssigned(a.nodeId(), Rebalance.merge(free), state.epoch() + 1))
        .thenRun(
            s -> {
              publish(s);
              if (moves.isEmpty()) {
                a.replyTo().tell(new Welcome(null));
              } else if (!moving) {
                runNextMove(s);
              }
            })
        .thenNoReply();
  }

  // ---- Failover: a removed member's slots go to the live nodes ----

  private final Set<String> takeoversDue = new HashSet<>();

  private ReplyEffect<SlotTableEvent, SlotTableState> onNodeDown(SlotTableState state, NodeDown d) {
    for (SlotTableEvent.NodeSeen n : state.nodes().values()) {
      if (!n.host().equals(d.host()) || n.busPort() != d.busPort()) {
        continue;
      }
      ready.remove(n.nodeId()); // until its next incarnation says Ready
      if (inFlight != null && inFlight.from().equals(n.nodeId())) {
        // A dead source never answers: the move fails now (a MIGRATESLOTS job shows it), the
        // slots stay with the source in the table, and the takeover below hands them on.
        ctx.getSelf().tell(new MoveReleased(inFlight, null, "node " + n.nodeId() + " was downed"));
      }
      boolean concerned = !state.rangesOf(n.nodeId()).isEmpty() || !endMigrations(state, n.nodeId(), state.epoch()).isEmpty();
      if (concerned && takeoversDue.add(n.nodeId())) {
        ctx.getLog().warn("Node {} was downed: its slots go to the live nodes in {}", n.nodeId(), takeoverMargin);
        ctx.scheduleOnce(takeoverMargin, ctx.getSelf(), new TakeOver(n.nodeId()));
      }
    }
    return Effect().noReply();
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onTakeOver(SlotTableState state, TakeOver t) {
    takeoversDue.remove(t.nodeId());
    Set<String> live = liveNodes(state);
    if (live.contains(t.nodeId())) {
      return Effect().noReply(); // it is back already
    }
    List<SlotTableEvent> events = new ArrayList<>(takeOverSlots(state, t.nodeId(), live));
    SlotTableState after = state;
    for (SlotTableEvent e : events) {
      after = after.apply(e);
    }
    // Migrations to it end: what was handed over is answered by the source again (its slots'
    // own migrations ended with their new owner, above).
    List<SlotTableEvent> ended = endMigrations(after, t.nodeId(), after.epoch());
    if (!ended.isEmpty()) {
      ctx.getLog().warn("Downed node {} was a migration's target: slot migrations {} end", t.nodeId(), ended);
      events.addAll(ended);
    }
    if (events.isEmpty()) {
      return Effect().noReply(); // nothing to take, or nobody to take it
    }
    return Effect().persist(events).thenRun(this::publish).thenNoReply();
  }

  /** Who takes a downed node's slots: its live replica, else the live primaries in parts. */
  private List<SlotTableEvent> takeOverSlots(SlotTableState state, String nodeId, Set<String> live) {
    List<Integer> ranges = state.rangesOf(nodeId);
    if (ranges.isEmpty() || live.isEmpty()) {
      return List.of();
    }
    String replica = Succession.liveReplica(state, nodeId, live);
    if (replica != null) {
      ctx.getLog().warn("Replica {} takes over the slots of downed primary {}", replica, nodeId);
      return Succession.promote(state, nodeId, replica, ranges);
    }
    Set<String> primaries = new LinkedHashSet<>(live);
    primaries.removeIf(id -> !Rebalance.takesSlots(state, id, wantReplica));
    if (primaries.isEmpty()) {
      return List.of();
    }
    ctx.getLog().warn("Slots of removed node {} go to {}", nodeId, primaries);
    return List.copyOf(Rebalance.split(state, ranges, new ArrayList<>(primaries)));
  }

  /**
   * {@code SlotStable} of every slot migrating to {@code nodeId} or imported by it (numbered from
   * {@code epoch} + 1): the source answers for all its keys again.
   */
  private static List<SlotTableEvent> endMigrations(SlotTableState state, String nodeId, long epoch) {
    List<SlotTableEvent> out = new ArrayList<>();
    for (SlotTableEvent.OpenSlot o : state.openSlots()) {
      if (nodeId.equals(o.migratingTo()) || nodeId.equals(o.importer())) {
        out.add(new SlotTableEvent.SlotStable(o.slot(), "", epoch + 1 + out.size()));
      }
    }
    return out;
  }

  // ---- Per-key slot migration: the table's state (docs/decisions/2026-12-06-slot-migration-protocol.md) ----

  private ReplyEffect<SlotTableEvent, SlotTableState> onSetSlotState(
      SlotTableState state, SetSlotState c) {
    int slot = c.slot();
    String owner = state.owner(slot);
    SlotTableEvent.OpenSlot open = state.open(slot);
    long next = state.epoch() + 1;
    String refusal = null;
    SlotTableEvent change = null;
    if (state.primaryOf(c.nodeId()) != null) {
      refusal = "Please use SETSLOT only with masters.";
    } else if (c.action().equals("migrating")) {
      refusal = c.nodeId().equals(owner) ? peerRefusal(state, c.peerId()) : "I'm not the owner of hash slot " + slot;
      if (refusal == null && !c.peerId().equals(open.migratingTo())) {
        change = new SlotTableEvent.SlotMigrating(slot, c.peerId(), next);
      }
    } else if (c.action().equals("importing")) {
      refusal = c.nodeId().equals(owner) ? "I'm already the owner of hash slot " + slot : peerRefusal(state, c.peerId());
      boolean holds = c.nodeId().equals(open.importer()) && c.peerId().equals(open.importingFrom());
      if (refusal == null && !holds) {
        change = new SlotTableEvent.SlotImporting(slot, c.nodeId(), c.peerId(), next);
      }
    } else {
      boolean mine = (open.migrating() && c.nodeId().equals(owner)) || c.nodeId().equals(open.importer());
      if (mine) {
        change = new SlotTableEvent.SlotStable(slot, c.nodeId(), next);
      }
    }
    if (refusal != null || change == null) {
      // Refused, or it holds already (redis-cli repeats these): nothing to write.
      return Effect().reply(c.replyTo(), new SlotStateSet(refusal, state.epoch()));
    }
    ctx.getLog().info("Slot {}: {}", slot, change);
    return Effect()
        .persist(change)
        .thenRun(this::publish)
        .thenReply(c.replyTo(), st -> new SlotStateSet(null, st.epoch()));
  }

  /** Redis's refusal of a MIGRATING or IMPORTING peer, or null. */
  private static String peerRefusal(SlotTableState state, String peerId) {
    if (!state.nodes().containsKey(peerId)) {
      return "I don't know about node " + peerId;
    }
    return state.primaryOf(peerId) != null ? "Target node is not a master" : null;
  }

  private static final Duration AUDIT_EVERY = Duration.ofSeconds(10);
  /** A node slower than this to start (or to come back) is not yet worth a warning. */
  private static final Duration ABSENT_BEFORE_WARNING = Duration.ofSeconds(30);
  private static final Duration WARN_AGAIN = Duration.ofMinutes(5);
  private final Map<String, Long> absentSince = new HashMap<>();
  private final Map<String, Long> warnedAt = new HashMap<>();

  /**
   * Slots whose owner is not a member serve nothing, and nothing else would say so: a cluster
   * started again over a table that names nodes that no longer exist (a lost data directory,
   * other ports) waited for them silently. Those owners are taken over only when they were seen
   * to go (NodeDown) or are forgotten; this says, in the log, which slots wait and what to do.
   */
  private ReplyEffect<SlotTableEvent, SlotTableState> onAudit(SlotTableState state, Audit a) {
    long now = System.nanoTime();
    Set<String> live = liveNodes(state);
    for (SlotTableEvent.NodeSeen n : state.nodes().values()) {
      String id = n.nodeId();
      List<Integer> ranges = state.rangesOf(id);
      if (ranges.isEmpty() || live.contains(id)) {
        absentSince.remove(id);
        warnedAt.remove(id);
        continue;
      }
      long since = absentSince.computeIfAbsent(id, k -> now);
      Long warned = warnedAt.get(id);
      if (now - since >= ABSENT_BEFORE_WARNING.toNanos()
          && (warned == null || now - warned >= WARN_AGAIN.toNanos())) {
        warnedAt.put(id, now);
        ctx.getLog().warn(
            "Slots {} belong to node {} ({}), which has not been a member of the cluster for {} s: they are not"
                + " served. If it will not come back (a lost data directory, other ports), CLUSTER FORGET {} on"
                + " any node hands them, with their data, to the live nodes",
            ranges, id, n.busPort() == 0 ? "no address" : n.host() + ":" + n.port(),
            (now - since) / 1_000_000_000L, id);
      }
    }
    absentSince.keySet().retainAll(state.nodes().keySet());
    warnedAt.keySet().retainAll(state.nodes().keySet());
    ctx.scheduleOnce(AUDIT_EVERY, ctx.getSelf(), new Audit());
    return Effect().noReply();
  }

  /** Nodes of the table that are Up members of the cluster now (by cluster bus address). */
  private Set<String> liveNodes(SlotTableState state) {
    Set<String> up = new HashSet<>();
    for (Member m :
        Cluster.get(ctx.getSystem()).state().getMembers()) {
      if (m.status() == MemberStatus.up()) {
        up.add(m.address().host().get() + ":" + m.address().port().get());
      }
    }
    Set<String> out = new LinkedHashSet<>();
    for (SlotTableEvent.NodeSeen n : state.nodes().values()) {
      if (up.contains(n.host() + ":" + n.busPort())) {
        out.add(n.nodeId());
      }
    }
    return out;
  }

  // ---- Moving slots: asked by operators (Assign), or to rebalance (cluster-init auto) ----

  /** Moves operators asked for, run before the rebalancing plan. */
  private final ArrayDeque<Move> requested = new ArrayDeque<>();

  private final ArrayDeque<Move> plan = new ArrayDeque<>();

  /** Nodes whose RESP port is open, as they told this incarnation of the table. */
  private final Set<String> ready = new HashSet<>();
  private boolean moving;

  /**
   * The move whose source was asked to hand its slots off, until its answer is handled, or its
   * source is downed (then it fails at once instead of after the ask's 90 s).
   */
  private Move inFlight;

  private void maybeRebalance(SlotTableState state) {
    if (!autoInit || moving || !state.anyAssigned()) {
      return;
    }
    plan.clear();
    // Live: Up members, and nodes that said Ready (this node may not have seen them Up yet).
    Set<String> live = liveNodes(state);
    live.addAll(ready);
    live.removeIf(id -> !Rebalance.takesSlots(state, id, wantReplica));
    for (Rebalance.Transfer t : Rebalance.plan(state, live)) {
      if (ready.contains(t.to()) && ready.contains(t.from())) {
        plan.add(new Move(t.from(), t.to(), t.ranges()));
      }
    }
    runNextMove(state);
  }

  private void runNextMove(SlotTableState state) {
    Move m = requested.isEmpty() ? plan.poll() : requested.poll();
    moving = m != null;
    inFlight = m;
    if (m == null) {
      return;
    }
    SlotTableEvent.NodeSeen to = m.to() == null ? null : state.nodes().get(m.to());
    ctx.getLog().info("Moving slots {} from {} to {}", m.ranges(), m.from(), m.to() == null ? "nobody" : m.to());
    Duration timeout = Duration.ofSeconds(90);
    CompletionStage<SlotAgent.Released> released =
        agent(m.from())
            .thenCompose(
                agent ->
                    AskPattern.<SlotAgent.Command, SlotAgent.Released>ask(
                        agent,
                        r ->
                            new SlotAgent.Release(
                                m.ranges(), to == null ? null : to.host(), to == null ? 0 : to.port(), r),
                        timeout,
                        ctx.getSystem().scheduler()));
    ctx.pipeToSelf(
        released,
        (r, t) ->
            new MoveReleased(m, r == null ? null : r.nonEmpty(), t == null ? null : t.toString()));
  }

  /**
   * The agent of a node, found through the receptionist. A node that just joined may not be in
   * this node's listing yet (the receptionist spreads registrations by gossip): ask again for a
   * while (seen in CI: a SETSLOT right after start-up found no agent).
   */
  private CompletionStage<ActorRef<SlotAgent.Command>> agent(String nodeId) {
    return agent(nodeId, System.nanoTime() + Duration.ofSeconds(15).toNanos());
  }

  private CompletionStage<ActorRef<SlotAgent.Command>> agent(
      String nodeId, long deadline) {
    return AskPattern
        .<Receptionist.Command,
            Receptionist.Listing>ask(
            ctx.getSystem().receptionist(),
            r -> Receptionist.find(SlotAgent.key(nodeId), r),
            Duration.ofSeconds(10),
            ctx.getSystem().scheduler())
        .thenCompose(
            listing -> {
              var agents = listing.getServiceInstances(SlotAgent.key(nodeId));
              if (!agents.isEmpty()) {
                return CompletableFuture.completedFuture(agents.iterator().next());
              }
              if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no slot agent on node " + nodeId + " yet");
              }
              CompletableFuture<ActorRef<SlotAgent.Command>> later =
                  new CompletableFuture<>();
              ctx.getSystem()
                  .scheduler()
                  .scheduleOnce(
                      Duration.ofMillis(200),
                      () ->
                          agent(nodeId, deadline)
                              .whenComplete(
                                  (a, t) -> {
                                    if (t != null) {
                                      later.completeExceptionally(t);
                                    } else {
                                      later.complete(a);
                                    }
                                  }),
                      ctx.getSystem().executionContext());
              return later;
            });
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onMoveReleased(
      SlotTableState state, MoveReleased r) {
    if (r.move() != inFlight) {
      return Effect().noReply(); // the late answer of a move that failed when its source was downed
    }
    inFlight = null;
    if (r.failure() != null) {
      ctx.getLog().warn("Moving slots {} to {} failed ({}); they stay with {}", r.move().ranges(), r.move().to(), r.failure(), r.move().from());
      plan.clear();
      moving = false;
      if (r.move().replyTo() != null) {
        r.move().replyTo().tell(new Welcome("node " + r.move().from() + " did not hand its slots off: " + r.failure()));
      }
      // An operator's later moves may involve other nodes: they still run.
      runNextMove(state);
      return Effect().noReply();
    }
    Move m = r.move();
    List<SlotTableEvent> change =
        m.failover()
            ? Succession.promote(state, m.from(), m.to(), m.ranges())
            : List.of(
                m.to() == null
                    ? new SlotTableEvent.SlotsUnassigned(m.ranges(), state.epoch() + 1)
                    : new SlotTableEvent.SlotsAssigned(m.to(), m.ranges(), state.epoch() + 1));
    return Effect()
        .persist(change)
        .thenRun(
            s -> {
              publish(s);
              if (m.to() != null && !r.nonEmpty().isEmpty()) {
                agent(m.to()).thenAccept(a -> a.tell(new SlotAgent.Adopt(r.nonEmpty())));
              }
              if (m.replyTo() != null) {
                m.replyTo().tell(new Welcome(null));
              }
              runNextMove(s);
            })
        .thenNoReply();
  }

  // ---- CLUSTER MIGRATESLOTS: jobs moved batch by batch (docs/decisions/2026-12-06-atomic-slot-migration.md) ----

  /**
   * Slots per batch: one hand-off and one table event each. Larger batches move a third of the
   * slots sooner; each slot's pause is its batch's (hand-off of every running entity of the
   * batch, the table's write, the new owner's confirmation).
   */
  static final int MIGRATION_BATCH = Integer.getInteger("keyshard.migrateslots.batch", 128);

  private final SlotMigrations migrations = new SlotMigrations();
  /** The job whose batch is being warmed or moved (one batch at a time), or null. */
  private SlotMigrations.Job batchJob;
  /** The batch's move while it waits in {@link #requested}, so that a cancel can take it back. */
  private Move batchMove;
  private ActorRef<Welcome> batchListener;

  private static long nowSeconds() {
    return System.currentTimeMillis() / 1000;
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onMigrateSlots(SlotTableState state, MigrateSlots m) {
    String refusal = migrations.refusal(state, m.specs());
    if (refusal != null) {
      return Effect().reply(m.replyTo(), new Welcome(refusal));
    }
    for (SlotMigrations.Job j : migrations.start(state, m.specs(), nowSeconds())) {
      ctx.getLog().info("Slot migration {} started: {} slots {} from {} to {}", j.name, j.total, j.view().slotRanges(), j.source, j.target);
    }
    nextBatch(state);
    return Effect().reply(m.replyTo(), new Welcome(null));
  }

  /** Starts the next batch of the oldest job with slots to move, unless a batch runs. */
  private void nextBatch(SlotTableState state) {
    while (batchJob == null) {
      SlotMigrations.Job j = migrations.next();
      if (j == null) {
        return;
      }
      List<Integer> slots = SlotMigrations.takeBatch(j, MIGRATION_BATCH);
      long now = nowSeconds();
      String moved = slots.stream().filter(s -> !j.source.equals(state.owner(s))).findFirst()
          .map(s -> "Slot " + s + " is no longer served by the source node " + j.source).orElse(null);
      if (moved == null && !state.nodes().containsKey(j.target)) {
        moved = "Target node " + j.target + " left the cluster";
      }
      if (moved != null) {
        // The table changed under the job (SETSLOT, a failover): Valkey fails the job too.
        j.pending.clear();
        j.set(SlotMigrations.State.FAILED, moved, now);
        ctx.getLog().warn("Slot migration {} failed after {} of {} slots: {}", j.name, j.moved, j.total, moved);
        migrations.finished();
        continue;
      }
      batchJob = j;
      j.inFlight.addAll(slots);
      j.set(SlotMigrations.State.SNAPSHOTTING, null, now);
      String name = j.name;
      CompletionStage<SlotAgent.Prewarmed> warmed =
          agent(j.target)
              .thenCompose(
                  agent ->
                      AskPattern.<SlotAgent.Command, SlotAgent.Prewarmed>ask(
                          agent,
                          r -> new SlotAgent.Prewarm(slots, r),
                          PREWARM_LIMIT,
                          ctx.getSystem().scheduler()));
      // Reading ahead only shortens the target's start: failed or late, the batch still moves.
      ctx.pipeToSelf(
          warmed,
          (w, t) -> new BatchWarmed(name, slots, w == null ? -1 : w.held(), w == null ? -1 : w.millis()));
    }
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onBatchWarmed(SlotTableState state, BatchWarmed w) {
    SlotMigrations.Job j = batchJob;
    if (j == null || !j.name.equals(w.job())) {
      return Effect().noReply();
    }
    if (j.state.finished()) { // cancelled while the target read ahead: the batch stays
      j.inFlight.clear();
      batchJob = null;
      nextBatch(state);
      return Effect().noReply();
    }
    j.warmNote = w.held() < 0 ? "not read ahead" : w.held() + " holding keys read ahead in " + w.millis() + " ms";
    if (!liveNodes(state).contains(j.target)) {
      // A target that is gone would be given slots it cannot serve until its takeover: the
      // batch stays with the source, and the job ends here.
      String why = "Target node " + j.target + " is not a live member of the cluster";
      j.inFlight.clear();
      j.pending.clear();
      j.set(SlotMigrations.State.FAILED, why, nowSeconds());
      ctx.getLog().warn("Slot migration {} failed after {} of {} slots: {}", j.name, j.moved, j.total, why);
      migrations.finished();
      batchJob = null;
      nextBatch(state);
      return Effect().noReply();
    }
    j.set(SlotMigrations.State.PAUSED, null, nowSeconds());
    long started = System.nanoTime();
    String name = j.name;
    ActorRef<BatchSwitched> self = ctx.getSelf().narrow();
    batchListener =
        ctx.spawnAnonymous(
            Behaviors.receiveMessage(
                (Welcome done) -> {
                  self.tell(new BatchSwitched(name, w.slots(), done.refusal(), (System.nanoTime() - started) / 1_000_000));
                  return Behaviors.stopped();
                }));
    List<Integer> pairs = new ArrayList<>();
    for (int s : w.slots()) {
      pairs.add(s);
      pairs.add(s);
    }
    batchMove = new Move(j.source, j.target, Rebalance.merge(pairs), batchListener);
    requested.add(batchMove);
    if (!moving) {
      runNextMove(state);
    }
    return Effect().noReply();
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onBatchSwitched(SlotTableState state, BatchSwitched b) {
    SlotMigrations.Job j = migrations.byName(b.job());
    if (batchJob != null && batchJob.name.equals(b.job())) {
      batchJob = null;
      batchMove = null;
      batchListener = null;
    }
    if (j != null) {
      long now = nowSeconds();
      j.inFlight.clear();
      j.lastAck = now;
      if (b.failure() != null) {
        j.pending.clear();
        j.set(SlotMigrations.State.FAILED, b.failure(), now);
        ctx.getLog().warn("Slot migration {} failed after {} of {} slots: {}", j.name, j.moved, j.total, b.failure());
        migrations.finished();
      } else {
        j.moved += b.slots().size();
        if (j.cancelRequested && !j.state.finished()) {
          j.set(SlotMigrations.State.CANCELLED, SlotMigrations.cancelledText(j), now);
        } else if (!j.state.finished()) {
          j.set(j.pending.isEmpty() ? SlotMigrations.State.SUCCESS : SlotMigrations.State.WAITING, null, now);
        }
        ctx.getLog().info("Slot migration {}: {} of {} slots moved to {} ({} in this batch, {}, switched in {} ms)", j.name, j.moved, j.total, j.target, b.slots().size(), j.warmNote, b.millis());
        j.reportsPending++;
        String name = j.name;
        List<Integer> slots = b.slots();
        CompletionStage<SlotAgent.Pauses> pauses =
            agent(j.source)
                .thenCompose(
                    agent ->
                        AskPattern.<SlotAgent.Command, SlotAgent.Pauses>ask(
                            agent,
                            r -> new SlotAgent.ReportPauses(slots, r),
                            SlotAgent.PAUSE_REPORT_WAIT.plusSeconds(10),
                            ctx.getSystem().scheduler()));
        ctx.pipeToSelf(pauses, (p, t) -> new BatchPauses(name, slots, p == null ? List.of() : p.millis()));
        migrations.finished();
      }
    }
    nextBatch(state);
    return Effect().noReply();
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onBatchPauses(SlotTableState state, BatchPauses p) {
    SlotMigrations.Job j = migrations.byName(p.job());
    if (j == null) {
      return Effect().noReply();
    }
    j.reportsPending--;
    j.pausesMs.addAll(p.millis());
    long max = p.millis().stream().mapToLong(Long::longValue).max().orElse(-1);
    ctx.getLog().info("Slot migration {}: requests of {} slots were parked up to {} ms ({} reported)", j.name, p.slots().size(), max, p.millis().size());
    if (j.state.finished() && j.reportsPending == 0) {
      ctx.getLog().info(
          "Slot migration {} {}: {} of {} slots from {} to {} in {} s; requests parked per slot: median {} ms, max {} ms ({} slots measured)",
          j.name, j.state.text, j.moved, j.total, j.source, j.target, nowSeconds() - j.created, j.pauseMedian(), j.pauseMax(), j.pausesMs.size());
    }
    return Effect().noReply();
  }

  private ReplyEffect<SlotTableEvent, SlotTableState> onCancelMigrations(SlotTableState state, CancelMigrations c) {
    if (!migrations.anyRunning()) {
      return Effect().reply(c.replyTo(), new Welcome("No migrations ongoing"));
    }
    for (SlotMigrations.Job j : migrations.cancelAll(nowSeconds())) {
      ctx.getLog().info("Slot migration {} cancelled after {} of {} slots", j.name, j.moved, j.total);
    }
    // A batch whose hand-off has not begun is taken back; one being handed off completes (it
    // is one table event: the slots switch together or not at all).
    if (batchMove != null && requested.remove(batchMove)) {
      batchJob.inFlight.clear();
      if (batchJob.cancelRequested && !batchJob.state.finished()) {
        batchJob.set(SlotMigrations.State.CANCELLED, SlotMigrations.cancelledText(batchJob), nowSeconds());
      }
      ctx.stop(batchListener);
      batchJob = null;
      batchMove = null;
      batchListener = null;
    }
    return Effect().reply(c.replyTo(), new Welcome(null));
  }

  private void publish(SlotTableState state) {
    WireTable table = WireTable.of(state.toSnapshot());
    replicator.tell(
        new Replicator.Update<>(
            KEY,
            LWWRegister.create(self, table),
            new Replicator.WriteAll(Duration.ofSeconds(3)),
            // Nothing waits for the replicator's answer: every view also gets a push.
            ctx.getSystem().ignoreRef(),
            reg -> reg.withValue(self, table)));
    ClusterView.pushEverywhere(ctx.getSystem(), table);
  }

  @Override
  public EventHandler<SlotTableState, SlotTableEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(SlotTableState::apply);
  }

  @Override
  public SignalHandler<SlotTableState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (!state.nodes().isEmpty()) {
            publish(state);
          }
          ctx.scheduleOnce(AUDIT_EVERY, ctx.getSelf(), new Audit());
        })
        .onSignal(PostStop.instance(), state -> lease.close())
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public SnapshotAdapter<SlotTableState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(SlotTableState state) {
        return state.toSnapshot();
      }

      @Override
      public SlotTableState fromJournal(Object from) {
        return SlotTableState.fromSnapshot((SlotTableEvent.TableSnapshot) from);
      }
    };
  }
}
