package io.keyshard.persistence;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * The slot table in memory: known nodes, the owner of each of the 16384 slots (null: none), the
 * current epoch and each node's config epoch. Immutable; {@link #apply} returns the next one.
 */
public final class SlotTableState {
  public static final int SLOTS = 16384;

  private final Map<String, SlotTableEvent.NodeSeen> nodes;
  private final String[] owners;
  /** The epoch at which each slot was given to its owner (0: no owner). */
  private final long[] slotEpochs;
  private final Map<String, Long> configEpochs;
  private final long epoch;
  /** Replica node id -> its primary's id. */
  private final Map<String, String> replicaOf;
  /** Slots with a migration open (MIGRATING, IMPORTING), by slot; few at a time. */
  private final TreeMap<Integer, SlotTableEvent.OpenSlot> open;

  private SlotTableState(
      Map<String, SlotTableEvent.NodeSeen> nodes,
      String[] owners,
      long[] slotEpochs,
      Map<String, Long> configEpochs,
      long epoch) {
    this(nodes, owners, slotEpochs, configEpochs, epoch, Map.of(), new TreeMap<>());
  }

  private SlotTableState(
      Map<String, SlotTableEvent.NodeSeen> nodes,
      String[] owners,
      long[] slotEpochs,
      Map<String, Long> configEpochs,
      long epoch,
      Map<String, String> replicaOf,
      TreeMap<Integer, SlotTableEvent.OpenSlot> open) {
    this.nodes = nodes;
    this.owners = owners;
    this.slotEpochs = slotEpochs;
    this.configEpochs = configEpochs;
    this.epoch = epoch;
    this.replicaOf = replicaOf;
    this.open = open;
  }

  /** The slot's migration state; {@link SlotTableEvent.OpenSlot#NONE} when none is open. */
  public SlotTableEvent.OpenSlot open(int slot) {
    return open.getOrDefault(slot, SlotTableEvent.OpenSlot.NONE);
  }

  /** Every slot with a migration open, ascending. */
  public List<SlotTableEvent.OpenSlot> openSlots() {
    return List.copyOf(open.values());
  }

  private SlotTableState withOpen(TreeMap<Integer, SlotTableEvent.OpenSlot> next, long atLeast) {
    return new SlotTableState(
        nodes, owners, slotEpochs, configEpochs, Math.max(epoch, atLeast), replicaOf, next);
  }

  /** The open slots with {@code change} applied to one, dropped if nothing is left open. */
  private TreeMap<Integer, SlotTableEvent.OpenSlot> changeOpen(
      int slot, UnaryOperator<SlotTableEvent.OpenSlot> change) {
    TreeMap<Integer, SlotTableEvent.OpenSlot> next = new TreeMap<>(open);
    SlotTableEvent.OpenSlot was = open.get(slot);
    SlotTableEvent.OpenSlot is =
        change.apply(was == null ? new SlotTableEvent.OpenSlot(slot, "", 0, "", "") : was);
    if (is.migrating() || is.importing()) {
      next.put(slot, is);
    } else {
      next.remove(slot);
    }
    return next;
  }

  /** The open slots without those in {@code ranges} (inclusive start, end pairs). */
  private TreeMap<Integer, SlotTableEvent.OpenSlot> closeIn(List<Integer> ranges) {
    if (open.isEmpty()) {
      return open;
    }
    TreeMap<Integer, SlotTableEvent.OpenSlot> next = new TreeMap<>(open);
    for (int i = 0; i + 1 < ranges.size(); i += 2) {
      next.subMap(ranges.get(i), true, ranges.get(i + 1), true).clear();
    }
    return next;
  }

  public static SlotTableState empty() {
    return new SlotTableState(
        new LinkedHashMap<>(), new String[SLOTS], new long[SLOTS], new LinkedHashMap<>(), 0);
  }

  /** The primary a node replicates, or null if it is a primary. */
  public String primaryOf(String nodeId) {
    return replicaOf.get(nodeId);
  }

  /** The replicas of a primary, in table order. */
  public List<String> replicasOf(String primaryId) {
    List<String> out = new ArrayList<>();
    for (String id : nodes.keySet()) {
      if (primaryId.equals(replicaOf.get(id))) {
        out.add(id);
      }
    }
    return out;
  }

  public SlotTableState apply(SlotTableEvent event) {
    if (event instanceof SlotTableEvent.NodeSeen n) {
      Map<String, SlotTableEvent.NodeSeen> next = new LinkedHashMap<>(nodes);
      next.put(n.nodeId(), n);
      return new SlotTableState(next, owners, slotEpochs, configEpochs, epoch, replicaOf, open);
    }
    if (event instanceof SlotTableEvent.SlotMigrating m) {
      return withOpen(
          changeOpen(
              m.slot(),
              o -> new SlotTableEvent.OpenSlot(o.slot(), m.targetId(), m.epoch(), o.importer(), o.importingFrom())),
          m.epoch());
    }
    if (event instanceof SlotTableEvent.SlotImporting i) {
      return withOpen(
          changeOpen(
              i.slot(),
              o -> new SlotTableEvent.OpenSlot(o.slot(), o.migratingTo(), o.migration(), i.nodeId(), i.sourceId())),
          i.epoch());
    }
    if (event instanceof SlotTableEvent.SlotStable st) {
      boolean all = st.nodeId().isEmpty();
      boolean owner = all || st.nodeId().equals(owners[st.slot()]);
      boolean importer = all || st.nodeId().equals(open(st.slot()).importer());
      return withOpen(
          changeOpen(
              st.slot(),
              o -> new SlotTableEvent.OpenSlot(
                  o.slot(),
                  owner ? "" : o.migratingTo(),
                  owner ? 0 : o.migration(),
                  importer ? "" : o.importer(),
                  importer ? "" : o.importingFrom())),
          st.epoch());
    }
    if (event instanceof SlotTableEvent.SlotsUnassigned u) {
      String[] owned = owners.clone();
      long[] epochs = slotEpochs.clone();
      List<Integer> r = u.ranges();
      for (int i = 0; i + 1 < r.size(); i += 2) {
        for (int s = r.get(i); s <= r.get(i + 1); s++) {
          owned[s] = null;
          epochs[s] = 0;
        }
      }
      return new SlotTableState(
          nodes, owned, epochs, configEpochs, Math.max(epoch, u.epoch()), replicaOf, closeIn(u.ranges()));
    }
    if (event instanceof SlotTableEvent.NodeForgotten f) {
      Map<String, SlotTableEvent.NodeSeen> next = new LinkedHashMap<>(nodes);
      next.remove(f.nodeId());
      String[] owned = owners.clone();
      long[] slotEpochsNext = slotEpochs.clone();
      for (int s = 0; s < SLOTS; s++) {
        if (f.nodeId().equals(owned[s])) {
          owned[s] = null;
          slotEpochsNext[s] = 0;
        }
      }
      Map<String, Long> epochs = new LinkedHashMap<>(configEpochs);
      epochs.remove(f.nodeId());
      Map<String, String> replicas = new LinkedHashMap<>(replicaOf);
      replicas.remove(f.nodeId());
      replicas.values().removeIf(f.nodeId()::equals);
      // Its migrations end with it: as owner (its slots have none now), target, importer, source.
      TreeMap<Integer, SlotTableEvent.OpenSlot> stillOpen = new TreeMap<>();
      for (SlotTableEvent.OpenSlot o : open.values()) {
        boolean migrates = o.migrating() && owned[o.slot()] != null && !o.migratingTo().equals(f.nodeId());
        boolean imports = o.importing() && !o.importer().equals(f.nodeId()) && !o.importingFrom().equals(f.nodeId());
        if (migrates || imports) {
          stillOpen.put(
              o.slot(),
              new SlotTableEvent.OpenSlot(
                  o.slot(),
                  migrates ? o.migratingTo() : "",
                  migrates ? o.migration() : 0,
                  imports ? o.importer() : "",
                  imports ? o.importingFrom() : ""));
        }
      }
      return new SlotTableState(
          next, owned, slotEpochsNext, epochs, Math.max(epoch, f.epoch()), replicas, stillOpen);
    }
    if (event instanceof SlotTableEvent.ReplicaSet r) {
      Map<String, String> replicas = new LinkedHashMap<>(replicaOf);
      if (r.primaryId().isEmpty()) {
        replicas.remove(r.nodeId());
      } else {
        replicas.put(r.nodeId(), r.primaryId());
      }
      return new SlotTableState(
          nodes, owners, slotEpochs, configEpochs, Math.max(epoch, r.epoch()), replicas, open);
    }
    SlotTableEvent.SlotsAssigned a = (SlotTableEvent.SlotsAssigned) event;
    String[] next = owners.clone();
    long[] slotEpochsNext = slotEpochs.clone();
    List<Integer> r = a.ranges();
    for (int i = 0; i + 1 < r.size(); i += 2) {
      for (int s = r.get(i); s <= r.get(i + 1); s++) {
        next[s] = a.nodeId();
        slotEpochsNext[s] = a.epoch();
      }
    }
    Map<String, Long> epochs = new LinkedHashMap<>(configEpochs);
    epochs.merge(a.nodeId(), a.epoch(), Math::max);
    // A new owner (SETSLOT NODE, a rebalance, a takeover) ends the slots' migrations.
    return new SlotTableState(
        nodes, next, slotEpochsNext, epochs, Math.max(epoch, a.epoch()), replicaOf, closeIn(r));
  }

  public Map<String, SlotTableEvent.NodeSeen> nodes() {
    return nodes;
  }

  public String owner(int slot) {
    return owners[slot];
  }

  public long epoch() {
    return epoch;
  }

  /** The epoch at which the slot was given to its owner; 0 when it has none. */
  public long slotEpoch(int slot) {
    return slotEpochs[slot];
  }

  public long configEpoch(String nodeId) {
    return configEpochs.getOrDefault(nodeId, 0L);
  }

  public boolean anyAssigned() {
    for (String o : owners) {
      if (o != null) {
        return true;
      }
    }
    return false;
  }

  /** The inclusive start, end pairs of the slots a node owns, ascending. */
  public List<Integer> rangesOf(String nodeId) {
    List<Integer> out = new ArrayList<>();
    int start = -1;
    for (int s = 0; s <= SLOTS; s++) {
      boolean mine = s < SLOTS && nodeId.equals(owners[s]);
      if (mine && start < 0) {
        start = s;
      } else if (!mine && start >= 0) {
        out.add(start);
        out.add(s - 1);
        start = -1;
      }
    }
    return out;
  }

  /**
   * The table as {@link SlotTableEvent.TableSnapshot}: per node, one entry per distinct slot
   * epoch in ascending order, then (if higher) its config epoch in an entry without ranges.
   */
  public SlotTableEvent.TableSnapshot toSnapshot() {
    List<SlotTableEvent.SlotsAssigned> owned = new ArrayList<>();
    for (String id : nodes.keySet()) {
      TreeMap<Long, List<Integer>> byEpoch = new TreeMap<>();
      int start = -1;
      for (int s = 0; s <= SLOTS; s++) {
        boolean continues =
            s < SLOTS && start >= 0 && id.equals(owners[s]) && slotEpochs[s] == slotEpochs[start];
        if (start >= 0 && !continues) {
          List<Integer> ranges = byEpoch.computeIfAbsent(slotEpochs[start], e -> new ArrayList<>());
          ranges.add(start);
          ranges.add(s - 1);
          start = -1;
        }
        if (start < 0 && s < SLOTS && id.equals(owners[s])) {
          start = s;
        }
      }
      byEpoch.forEach((e, ranges) -> owned.add(new SlotTableEvent.SlotsAssigned(id, ranges, e)));
      long config = configEpoch(id);
      if (configEpochs.containsKey(id) && (byEpoch.isEmpty() || byEpoch.lastKey() < config)) {
        owned.add(new SlotTableEvent.SlotsAssigned(id, List.of(), config));
      }
    }
    List<SlotTableEvent.ReplicaSet> replicas = new ArrayList<>();
    replicaOf.forEach((r, p) -> replicas.add(new SlotTableEvent.ReplicaSet(r, p, 0)));
    return new SlotTableEvent.TableSnapshot(
        List.copyOf(nodes.values()),
        owned,
        epoch,
        replicas.isEmpty() ? null : replicas,
        open.isEmpty() ? null : List.copyOf(open.values()));
  }

  public static SlotTableState fromSnapshot(SlotTableEvent.TableSnapshot snapshot) {
    SlotTableState s = empty();
    for (SlotTableEvent.NodeSeen n : snapshot.nodes()) {
      s = s.apply(n);
    }
    for (SlotTableEvent.SlotsAssigned a : snapshot.owners()) {
      s = s.apply(a);
    }
    for (SlotTableEvent.ReplicaSet r : snapshot.replicaList()) {
      s = s.apply(r);
    }
    // After the owners: an assignment closes its slots' migrations.
    TreeMap<Integer, SlotTableEvent.OpenSlot> open = new TreeMap<>();
    for (SlotTableEvent.OpenSlot o : snapshot.openList()) {
      open.put(o.slot(), o);
    }
    return new SlotTableState(
        s.nodes, s.owners, s.slotEpochs, s.configEpochs, snapshot.epoch(), s.replicaOf, open);
  }
}
