package io.keyshard.node.cluster;

import io.keyshard.persistence.SlotTableEvent;
import io.keyshard.persistence.SlotTableEvent.ReplicaSet;
import io.keyshard.persistence.SlotTableEvent.SlotsAssigned;
import io.keyshard.persistence.SlotTableState;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Who inherits a primary's slots when it goes (removed after a crash, drained by SHUTDOWN, or
 * CLUSTER FAILOVER): a live replica of its own is promoted; without one the live primaries share
 * the slots ({@link Rebalance#split}). Pure, so the rule is tested apart from {@link SlotTable},
 * which decides when and hands the slots off.
 */
final class Succession {
  private Succession() {}

  /** The first of {@code primary}'s replicas, in table order, that is in {@code live}; or null. */
  static String liveReplica(SlotTableState state, String primary, Set<String> live) {
    for (String replica : state.replicasOf(primary)) {
      if (live.contains(replica)) {
        return replica;
      }
    }
    return null;
  }

  /**
   * The events that promote {@code replica}: it becomes a primary and gets {@code ranges}, the
   * old primary becomes its replica (it follows once it is back), and the old primary's other
   * replicas follow the new one; all under one new epoch.
   */
  static List<SlotTableEvent> promote(
      SlotTableState state, String primary, String replica, List<Integer> ranges) {
    long epoch = state.epoch() + 1;
    List<SlotTableEvent> events = new ArrayList<>();
    events.add(new ReplicaSet(replica, "", epoch));
    if (!ranges.isEmpty()) {
      events.add(new SlotsAssigned(replica, ranges, epoch));
    }
    events.add(new ReplicaSet(primary, replica, epoch));
    for (String other : state.replicasOf(primary)) {
      if (!other.equals(replica)) {
        events.add(new ReplicaSet(other, replica, epoch));
      }
    }
    return events;
  }
}
