package io.keyshard.persistence;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The slot table in memory: known nodes, the owner of each of the 16384 slots (null: none), the
 * current epoch and each node's config epoch. Immutable; {@link #apply} returns the next one.
 */
public final class SlotTableState {
  public static final int SLOTS = 16384;

  private final Map<String, SlotTableEvent.NodeSeen> nodes;
  private final String[] owners;
  private final Map<String, Long> configEpochs;
  private final long epoch;

  private SlotTableState(
      Map<String, SlotTableEvent.NodeSeen> nodes,
      String[] owners,
      Map<String, Long> configEpochs,
      long epoch) {
    this.nodes = nodes;
    this.owners = owners;
    this.configEpochs = configEpochs;
    this.epoch = epoch;
  }

  public static SlotTableState empty() {
    return new SlotTableState(new LinkedHashMap<>(), new String[SLOTS], new LinkedHashMap<>(), 0);
  }

  public SlotTableState apply(SlotTableEvent event) {
    if (event instanceof SlotTableEvent.NodeSeen n) {
      Map<String, SlotTableEvent.NodeSeen> next = new LinkedHashMap<>(nodes);
      next.put(n.nodeId(), n);
      return new SlotTableState(next, owners, configEpochs, epoch);
    }
    if (event instanceof SlotTableEvent.NodeForgotten f) {
      Map<String, SlotTableEvent.NodeSeen> next = new LinkedHashMap<>(nodes);
      next.remove(f.nodeId());
      String[] owned = owners.clone();
      for (int s = 0; s < SLOTS; s++) {
        if (f.nodeId().equals(owned[s])) {
          owned[s] = null;
        }
      }
      Map<String, Long> epochs = new LinkedHashMap<>(configEpochs);
      epochs.remove(f.nodeId());
      return new SlotTableState(next, owned, epochs, Math.max(epoch, f.epoch()));
    }
    SlotTableEvent.SlotsAssigned a = (SlotTableEvent.SlotsAssigned) event;
    String[] next = owners.clone();
    List<Integer> r = a.ranges();
    for (int i = 0; i + 1 < r.size(); i += 2) {
      for (int s = r.get(i); s <= r.get(i + 1); s++) {
        next[s] = a.nodeId();
      }
    }
    Map<String, Long> epochs = new LinkedHashMap<>(configEpochs);
    epochs.put(a.nodeId(), a.epoch());
    return new SlotTableState(nodes, next, epochs, Math.max(epoch, a.epoch()));
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

  public SlotTableEvent.TableSnapshot toSnapshot() {
    List<SlotTableEvent.SlotsAssigned> owned = new ArrayList<>();
    for (String id : nodes.keySet()) {
      List<Integer> ranges = rangesOf(id);
      if (!ranges.isEmpty() || configEpochs.containsKey(id)) {
        owned.add(new SlotTableEvent.SlotsAssigned(id, ranges, configEpoch(id)));
      }
    }
    return new SlotTableEvent.TableSnapshot(List.copyOf(nodes.values()), owned, epoch);
  }

  public static SlotTableState fromSnapshot(SlotTableEvent.TableSnapshot snapshot) {
    SlotTableState s = empty();
    for (SlotTableEvent.NodeSeen n : snapshot.nodes()) {
      s = s.apply(n);
    }
    for (SlotTableEvent.SlotsAssigned a : snapshot.owners()) {
      s = s.apply(a);
    }
    return new SlotTableState(s.nodes, s.owners, s.configEpochs, snapshot.epoch());
  }
}
