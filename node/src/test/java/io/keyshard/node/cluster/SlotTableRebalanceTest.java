package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keyshard.persistence.SlotTableEvent;
import io.keyshard.persistence.SlotTableState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The table's move plans: each node ends with an even share, and an even table moves nothing. */
class SlotTableRebalanceTest {

  private static SlotTableState nodes(String... ids) {
    SlotTableState s = SlotTableState.empty();
    int port = 7000;
    for (String id : ids) {
      s = s.apply(new SlotTableEvent.NodeSeen(id, "127.0.0.1", port++, port + 10000));
    }
    return s;
  }

  private static Map<String, Integer> after(SlotTableState s, List<SlotTable.Move> moves) {
    for (SlotTable.Move m : moves) {
      s = s.apply(new SlotTableEvent.SlotsAssigned(m.to(), m.ranges(), s.epoch() + 1));
    }
    Map<String, Integer> count = new HashMap<>();
    for (int slot = 0; slot < SlotTableState.SLOTS; slot++) {
      count.merge(s.owner(slot), 1, Integer::sum);
    }
    return count;
  }

  @Test
  void anEvenSplitMovesNothing() {
    SlotTableState s = nodes("a", "b", "c");
    for (SlotTableEvent e : SlotTable.evenShares(s)) {
      s = s.apply(e);
    }
    assertEquals(List.of(), SlotTable.rebalance(s));
  }

  @Test
  void aNewNodeGetsItsShare() {
    SlotTableState s = nodes("a", "b");
    s = s.apply(new SlotTableEvent.SlotsAssigned("a", List.of(0, 16383), 1));
    assertEquals(Map.of("a", 8192, "b", 8192), after(s, SlotTable.rebalance(s)));

    SlotTableState three = nodes("a", "b", "c");
    three = three.apply(new SlotTableEvent.SlotsAssigned("a", List.of(0, 8191), 1));
    three = three.apply(new SlotTableEvent.SlotsAssigned("b", List.of(8192, 16383), 2));
    Map<String, Integer> counts = after(three, SlotTable.rebalance(three));
    assertEquals(16384, counts.values().stream().mapToInt(Integer::intValue).sum());
    counts.values().forEach(c -> assertEquals(5461, c, 1.0, counts.toString()));
  }
}
