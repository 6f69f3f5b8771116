package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.persistence.SlotTableEvent;
import io.keyshard.persistence.SlotTableState;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** A slot that leaves a node and comes back is a new incarnation there (a new entity id). */
class ClusterViewTest {
  private static final String A = "a".repeat(40);
  private static final String B = "b".repeat(40);

  @Test
  void aSlotThatComesBackIsNamedByItsNewEpoch() {
    ClusterView view = new ClusterView(A);
    SlotTableState s = SlotTableState.empty();
    s = s.apply(new SlotTableEvent.NodeSeen(A, "127.0.0.1", 7000, 17000));
    s = s.apply(new SlotTableEvent.NodeSeen(B, "127.0.0.1", 7001, 17001));
    s = s.apply(new SlotTableEvent.SlotsAssigned(A, List.of(0, 8191), 1));
    s = s.apply(new SlotTableEvent.SlotsAssigned(B, List.of(8192, 16383), 2));
    view.update(s.toSnapshot());
    assertEquals("5@" + A + "@1", view.entityId(5).toString());
    assertTrue(view.owns(5));

    s = s.apply(new SlotTableEvent.SlotsAssigned(B, List.of(5, 5), 3));
    view.update(s.toSnapshot());
    assertFalse(view.owns(5));
    assertEquals("MOVED 5 127.0.0.1:7001", view.verdict(new TreeSet<>(List.of(5))).text());

    s = s.apply(new SlotTableEvent.SlotsAssigned(A, List.of(5, 5), 4));
    view.update(s.toSnapshot());
    assertTrue(view.owns(5));
    assertEquals("5@" + A + "@4", view.entityId(5).toString());
    assertEquals("6@" + A + "@1", view.entityId(6).toString(), "its neighbours keep their incarnation");
    assertEquals(4, view.table().nodes().get(0).configEpoch());

    // An older table never replaces a newer one.
    SlotTableState old = SlotTableState.empty()
        .apply(new SlotTableEvent.NodeSeen(A, "127.0.0.1", 7000, 17000))
        .apply(new SlotTableEvent.SlotsAssigned(A, List.of(0, 16383), 1));
    view.update(old.toSnapshot());
    assertEquals("5@" + A + "@4", view.entityId(5).toString());
  }

  /** The view tells the source its migration and the importer its import, nobody else. */
  @Test
  void aMigratingSlotIsKnownToItsSourceAndItsImporter() {
    SlotTableState s = SlotTableState.empty();
    s = s.apply(new SlotTableEvent.NodeSeen(A, "127.0.0.1", 7000, 17000));
    s = s.apply(new SlotTableEvent.NodeSeen(B, "127.0.0.1", 7001, 17001));
    s = s.apply(new SlotTableEvent.SlotsAssigned(A, List.of(0, 8191), 1));
    s = s.apply(new SlotTableEvent.SlotsAssigned(B, List.of(8192, 16383), 2));
    ClusterView a = new ClusterView(A);
    ClusterView b = new ClusterView(B);
    s = s.apply(new SlotTableEvent.SlotImporting(5, B, A, 3));
    a.update(s.toSnapshot());
    b.update(s.toSnapshot());
    assertEquals(null, a.migration(5));
    assertEquals(0, b.importing(5), "importing, the source not migrating yet");
    assertEquals(-1, a.importing(5));
    assertEquals(-1, b.importing(6));

    s = s.apply(new SlotTableEvent.SlotMigrating(5, B, 4));
    a.update(s.toSnapshot());
    b.update(s.toSnapshot());
    assertEquals(new io.keyshard.node.slot.Migration(4, "127.0.0.1:7001"), a.migration(5));
    assertEquals(null, b.migration(5), "only the owner migrates");
    assertEquals(4, b.importing(5));
    assertEquals(null, a.migration(6));

    s = s.apply(new SlotTableEvent.SlotsAssigned(B, List.of(5, 5), 5));
    a.update(s.toSnapshot());
    b.update(s.toSnapshot());
    assertEquals(null, a.migration(5));
    assertEquals(-1, b.importing(5), "SETSLOT NODE ends it");
  }
}
