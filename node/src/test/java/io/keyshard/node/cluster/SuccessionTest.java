package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.keyshard.persistence.SlotTableEvent;
import io.keyshard.persistence.SlotTableEvent.ReplicaSet;
import io.keyshard.persistence.SlotTableEvent.SlotsAssigned;
import io.keyshard.persistence.SlotTableState;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A leaving primary's heir: its first live replica, promoted under one new epoch. */
class SuccessionTest {

  private static SlotTableState table() {
    SlotTableState s = SlotTableState.empty();
    int port = 7000;
    for (String id : List.of("p", "r1", "r2", "q")) {
      s = s.apply(new SlotTableEvent.NodeSeen(id, "127.0.0.1", port++, port + 10000));
    }
    s = s.apply(new SlotsAssigned("p", List.of(0, 8191), 1));
    s = s.apply(new SlotsAssigned("q", List.of(8192, 16383), 2));
    s = s.apply(new ReplicaSet("r1", "p", 3));
    return s.apply(new ReplicaSet("r2", "p", 4));
  }

  @Test
  void theHeirIsTheFirstLiveReplicaInTableOrder() {
    SlotTableState s = table();
    assertEquals("r1", Succession.liveReplica(s, "p", Set.of("r1", "r2", "q")));
    assertEquals("r2", Succession.liveReplica(s, "p", Set.of("r2", "q")));
    assertNull(Succession.liveReplica(s, "p", Set.of("q")), "no live replica: the primaries share");
    assertNull(Succession.liveReplica(s, "q", Set.of("p", "r1", "r2")), "q has no replica");
  }

  @Test
  void promotionSwapsRolesAndTheOtherReplicasFollowTheNewPrimary() {
    SlotTableState s = table();
    List<SlotTableEvent> events = Succession.promote(s, "p", "r1", s.rangesOf("p"));
    assertEquals(
        List.of(
            new ReplicaSet("r1", "", 5),
            new SlotsAssigned("r1", List.of(0, 8191), 5),
            new ReplicaSet("p", "r1", 5),
            new ReplicaSet("r2", "r1", 5)),
        events);
    for (SlotTableEvent e : events) {
      s = s.apply(e);
    }
    assertNull(s.primaryOf("r1"));
    assertEquals(List.of(0, 8191), s.rangesOf("r1"));
    assertEquals(List.of(), s.rangesOf("p"));
    assertEquals(List.of("p", "r2"), s.replicasOf("r1"));
  }

  @Test
  void aPrimaryWithoutSlotsHandsOnlyItsRole() {
    SlotTableState s = table();
    assertEquals(
        List.of(new ReplicaSet("r2", "", 5), new ReplicaSet("p", "r2", 5), new ReplicaSet("r1", "r2", 5)),
        Succession.promote(s, "p", "r2", List.of()));
  }
}
