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

  // ---- Per-key slot migration (docs/decisions/2026-12-06-slot-migration-protocol.md) ----

  /**
   * CLUSTER SETSLOT slot MIGRATING target, sent to the slot's owner. {@code epoch} is the
   * table's epoch after the change and the migration's id: the keys the owner's slot entity
   * hands over carry it, so those of an earlier migration of the slot are void.
   */
  record SlotMigrating(int slot, String targetId, long epoch) implements SlotTableEvent {}

  /** CLUSTER SETSLOT slot IMPORTING source, sent to {@code nodeId} (the slot's one importer). */
  record SlotImporting(int slot, String nodeId, String sourceId, long epoch)
      implements SlotTableEvent {}

  /**
   * CLUSTER SETSLOT slot STABLE sent to {@code nodeId}: its part of the slot's migration (as owner
   * or as importer) ends. An empty {@code nodeId} ends the slot's whole migration state.
   */
  record SlotStable(int slot, String nodeId, long epoch) implements SlotTableEvent {}

  /**
   * A slot with a migration open, as a {@link TableSnapshot} lists it: the owner migrates it to
   * {@code migratingTo} under migration id {@code migration} (empty and 0 if not), and
   * {@code importer} imports it from {@code importingFrom} (empty if nobody does).
   */
  record OpenSlot(
      int slot, String migratingTo, long migration, String importer, String importingFrom) {
    public static final OpenSlot NONE = new OpenSlot(-1, "", 0, "", "");

    public boolean migrating() {
      return !migratingTo.isEmpty();
    }

    public boolean importing() {
      return !importer.isEmpty();
    }
  }

  /**
   * The whole table: snapshot, and what every node caches (Distributed Data). {@code replicas}
   * lists the nodes that are replicas (null when there are none, as in tables written before
   * replicas existed); {@code open} the slots with a migration open (null when none, as in tables
   * written before migrations existed).
   */
  record TableSnapshot(
      List<NodeSeen> nodes,
      List<SlotsAssigned> owners,
      long epoch,
      List<ReplicaSet> replicas,
      List<OpenSlot> open)
      implements PersistentFormat {
    public TableSnapshot(List<NodeSeen> nodes, List<SlotsAssigned> owners, long epoch) {
      this(nodes, owners, epoch, null, null);
    }

    public TableSnapshot(
        List<NodeSeen> nodes, List<SlotsAssigned> owners, long epoch, List<ReplicaSet> replicas) {
      this(nodes, owners, epoch, replicas, null);
    }

    /** The replicas, never null. */
    public List<ReplicaSet> replicaList() {
      return replicas == null ? List.of() : replicas;
    }

    /** The open slots, never null. */
    public List<OpenSlot> openList() {
      return open == null ? List.of() : open;
    }
  }
}
