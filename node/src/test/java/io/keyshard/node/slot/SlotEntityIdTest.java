package io.keyshard.node.slot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class SlotEntityIdTest {
  @Test
  void standaloneIdsAreTheSlotNumber() {
    assertEquals("42", SlotEntityId.standalone(42).toString());
    SlotEntityId id = SlotEntityId.parse("42");
    assertEquals(42, id.slot());
    assertNull(id.owner());
    assertEquals(0, id.epoch());
  }

  @Test
  void clusterIdsNameOwnerAndEpochAndReadBack() {
    SlotEntityId id = new SlotEntityId(5, "node-a", 7);
    assertEquals("5@node-a@7", id.toString());
    assertEquals(id, SlotEntityId.parse("5@node-a@7"));
  }

  @Test
  void rehearsalIdsHaveANegativeEpoch() {
    SlotEntityId id = new SlotEntityId(100, "node-a", -3);
    assertEquals("100@node-a@-3", id.toString());
    assertEquals(-3, SlotEntityId.parse("100@node-a@-3").epoch());
  }
}
