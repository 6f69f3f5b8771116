package io.keyshard.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyshard.persistence.SlotTableEvent;
import io.keyshard.persistence.SlotTableState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bookkeeping of CLUSTER MIGRATESLOTS jobs, against a table built from its events. */
class SlotMigrationsTest {
  private static final String A = "a".repeat(40);
  private static final String B = "b".repeat(40);
  private static final String R = "c".repeat(40);

  /** A owns 0-8191, B 8192-16383, R is B's replica; slot 100 has no owner. */
  private static SlotTableState table() {
    SlotTableState s = SlotTableState.empty();
    for (SlotTableEvent e :
        List.of(
            new SlotTableEvent.NodeSeen(A, "127.0.0.1", 7000, 17000),
            new SlotTableEvent.NodeSeen(B, "127.0.0.1", 7001, 17001),
            new SlotTableEvent.NodeSeen(R, "127.0.0.1", 7002, 17002),
            new SlotTableEvent.SlotsAssigned(A, List.of(0, 99, 101, 8191), 1),
            new SlotTableEvent.SlotsAssigned(B, List.of(8192, 16383), 2),
            new SlotTableEvent.ReplicaSet(R, B, 3))) {
      s = s.apply(e);
    }
    return s;
  }

  private static SlotMigrations.Spec spec(String target, Integer... ranges) {
    return new SlotMigrations.Spec(List.of(ranges), target);
  }

  @Test
  void refusesAsValkeyDoes() {
    SlotMigrations m = new SlotMigrations();
    SlotTableState t = table();
    assertEquals("Slot 100 has no node served.", m.refusal(t, List.of(spec(B, 90, 110))));
    assertEquals("Requested slots span multiple shards", m.refusal(t, List.of(spec(B, 8000, 8300))));
    assertEquals("Unknown node name: " + "d".repeat(40), m.refusal(t, List.of(spec("d".repeat(40), 0, 10))));
    assertEquals("Target node can not be this node.", m.refusal(t, List.of(spec(A, 0, 10))));
    assertTrue(m.refusal(t, List.of(spec(R, 0, 10))).contains("is a replica"));
    assertEquals("Slot ranges in migrations overlap", m.refusal(t, List.of(spec(B, 0, 10), spec(B, 5, 20))));
    assertNull(m.refusal(t, List.of(spec(B, 0, 10), spec(A, 9000, 9010))));
    // A slot in a per-key migration (SETSLOT MIGRATING) is not moved atomically meanwhile.
    SlotTableState open = t.apply(new SlotTableEvent.SlotMigrating(5, B, t.epoch() + 1));
    assertEquals(
        "Slot 5 is being migrated with CLUSTER SETSLOT; end that first (SETSLOT 5 STABLE or NODE)",
        m.refusal(open, List.of(spec(B, 0, 10))));
  }

  @Test
  void jobsMoveInBatchesAndCancel() {
    SlotMigrations m = new SlotMigrations();
    SlotTableState t = table();
    List<SlotMigrations.Job> jobs = m.start(t, List.of(spec(B, 0, 9, 20, 24)), 1000);
    SlotMigrations.Job j = jobs.get(0);
    assertEquals(40, j.name.length());
    assertEquals(A, j.source);
    assertEquals(15, j.total);
    assertEquals("I am already migrating slot 5.", m.refusal(t, List.of(spec(B, 5, 5))));
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), SlotMigrations.takeBatch(j, 8));
    j.inFlight.addAll(List.of(0, 1, 2, 3, 4, 5, 6, 7));
    assertEquals("I am already migrating slot 3.", m.refusal(t, List.of(spec(B, 3, 3))), "in flight counts");
    assertEquals(j, m.next());
    j.pausesMs.addAll(List.of(30L, 10L, 20L, 90L));
    SlotMigrations.View v = j.view();
    assertEquals("0-9 20-24", v.slotRanges());
    assertEquals("waiting-to-snapshot", v.state());
    assertEquals(20, v.pauseMedianMs());
    assertEquals(90, v.pauseMaxMs());
    assertEquals(1, m.cancelAll(2000).size());
    assertEquals("cancelled", m.views().get(0).state());
    assertEquals(null, m.next());
    assertTrue(!m.anyRunning());

    // Cancelled while its batch switches: not shown finished until that batch is counted.
    SlotMigrations.Job k = m.start(t, List.of(spec(B, 30, 39)), 3000).get(0);
    k.inFlight.addAll(SlotMigrations.takeBatch(k, 8));
    k.set(SlotMigrations.State.PAUSED, null, 3001);
    assertEquals(1, m.cancelAll(3002).size());
    assertTrue(k.cancelRequested && k.pending.isEmpty());
    assertEquals("failover-paused", k.view().state());
    assertTrue(m.anyRunning());
  }

  @Test
  void keepsAtMostTheLogOfFinishedJobs() {
    SlotMigrations m = new SlotMigrations();
    SlotTableState t = table();
    for (int i = 0; i < SlotMigrations.LOG_MAX + 5; i++) {
      m.start(t, List.of(spec(B, i, i)), i);
      m.cancelAll(i);
    }
    assertEquals(SlotMigrations.LOG_MAX, m.views().size());
  }

  @Test
  void parkTimesReportEachSlotOnce() throws Exception {
    ParkTimes p = new ParkTimes();
    p.begin(List.of(1, 2));
    Thread.sleep(5);
    assertTrue(!p.allEnded(List.of(1, 2)));
    p.end(List.of(1, 2));
    assertTrue(p.allEnded(List.of(1, 2)));
    List<Long> pauses = p.take(List.of(1, 2));
    assertEquals(2, pauses.size());
    assertTrue(pauses.get(0) >= 5, pauses.toString());
    assertTrue(p.take(List.of(1, 2)).isEmpty());
    p.begin(List.of(3));
    p.forget(List.of(3));
    p.end(List.of(3));
    assertTrue(!p.allEnded(List.of(3)), "a failed hand-off has no pause");
  }
}
