package io.keyshard.persistence;

import java.util.List;

/**
 * Events of the cluster's slot table (docs/decisions/2026-11-22-cluster-mode-plan.md). The table
 * names nodes by their 40-hex id and gives each slot an owner; every change of ownership carries
 * the table's new epoch. Append-only, like {@link SlotEvent}.
 */
public sealed interface SlotTableEvent extends PersistentFormat {

  /** A node is known at this client address and cluster bus port (new, or moved). */
  record NodeSeen(String nodeId, String host, int port, int busPort) implements SlotTableEvent {}

  /**
   * Slots given to a node: {@code ranges} holds inclusive start, end pairs. {@code epoch} is the
   * table's epoch after the change, the node's config epoch, and the epoch of these slots (an
   * owner's slot entity is named by it, so a slot that comes back to a node starts afresh).
   * In a {@link TableSnapshot} a node has one entry per distinct slot epoch, in ascending epoch
   * order; its config epoch is its highest (an entry may have no ranges to carry it).
   */
  record SlotsAssigned(String nodeId, List<Integer> ranges, long epoch) implements SlotTableEvent {}

  /**
   * Slots that no longer have an owner (CLUSTER DELSLOTS), their previous owner having handed
   * them off; {@code epoch} is the table's epoch after the change.
   */
  record SlotsUnassigned(List<Integer> ranges, long epoch) implements SlotTableEvent {}

  /** A node removed from the table (CLUSTER FORGET); slots it still owned have no owner. */
  record NodeForgotten(String nodeId, long epoch) implements SlotTableEvent {}

  /**
   * A node's role: a replica of {@code primaryId} (CLUSTER REPLICATE, or a failover that made
   * the old primary follow its successor), or a primary again when {@code primaryId} is empty.
   * A replica owns no slots.
   */
  record ReplicaSet(String nodeId, String primaryId, long epoch) implements SlotTableEvent {}

  /**
   * The whole table: snapshot, and what every node caches (Distributed Data). {@code replicas}
   * lists the nodes that are replicas (null when there are none, as in tables written before
   * replicas existed).
   */
  record TableSnapshot(
      List<NodeSeen> nodes, List<SlotsAssigned> owners, long epoch, List<ReplicaSet> replicas)
      implements PersistentFormat {
    public TableSnapshot(List<NodeSeen> nodes, List<SlotsAssigned> owners, long epoch) {
      this(nodes, owners, epoch, null);
    }

    /** The replicas, never null. */
    public List<ReplicaSet> replicaList() {
      return replicas == null ? List.of() : replicas;
    }
  }
}
