package io.keyshard.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TopologyTest {
  private static final Address ENTRY = Address.parse("127.0.0.1:7000");

  private static final String NODES =
      """
      a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460
      b2 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10922
      c3 127.0.0.1:7002@17002 master - 0 0 3 connected 10923-16383
      d4 127.0.0.1:7003@17003 slave a1 0 0 1 connected
      """;

  @Test
  void primariesAndTheirSlots() throws ToolException {
    Topology t = Topology.fromNodes(ENTRY, NODES);
    assertEquals(3, t.shards().size());
    assertEquals(5461, t.shards().get(1).slots().nextSetBit(0));
    assertEquals(7002, t.shards().get(2).address().port());
    assertEquals(1, t.ownerBySlot()[5461]);
    assertTrue(t.sameAs(Topology.fromNodes(ENTRY, NODES)));
    assertTrue(!t.sameAs(Topology.fromNodes(ENTRY, NODES.replace("0-5460", "0-5459").replace("5461-10922", "5460-10922"))));
  }

  @Test
  void aMigratingSlotOrAnUnservedOneIsRefused() {
    ToolException migrating =
        assertThrows(ToolException.class, () -> Topology.fromNodes(ENTRY, NODES.replace("0-5460", "0-5460 [5460->-b2]")));
    assertTrue(migrating.getMessage().contains("slot 5460 is migrating"), migrating.getMessage());
    ToolException unserved =
        assertThrows(ToolException.class, () -> Topology.fromNodes(ENTRY, NODES.replace("0-5460", "0-5459")));
    assertTrue(unserved.getMessage().contains("slot 5460 has no live primary"), unserved.getMessage());
    assertEquals(ToolException.REFUSED, unserved.exitCode());
  }
}
