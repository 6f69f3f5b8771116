package io.keyshard.node.cluster;

import io.keyshard.node.route.Verdict;
import io.keyshard.node.slot.Migration;
import io.keyshard.node.slot.SlotEntityId;
import io.keyshard.persistence.SlotTableEvent;
import io.keyshard.persistence.SlotTableState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;

/**
 * This node's copy of the slot table, as the last Distributed Data update brought it: who owns
 * each slot, and the nodes' addresses. Read by the router on every request (a volatile read).
 */
public final class ClusterView {

  /** A node as clients see it. */
  public record Node(String id, String host, int port, int busPort, long configEpoch) {
    public String address() {
      return host + ":" + port;
    }
  }

  /**
   * One version of the table, with the owner of each slot as an index into {@code nodes} and the
   * epoch at which the slot was given to its owner (which names the owner's slot entity), and
   * the slots with a migration open.
   */
  public record Table(
      List<Node> nodes,
      short[] owners,
      long[] slotEpochs,
      long epoch,
      Map<String, String> replicaOf,
      Map<Integer, SlotTableEvent.OpenSlot> open) {
    /** The slot's migration state; {@link SlotTableEvent.OpenSlot#NONE} when none is open. */
    public SlotTableEvent.OpenSlot open(int slot) {
      return open.getOrDefault(slot, SlotTableEvent.OpenSlot.NONE);
    }

    /** The primary a node replicates, or null if it is a primary. */
    public String primaryOf(String nodeId) {
      return replicaOf.get(nodeId);
    }

    /** The replicas of a primary, in table order. */
    public List<Node> replicasOf(String primaryId) {
      List<Node> out = new ArrayList<>();
      for (Node n : nodes) {
        if (primaryId.equals(replicaOf.get(n.id()))) {
          out.add(n);
        }
      }
      return out;
    }

    public Node node(String id) {
      for (Node n : nodes) {
        if (n.id().equals(id)) {
          return n;
        }
      }
      return null;
    }

    public Node owner(int slot) {
      int i = owners[slot];
      return i < 0 ? null : nodes.get(i);
    }

    public long slotEpoch(int slot) {
      return slotEpochs[slot];
    }

    public int assignedSlots() {
      int n = 0;
      for (short o : owners) {
        if (o >= 0) {
          n++;
        }
      }
      return n;
    }

    /** The inclusive start, end pairs of a node's slots, ascending. */
    public List<int[]> ranges(String nodeId) {
      List<int[]> out = new ArrayList<>();
      int start = -1;
      for (int s = 0; s <= SlotTableState.SLOTS; s++) {
        Node o = s < SlotTableState.SLOTS ? owner(s) : null;
        boolean mine = o != null && o.id().equals(nodeId);
        if (mine && start < 0) {
          start = s;
        } else if (!mine && start >= 0) {
          out.add(new int[] {start, s - 1});
          start = -1;
        }
      }
      return out;
    }

    static Table of(SlotTableEvent.TableSnapshot t) {
      List<Node> nodes = new ArrayList<>();
      Map<String, Long> epochs = new HashMap<>();
      for (SlotTableEvent.SlotsAssigned a : t.owners()) {
        epochs.merge(a.nodeId(), a.epoch(), Math::max);
      }
      Map<String, Short> index = new HashMap<>();
      for (SlotTableEvent.NodeSeen n : t.nodes()) {
        index.put(n.nodeId(), (short) nodes.size());
        nodes.add(new Node(n.nodeId(), n.host(), n.port(), n.busPort(), epochs.getOrDefault(n.nodeId(), 0L)));
      }
      short[] owners = new short[SlotTableState.SLOTS];
      long[] slotEpochs = new long[SlotTableState.SLOTS];
      Arrays.fill(owners, (short) -1);
      for (SlotTableEvent.SlotsAssigned a : t.owners()) {
        Short i = index.get(a.nodeId());
        List<Integer> r = a.ranges();
        for (int k = 0; i != null && k + 1 < r.size(); k += 2) {
          Arrays.fill(owners, r.get(k), r.get(k + 1) + 1, i);
          Arrays.fill(slotEpochs, r.get(k), r.get(k + 1) + 1, a.epoch());
        }
      }
      Map<String, String> replicaOf = new HashMap<>();
      for (SlotTableEvent.ReplicaSet r : t.replicaList()) {
        if (!r.primaryId().isEmpty()) {
          replicaOf.put(r.nodeId(), r.primaryId());
        }
      }
      Map<Integer, SlotTableEvent.OpenSlot> open = new TreeMap<>();
      for (SlotTableEvent.OpenSlot o : t.openList()) {
        open.put(o.slot(), o);
      }
      return new Table(
          List.copyOf(nodes), owners, slotEpochs, t.epoch(), Map.copyOf(replicaOf), Collections.unmodifiableMap(open));
    }
  }

  private static final Table EMPTY =
      Table.of(new SlotTableEvent.TableSnapshot(List.of(), List.of(), 0));

  private final String myId;
  private volatile Table table = EMPTY;
  private volatile boolean localOnly;
  private final CompletableFuture<Void> knowsMe = new CompletableFuture<>();

  ClusterView(String myId) {
    this.myId = myId;
  }

  /** Starts following the table published by {@link SlotTable}. */
  public static ClusterView start(ActorSystem<?> system, String myId) {
    ClusterView view = new ClusterView(myId);
    system.systemActorOf(view.subscriber(), NAME, Props.empty());
    return view;
  }

  private static final String NAME = "slot-table-view";

  /**
   * Hands a table the slot table just persisted to every node's view directly, besides
   * Distributed Data. Through Distributed Data alone each node saw a change at its own moment:
   * at its replicator's next notification tick (up to {@code notify-subscribers-interval}
   * later), and during a failover later still, since a write to all replicas cannot complete
   * while the dead member is unreachable. Meanwhile the node that lost a slot answered MOVED to
   * the node that gained it while the gainer still answered MOVED back (a cluster client
   * bounced between them until it ran out of attempts), and a replica answered MOVED to its
   * dead primary for half a second after the table's node already sent clients to it. A view
   * never goes back to an older table, so a push and Distributed Data may arrive in any order.
   */
  static void pushEverywhere(ActorSystem<?> system, WireTable table) {
    org.apache.pekko.actor.ActorSystem classic = system.classicSystem();
    for (Member m :
        Cluster.get(classic).state().getMembers()) {
      if (m.status() == MemberStatus.up()
          || m.status() == MemberStatus.weaklyUp()) {
        classic
            .actorSelection(m.address() + "/system/" + NAME)
            .tell(table, org.apache.pekko.actor.ActorRef.noSender());
      }
    }
  }

  @SuppressWarnings("unchecked")
  private Behavior<Object> subscriber() {
    return Behaviors.setup(
        ctx -> {
          org.apache.pekko.actor.typed.ActorRef<Replicator.Command> replicator =
              DistributedData.get(ctx.getSystem())
                  .replicator();
          replicator.tell(
              new Replicator.Subscribe<>(
                  SlotTable.KEY,
                  ctx.getSelf()
                      .<Replicator.SubscribeResponse<LWWRegister<WireTable>>>
                          unsafeUpcast()));
          return Behaviors.receiveMessage(
              msg -> {
                if (msg instanceof Replicator.Changed<?> c) {
                  update(((Replicator.Changed<LWWRegister<WireTable>>) c)
                      .get(SlotTable.KEY).getValue().table());
                } else if (msg instanceof WireTable pushed) {
                  update(pushed.table());
                }
                return Behaviors.same();
              });
        });
  }

  void update(SlotTableEvent.TableSnapshot snapshot) {
    update(snapshot, false);
  }

  /**
   * Takes a newer table; {@code local} replaces whatever is there (a node that has not joined
   * shows only itself and the slots it was given).
   */
  void update(SlotTableEvent.TableSnapshot snapshot, boolean local) {
    Table next = Table.of(snapshot);
    if (!local && localOnly && next.nodes().stream().noneMatch(n -> n.id().equals(myId))) {
      // Joining, but the table does not name this node yet: keep showing what it brings (its
      // slots), or redis-cli --cluster create would see every node agree on a table that lacks
      // this one and stop waiting (seen in CI with six nodes).
      return;
    }
    if (!local && localOnly) {
      localOnly = false; // the cluster's table replaces the local one, whatever its epoch
    } else if (!local && next.epoch() < table.epoch()) {
      return; // never go back to an older table
    }
    localOnly = local;
    if (local) {
      table = next;
      return;
    }
    Table before = table;
    table = next;
    if (next.nodes().stream().anyMatch(n -> n.id().equals(myId))) {
      knowsMe.complete(null);
    }
    for (BiConsumer<Table, Table> l : listeners) {
      l.accept(before, next);
    }
  }

  private final List<BiConsumer<Table, Table>> listeners =
      new CopyOnWriteArrayList<>();

  /** Called with the old and the new table after every change brought by Distributed Data. */
  public void onChange(BiConsumer<Table, Table> listener) {
    listeners.add(listener);
  }

  private volatile boolean fenced;

  /**
   * Whether this node must serve no key at all: it cannot reach a majority of the cluster, or it
   * was paused for long enough that the others may have taken its slots (see {@link Fencing}).
   * Keyed commands then get Redis's {@code CLUSTERDOWN The cluster is down}.
   */
  public boolean fenced() {
    return fenced;
  }

  void setFenced(boolean fenced) {
    this.fenced = fenced;
  }

  /** Whether this node owns the slot in the current table. */
  public boolean owns(int slot) {
    Node o = table.owner(slot);
    return o != null && o.id().equals(myId);
  }

  /**
   * The entity id of this node's incarnation of a slot: {@code <slot>@<node id>@<slot epoch>}.
   * A slot that leaves this node and comes back does so under a newer epoch, so it starts a new
   * entity (recovered from the journal) and never reaches one left from before.
   */
  public SlotEntityId entityId(int slot) {
    return new SlotEntityId(slot, myId, table.slotEpoch(slot));
  }

  /** Completes once a published table names this node. */
  public CompletableFuture<Void> knowsMe() {
    return knowsMe;
  }

  public String myId() {
    return myId;
  }

  public Table table() {
    return table;
  }

  /**
   * What this node's table says about {@code slots}: served here, or Redis Cluster's answer
   * (CLUSTERDOWN while fenced, CROSSSLOT for keys in several slots, CLUSTERDOWN for a slot nobody
   * owns, MOVED to the owner). The router decides the rest (server/Router).
   */
  public Verdict verdict(SortedSet<Integer> slots) {
    if (slots.isEmpty()) {
      return Verdict.SERVED_HERE;
    }
    if (fenced) {
      return Verdict.CLUSTER_DOWN;
    }
    if (slots.size() > 1) {
      return Verdict.CROSS_SLOT;
    }
    return verdict(slots.first());
  }

  /**
   * The slot's migration from this node (it owns the slot and the table says MIGRATING), with the
   * target's address; null otherwise (docs/decisions/2026-12-06-slot-migration-protocol.md).
   */
  public Migration migration(int slot) {
    Table t = table;
    SlotTableEvent.OpenSlot o = t.open(slot);
    if (!o.migrating()) {
      return null; // the common case: one map lookup
    }
    Node owner = t.owner(slot);
    Node target = t.node(o.migratingTo());
    if (owner == null || !owner.id().equals(myId) || target == null) {
      return null;
    }
    return new Migration(o.migration(), target.address());
  }

  /**
   * The migration id under which this node imports {@code slot} from its current owner
   * (CLUSTER SETSLOT IMPORTING here; 0 while the owner has not set MIGRATING yet); -1 when this
   * node does not import it.
   */
  public long importing(int slot) {
    Table t = table;
    SlotTableEvent.OpenSlot o = t.open(slot);
    Node owner = t.owner(slot);
    if (!o.importing() || !o.importer().equals(myId) || owner == null || !owner.id().equals(o.importingFrom())) {
      return -1;
    }
    // Forwarded under the owner's migration only if it migrates to this node.
    return o.migrating() && o.migratingTo().equals(myId) ? o.migration() : 0;
  }

  /** The same for one slot, fenced or not. */
  public Verdict verdict(int slot) {
    Node owner = table.owner(slot);
    if (owner == null) {
      return Verdict.SLOT_NOT_SERVED;
    }
    if (owner.id().equals(myId)) {
      return Verdict.SERVED_HERE;
    }
    if (owner.port() == 0) {
      // Displaced by another node at its address (SlotTable.displaced): no redirect would help.
      return Verdict.SLOT_NOT_SERVED;
    }
    return new Verdict.Moved(slot, owner.address());
  }
}
