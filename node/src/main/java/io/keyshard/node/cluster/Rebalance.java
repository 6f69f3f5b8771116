package io.keyshard.node.cluster;

import io.keyshard.persistence.SlotTableEvent.NodeSeen;
import io.keyshard.persistence.SlotTableEvent.SlotsAssigned;
import io.keyshard.persistence.SlotTableState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The slot table's arithmetic: which slots go from whom to whom when the cluster forms, a node
 * joins, or a node leaves. Pure functions of the table and of the nodes the caller lets take
 * slots; {@link SlotTable} decides when to ask, and runs the moves through hand-offs.
 */
final class Rebalance {
  private Rebalance() {}

  /** Slots going from one node to another, as inclusive start, end pairs. */
  record Transfer(String from, String to, List<Integer> ranges) {}

  /**
   * Whether a node may be given slots: a replica never holds any, nor does a node that asked to
   * become one (keyshard.cluster.replica) and waits for its primary ({@code waitingReplicas}).
   */
  static boolean takesSlots(SlotTableState state, String nodeId, Set<String> waitingReplicas) {
    NodeSeen seen = state.nodes().get(nodeId);
    // A node without an address (displaced by a newcomer at its address) will not come back.
    return state.primaryOf(nodeId) == null
        && !waitingReplicas.contains(nodeId)
        && (seen == null || seen.busPort() != 0);
  }

  /**
   * The first assignment: the 16384 slots in contiguous, nearly equal ranges, to the nodes of
   * {@code ids} in address order, each under its own new config epoch (as redis-cli --cluster
   * create gives them).
   */
  static List<SlotsAssigned> evenShares(SlotTableState state, List<String> ids) {
    List<NodeSeen> nodes = new ArrayList<>(state.nodes().values());
    nodes.removeIf(n -> !ids.contains(n.nodeId()));
    nodes.sort(Comparator.comparing(NodeSeen::host).thenComparingInt(NodeSeen::port));
    List<SlotsAssigned> out = new ArrayList<>();
    int n = nodes.size();
    long epoch = state.epoch();
    for (int i = 0; i < n; i++) {
      int start = (int) ((long) SlotTableState.SLOTS * i / n);
      int end = (int) ((long) SlotTableState.SLOTS * (i + 1) / n) - 1;
      out.add(new SlotsAssigned(nodes.get(i).nodeId(), List.of(start, end), ++epoch));
    }
    return out;
  }

  /**
   * A node joined (or came back): the transfers that give every node of the table in {@code live}
   * its even share (16384 / n, or one more), taking each surplus from the top of the donor's
   * slots and filling the nodes short of their share in table order. Slots of nodes outside
   * {@code live}, and unowned slots, are left where they are.
   */
  static List<Transfer> plan(SlotTableState state, Set<String> live) {
    List<String> ids = new ArrayList<>(state.nodes().keySet());
    ids.retainAll(live);
    int n = ids.size();
    Map<String, List<Integer>> owned = new LinkedHashMap<>();
    ids.forEach(id -> owned.put(id, new ArrayList<>()));
    for (int slot = 0; slot < SlotTableState.SLOTS; slot++) {
      String o = state.owner(slot);
      if (o != null && owned.containsKey(o)) {
        owned.get(o).add(slot);
      }
    }
    // A share is base or base + 1 slots, whichever nodes hold the extra ones: a node gives what
    // it holds above base + 1 first, and only then (if some node is still short) down to base.
    // So a table that is already even moves nothing, and no slot moves twice.
    int base = SlotTableState.SLOTS / n;
    int high = base + (SlotTableState.SLOTS % n == 0 ? 0 : 1);
    Map<String, Integer> shortOf = new HashMap<>();
    int needed = 0;
    for (String id : ids) {
      int missing = Math.max(0, base - owned.get(id).size());
      shortOf.put(id, missing);
      needed += missing;
    }
    List<String[]> surplus = new ArrayList<>(); // {from, slot}, each donor's highest slots first
    for (int floor : new int[] {high, base}) {
      for (String id : ids) {
        List<Integer> mine = owned.get(id);
        while (surplus.size() < needed && mine.size() > floor) {
          surplus.add(new String[] {id, Integer.toString(mine.remove(mine.size() - 1))});
        }
      }
    }
    Map<String, Map<String, TreeSet<Integer>>> moves = new LinkedHashMap<>();
    int next = 0;
    for (String id : ids) {
      for (int want = shortOf.get(id); want > 0 && next < surplus.size(); want--, next++) {
        String[] sl = surplus.get(next);
        moves.computeIfAbsent(sl[0], f -> new LinkedHashMap<>())
            .computeIfAbsent(id, t -> new TreeSet<>())
            .add(Integer.parseInt(sl[1]));
      }
    }
    List<Transfer> out = new ArrayList<>();
    moves.forEach(
        (from, byTo) ->
            byTo.forEach((to, slots) -> out.add(new Transfer(from, to, merge(pairs(slots))))));
    return out;
  }

  /**
   * A node leaves (drained by SHUTDOWN, or removed): its slots in {@code ranges}, split into
   * contiguous, nearly equal parts, one per node of {@code to} (in table order), each under a
   * new epoch.
   */
  static List<SlotsAssigned> split(SlotTableState state, List<Integer> ranges, List<String> to) {
    List<Integer> slots = SlotAgent.expand(ranges);
    List<String> order = new ArrayList<>(state.nodes().keySet());
    order.retainAll(to);
    List<SlotsAssigned> out = new ArrayList<>();
    long epoch = state.epoch();
    int n = order.size();
    for (int i = 0; i < n; i++) {
      List<Integer> part = slots.subList(slots.size() * i / n, slots.size() * (i + 1) / n);
      if (part.isEmpty()) {
        continue;
      }
      out.add(new SlotsAssigned(order.get(i), merge(pairs(part)), ++epoch));
    }
    return out;
  }

  /** Joins adjacent single-slot pairs into ranges. */
  static List<Integer> merge(List<Integer> pairs) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i + 1 < pairs.size(); i += 2) {
      int n = out.size();
      if (n >= 2 && out.get(n - 1) + 1 == pairs.get(i)) {
        out.set(n - 1, pairs.get(i + 1));
      } else {
        out.add(pairs.get(i));
        out.add(pairs.get(i + 1));
      }
    }
    return out;
  }

  /** Each slot as a one-slot range (start, end pair). */
  private static List<Integer> pairs(Iterable<Integer> slots) {
    List<Integer> pairs = new ArrayList<>();
    for (int sl : slots) {
      pairs.add(sl);
      pairs.add(sl);
    }
    return pairs;
  }
}
