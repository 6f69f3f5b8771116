package io.keyshard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-slot epochs: kept by every event, and through a snapshot and back. */
class SlotTableStateTest {
  private static final String A = "a".repeat(40);
  private static final String B = "b".repeat(40);

  private static SlotTableState table() {
    SlotTableState s = SlotTableState.empty();
    s = s.apply(new SlotTableEvent.NodeSeen(A, "127.0.0.1", 7000, 17000));
    s = s.apply(new SlotTableEvent.NodeSeen(B, "127.0.0.1", 7001, 17001));
    s = s.apply(new SlotTableEvent.SlotsAssigned(A, List.of(0, 8191), 1));
    s = s.apply(new SlotTableEvent.SlotsAssigned(B, List.of(8192, 16383), 2));
    // Slot 100 goes to B and back to A: it comes back under a new epoch, its neighbours not.
    s = s.apply(new SlotTableEvent.SlotsAssigned(B, List.of(100, 100), 3));
    s = s.apply(new SlotTableEvent.SlotsAssigned(A, List.of(100, 100), 4));
    return s.apply(new SlotTableEvent.SlotsUnassigned(List.of(16383, 16383), 5));
  }

  @Test
  void eachSlotKeepsTheEpochItWasGivenAt() {
    SlotTableState s = table();
    assertEquals(1, s.slotEpoch(99));
    assertEquals(4, s.slotEpoch(100));
    assertEquals(1, s.slotEpoch(101));
    assertEquals(2, s.slotEpoch(16382));
    assertEquals(0, s.slotEpoch(16383));
    assertNull(s.owner(16383));
    assertEquals(4, s.configEpoch(A));
    assertEquals(3, s.configEpoch(B)); // its config epoch stays the highest it was given
    assertEquals(5, s.epoch());
  }

  @Test
  void aSnapshotKeepsOwnersSlotEpochsAndConfigEpochs() {
    SlotTableState s = table();
    SlotTableEvent.TableSnapshot snap = s.toSnapshot();
    assertEquals(
        List.of(
            new SlotTableEvent.SlotsAssigned(A, List.of(0, 99, 101, 8191), 1),
            new SlotTableEvent.SlotsAssigned(A, List.of(100, 100), 4),
            new SlotTableEvent.SlotsAssigned(B, List.of(8192, 16382), 2),
            new SlotTableEvent.SlotsAssigned(B, List.of(), 3)),
        snap.owners());
    SlotTableState back = SlotTableState.fromSnapshot(snap);
    for (int slot = 0; slot < SlotTableState.SLOTS; slot++) {
      assertEquals(s.owner(slot), back.owner(slot), "owner of " + slot);
      assertEquals(s.slotEpoch(slot), back.slotEpoch(slot), "epoch of " + slot);
    }
    assertEquals(4, back.configEpoch(A));
    assertEquals(3, back.configEpoch(B));
    assertEquals(snap, back.toSnapshot());
  }

  @Test
  void replicasFollowTheirPrimaryThroughASnapshot() {
    String c = "c".repeat(40);
    SlotTableState s = table().apply(new SlotTableEvent.NodeSeen(c, "127.0.0.1", 7002, 17002));
    s = s.apply(new SlotTableEvent.ReplicaSet(c, A, 6));
    assertEquals(A, s.primaryOf(c));
    assertEquals(List.of(c), s.replicasOf(A));
    assertEquals(6, s.epoch());
    SlotTableState back = SlotTableState.fromSnapshot(s.toSnapshot());
    assertEquals(A, back.primaryOf(c));
    assertNull(back.primaryOf(A));
    // A failover: C becomes a primary, A its replica.
    s = s.apply(new SlotTableEvent.ReplicaSet(c, "", 7)).apply(new SlotTableEvent.ReplicaSet(A, c, 7));
    assertNull(s.primaryOf(c));
    assertEquals(c, s.primaryOf(A));
    assertEquals(List.of(), s.replicasOf(A));
    // Forgetting a primary leaves its replicas primaries (of nothing).
    s = s.apply(new SlotTableEvent.NodeForgotten(c, 8));
    assertNull(s.primaryOf(A));
  }

  @Test
  void aSnapshotFromBeforeSlotEpochsGivesEachSlotItsOwnersConfigEpoch() {
    SlotTableEvent.TableSnapshot old =
        new SlotTableEvent.TableSnapshot(
            List.of(new SlotTableEvent.NodeSeen(A, "127.0.0.1", 7000, 17000)),
            List.of(new SlotTableEvent.SlotsAssigned(A, List.of(0, 16383), 7)),
            7);
    SlotTableState s = SlotTableState.fromSnapshot(old);
    assertEquals(7, s.slotEpoch(0));
    assertEquals(7, s.slotEpoch(16383));
    assertEquals(7, s.configEpoch(A));
  }

  /** Slot migration (docs/decisions/2026-12-06-slot-migration-protocol.md) in the table. */
  @Test
  void migrationStateIsKeptUntilStableOrANewOwner() {
    SlotTableState s = table();
    s = s.apply(new SlotTableEvent.SlotImporting(7, B, A, 6));
    s = s.apply(new SlotTableEvent.SlotMigrating(7, B, 7));
    assertEquals(new SlotTableEvent.OpenSlot(7, B, 7, B, A), s.open(7));
    assertEquals(7, s.epoch());
    assertEquals(SlotTableEvent.OpenSlot.NONE, s.open(8));

    // Through a snapshot, and not in the bytes of a table with no slot open.
    SlotTableState back = SlotTableState.fromSnapshot(s.toSnapshot());
    assertEquals(s.open(7), back.open(7));
    assertEquals(s.toSnapshot(), back.toSnapshot());
    assertNull(table().toSnapshot().open());

    // STABLE on the importer ends its part only; on the owner, the rest.
    SlotTableState importerStable = s.apply(new SlotTableEvent.SlotStable(7, B, 8));
    assertEquals(new SlotTableEvent.OpenSlot(7, B, 7, "", ""), importerStable.open(7));
    SlotTableState both = importerStable.apply(new SlotTableEvent.SlotStable(7, A, 9));
    assertEquals(SlotTableEvent.OpenSlot.NONE, both.open(7));
    assertEquals(List.of(), both.openSlots());
    assertEquals(SlotTableEvent.OpenSlot.NONE, s.apply(new SlotTableEvent.SlotStable(7, "", 8)).open(7));

    // SETSLOT NODE (any new owner) ends it; so does forgetting the target.
    SlotTableState moved = s.apply(new SlotTableEvent.SlotsAssigned(B, List.of(7, 7), 8));
    assertEquals(B, moved.owner(7));
    assertEquals(SlotTableEvent.OpenSlot.NONE, moved.open(7));
    assertEquals(SlotTableEvent.OpenSlot.NONE, s.apply(new SlotTableEvent.NodeForgotten(B, 8)).open(7));
    assertEquals(SlotTableEvent.OpenSlot.NONE, s.apply(new SlotTableEvent.SlotsUnassigned(List.of(0, 10), 8)).open(7));
    // A neighbour's assignment leaves it open.
    assertEquals(s.open(7), s.apply(new SlotTableEvent.SlotsAssigned(B, List.of(8, 8), 8)).open(7));
  }
}
