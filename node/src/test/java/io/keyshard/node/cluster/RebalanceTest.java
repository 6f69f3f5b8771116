package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.persistence.SlotTableEvent;
import io.keyshard.persistence.SlotTableEvent.SlotsAssigned;
import io.keyshard.persistence.SlotTableState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The table's arithmetic: the first even split, a joining node filled from the others' surplus
 * (never below an even share), a leaving node's slots split among the rest, and the same answer
 * for the same table every time.
 */
class RebalanceTest {
  private static final int SLOTS = SlotTableState.SLOTS;

  private static SlotTableState nodes(String... ids) {
    SlotTableState s = SlotTableState.empty();
    int port = 7000;
    for (String id : ids) {
      s = s.apply(new SlotTableEvent.NodeSeen(id, "127.0.0.1", port++, port + 10000));
    }
    return s;
  }

  private static SlotTableState apply(SlotTableState s, List<? extends SlotTableEvent> events) {
    for (SlotTableEvent e : events) {
      s = s.apply(e);
    }
    return s;
  }

  private static SlotTableState evenTable(String... ids) {
    SlotTableState s = nodes(ids);
    return apply(s, Rebalance.evenShares(s, List.of(ids)));
  }

  private static SlotTableState after(SlotTableState s, List<Rebalance.Transfer> moves) {
    for (Rebalance.Transfer m : moves) {
      s = s.apply(new SlotsAssigned(m.to(), m.ranges(), s.epoch() + 1));
    }
    return s;
  }

  private static Map<String, Integer> counts(SlotTableState s) {
    Map<String, Integer> count = new HashMap<>();
    for (int slot = 0; slot < SLOTS; slot++) {
      count.merge(String.valueOf(s.owner(slot)), 1, Integer::sum);
    }
    return count;
  }

  private static int size(List<Integer> ranges) {
    return SlotAgent.expand(ranges).size();
  }

  @Test
  void anEvenSplitMovesNothing() {
    SlotTableState s = evenTable("a", "b", "c");
    assertEquals(List.of(), Rebalance.plan(s, s.nodes().keySet()));
  }

  @Test
  void aNewNodeGetsItsShare() {
    SlotTableState s = nodes("a", "b");
    s = s.apply(new SlotsAssigned("a", List.of(0, 16383), 1));
    assertEquals(Map.of("a", 8192, "b", 8192), counts(after(s, Rebalance.plan(s, s.nodes().keySet()))));

    SlotTableState three = nodes("a", "b", "c");
    three = three.apply(new SlotsAssigned("a", List.of(0, 8191), 1));
    three = three.apply(new SlotsAssigned("b", List.of(8192, 16383), 2));
    Map<String, Integer> counts = counts(after(three, Rebalance.plan(three, three.nodes().keySet())));
    assertEquals(16384, counts.values().stream().mapToInt(Integer::intValue).sum());
    counts.values().forEach(c -> assertEquals(5461, c, 1.0, counts.toString()));
  }

  @Test
  void evenSharesAreContiguousInAddressOrderEachWithItsOwnEpoch() {
    SlotTableState s = SlotTableState.empty();
    // Table order (a, b, c) differs from address order (c, a, b): the split follows addresses.
    s = s.apply(new SlotTableEvent.NodeSeen("a", "127.0.0.1", 7001, 17001));
    s = s.apply(new SlotTableEvent.NodeSeen("b", "127.0.0.2", 7000, 17000));
    s = s.apply(new SlotTableEvent.NodeSeen("c", "127.0.0.1", 7000, 17000));
    s = s.apply(new SlotsAssigned("x", List.of(), 4)); // the table's epoch is 4
    assertEquals(
        List.of(
            new SlotsAssigned("c", List.of(0, 5460), 5),
            new SlotsAssigned("a", List.of(5461, 10921), 6),
            new SlotsAssigned("b", List.of(10922, 16383), 7)),
        Rebalance.evenShares(s, List.of("a", "b", "c")));
  }

  @Test
  void evenSharesGoOnlyToTheGivenNodes() {
    SlotTableState s = nodes("a", "b", "c");
    List<SlotsAssigned> shares = Rebalance.evenShares(s, List.of("a", "c"));
    assertEquals(Map.of("a", 8192, "c", 8192), counts(apply(s, shares)));
  }

  @Test
  void aJoiningNodeTakesFromTheTopOfEachDonorAndOnlyWhatItLacks() {
    SlotTableState s = evenTable("a", "b", "c").apply(new SlotTableEvent.NodeSeen("d", "127.0.0.1", 7003, 17003));
    List<Rebalance.Transfer> plan = Rebalance.plan(s, s.nodes().keySet());

    int moved = 0;
    for (Rebalance.Transfer t : plan) {
      assertEquals("d", t.to(), plan.toString());
      // Each donor gives one range, the highest slots it holds.
      assertEquals(2, t.ranges().size(), plan.toString());
      List<Integer> before = s.rangesOf(t.from());
      assertEquals(before.get(before.size() - 1), t.ranges().get(1), plan.toString());
      moved += size(t.ranges());
    }
    assertEquals(SLOTS / 4, moved); // d's share, nothing more
    assertEquals(Map.of("a", 4096, "b", 4096, "c", 4096, "d", 4096), counts(after(s, plan)));
  }

  @Test
  void aNodeOutsideTheLiveOnesNeitherGivesNorTakes() {
    // c is down: it keeps its slots until it is taken over. Shares are of all 16384 slots
    // among the live nodes (8192 each), so a gives only what it holds above 8192.
    SlotTableState s = nodes("a", "b", "c");
    s = s.apply(new SlotsAssigned("a", List.of(0, 9999), 1));
    s = s.apply(new SlotsAssigned("c", List.of(10000, 16383), 2));
    List<Rebalance.Transfer> plan = Rebalance.plan(s, Set.of("a", "b"));
    for (Rebalance.Transfer t : plan) {
      assertEquals("a", t.from());
      assertEquals("b", t.to());
    }
    assertEquals(Map.of("a", 8192, "b", 1808, "c", 6384), counts(after(s, plan)));
  }

  @Test
  void aNodeBelowItsShareGivesNothingAndUnownedSlotsAreNotPlanned() {
    // Shares count all 16384 slots: a holds 1000, under its share, so nobody has a surplus.
    SlotTableState s = nodes("a", "b");
    s = s.apply(new SlotsAssigned("a", List.of(0, 999), 1));
    assertEquals(List.of(), Rebalance.plan(s, s.nodes().keySet()));
  }

  @Test
  void theRemainderStaysWithItsHolder() {
    // 16384 = 7 * 2340 + 4: the others are filled to 2340, the single donor keeps 2344 (more
    // than 2341) rather than moving slots between nodes that are not short.
    String[] ids = {"a", "b", "c", "d", "e", "f", "g"};
    SlotTableState s = nodes(ids).apply(new SlotsAssigned("a", List.of(0, 16383), 1));
    Map<String, Integer> counts = counts(after(s, Rebalance.plan(s, Set.of(ids))));
    assertEquals(2344, counts.get("a"));
    for (String id : List.of("b", "c", "d", "e", "f", "g")) {
      assertEquals(2340, counts.get(id));
    }
  }

  @Test
  void capsEveryNodeEndsWithItsShareDonorsGiveOnlyAboveItAndOnlyTheShortfallMoves() {
    Random random = new Random(42);
    for (int round = 0; round < 50; round++) {
      int n = 2 + random.nextInt(6);
      String[] ids = new String[n];
      for (int i = 0; i < n; i++) {
        ids[i] = "n" + i;
      }
      SlotTableState s = nodes(ids);
      // Random uneven ownership of every slot among the first nodes; the last may be empty.
      int from = 0;
      for (int i = 0; i < n && from < SLOTS; i++) {
        int to = i == n - 1 ? SLOTS : Math.min(SLOTS, from + random.nextInt(SLOTS / 2));
        if (to > from) {
          s = s.apply(new SlotsAssigned(ids[i], List.of(from, to - 1), s.epoch() + 1));
        }
        from = to;
      }
      int base = SLOTS / n;
      Map<String, Integer> before = counts(s);
      List<Rebalance.Transfer> plan = Rebalance.plan(s, s.nodes().keySet());
      Map<String, Integer> counts = counts(after(s, plan));

      int needed = 0;
      for (String id : ids) {
        int c = counts.getOrDefault(id, 0);
        assertTrue(c >= base, "round " + round + ": " + counts);
        needed += Math.max(0, base - before.getOrDefault(id, 0));
      }
      int moved = plan.stream().mapToInt(t -> size(t.ranges())).sum();
      assertEquals(needed, moved, "round " + round + ": only the shortfall moves");
      for (Rebalance.Transfer t : plan) {
        // A donor never gives below its share, a taker never gives.
        assertTrue(before.getOrDefault(t.from(), 0) > base, t.toString());
        assertTrue(before.getOrDefault(t.to(), 0) < base, t.toString());
      }
    }
  }

  @Test
  void aLeavingNodesSlotsAreSplitInTableOrderUnderNewEpochs() {
    SlotTableState s = evenTable("a", "b", "c"); // c holds 10922-16383, epoch 3
    List<Integer> cs = s.rangesOf("c");
    assertEquals(
        List.of(
            new SlotsAssigned("a", List.of(10922, 13652), 4),
            new SlotsAssigned("b", List.of(13653, 16383), 5)),
        Rebalance.split(s, cs, List.of("b", "a")));
  }

  @Test
  void aLeavingNodeWithFewerSlotsThanTakersGivesOneEachToSome() {
    SlotTableState s = nodes("a", "b", "c", "d");
    s = s.apply(new SlotsAssigned("d", List.of(100, 101), 1));
    List<SlotsAssigned> parts = Rebalance.split(s, s.rangesOf("d"), List.of("a", "b", "c"));
    int total = 0;
    for (SlotsAssigned p : parts) {
      total += size(p.ranges());
    }
    assertEquals(2, total);
    assertEquals(2, parts.size()); // an empty part is no event
  }

  @Test
  void replicasTakeNoSlots() {
    SlotTableState s = nodes("a", "b", "c", "d");
    s = s.apply(new SlotTableEvent.ReplicaSet("b", "a", 1));
    Set<String> waiting = Set.of("c");
    assertTrue(Rebalance.takesSlots(s, "a", waiting));
    assertFalse(Rebalance.takesSlots(s, "b", waiting)); // a replica
    assertFalse(Rebalance.takesSlots(s, "c", waiting)); // asked to become one
    assertTrue(Rebalance.takesSlots(s, "d", waiting));
  }

  @Test
  void theSameTableGivesTheSamePlan() {
    SlotTableState s = nodes("a", "b", "c", "d", "e");
    s = s.apply(new SlotsAssigned("a", List.of(0, 7000), 1));
    s = s.apply(new SlotsAssigned("b", List.of(7001, 16383), 2));
    List<Rebalance.Transfer> first = Rebalance.plan(s, s.nodes().keySet());
    SlotTableState copy = SlotTableState.fromSnapshot(s.toSnapshot());
    assertEquals(first, Rebalance.plan(s, s.nodes().keySet()));
    assertEquals(first, Rebalance.plan(copy, copy.nodes().keySet()));
    // The order of the live set does not matter: the table's order decides.
    assertEquals(first, Rebalance.plan(s, new LinkedHashSet<>(List.of("e", "d", "c", "b", "a"))));
    List<String> takers = new ArrayList<>(List.of("c", "d", "e"));
    assertEquals(Rebalance.split(s, s.rangesOf("a"), takers), Rebalance.split(copy, copy.rangesOf("a"), List.of("e", "c", "d")));
  }

  @Test
  void mergeJoinsAdjacentSingleSlots() {
    assertEquals(List.of(1, 3, 5, 5, 7, 8), Rebalance.merge(List.of(1, 1, 2, 2, 3, 3, 5, 5, 7, 7, 8, 8)));
    assertEquals(List.of(), Rebalance.merge(List.of()));
  }
}
