package io.keyshard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;

/** The sorted sets' events applied to a slot: replay, snapshots, copies, undo. */
class ZSetEventTest {
  private final KeyshardSerializer serializer = new KeyshardSerializer();

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String describe(ZSetValue z) {
    StringJoiner j = new StringJoiner(", ", "[", "]");
    for (ZSetValue.Node n = z.first(); n != null; n = n.next()) {
      j.add(new String(n.member(), StandardCharsets.UTF_8) + "=" + n.score());
    }
    return j.toString();
  }

  private static ZSetValue zset(SlotState s, int db, String key) {
    Keyspace.Entry e = s.db(db).get(Bytes.of(key));
    return e == null ? null : (ZSetValue) e.value;
  }

  private Object roundTrip(Object o) throws Exception {
    return serializer.fromBinary(serializer.toBinary(o), serializer.manifest(o));
  }

  @Test
  void eventsReplayKeepExpiryAndRemoveEmptiedSets() throws Exception {
    SlotState s = new SlotState();
    s.apply(new ZSetEvent.ScoresSet(0, b("z"), List.of(b("a"), b("b")), new double[] {2, 1}), 1);
    s.apply(new SlotEvent.ExpirySet(0, b("z"), 99_000), 1);
    s.apply(new ZSetEvent.ScoresSet(0, b("z"), List.of(b("c"), b("a")), new double[] {0.5, 3}), 1);
    assertEquals("[c=0.5, b=1.0, a=3.0]", describe(zset(s, 0, "z")));
    assertEquals(99_000, s.db(0).get(Bytes.of("z")).expireAt);
    s.apply(new ZSetEvent.MembersRemoved(0, b("z"), List.of(b("b"), b("missing"))), 1);
    assertEquals("[c=0.5, a=3.0]", describe(zset(s, 0, "z")));
    // Events read back from their bytes rebuild the same state.
    SlotState replayed = new SlotState();
    for (SlotEvent e :
        List.<SlotEvent>of(
            new ZSetEvent.ScoresSet(0, b("z"), List.of(b("a"), b("b")), new double[] {2, 1}),
            new ZSetEvent.ScoresSet(0, b("z"), List.of(b("c"), b("a")), new double[] {0.5, 3}),
            new ZSetEvent.MembersRemoved(0, b("z"), List.of(b("b"), b("missing"))))) {
      replayed.apply((SlotEvent) roundTrip(e), 1);
    }
    assertEquals(describe(zset(s, 0, "z")), describe(zset(replayed, 0, "z")));
    s.apply(new ZSetEvent.MembersRemoved(0, b("z"), List.of(b("a"), b("c"))), 1);
    assertNull(zset(s, 0, "z"), "a set left empty is removed");
    s.apply(new ZSetEvent.MembersRemoved(3, b("never"), List.of(b("a"))), 1);
    assertNull(s.db(3));
  }

  @Test
  void snapshotsAndCopiesAreDeepAndKeepTheEncoding() throws Exception {
    SlotState s = new SlotState();
    s.apply(new ZSetEvent.ScoresSet(0, b("small"), List.of(b("x"), b("y")), new double[] {1, Double.NEGATIVE_INFINITY}), 1);
    s.apply(new ZSetEvent.ScoresSet(1, b("big"), List.of(b("l".repeat(70)), b("neg")), new double[] {1, -0.0}), 1);
    s.apply(new ZSetEvent.MembersRemoved(1, b("big"), List.of(b("l".repeat(70)))), 1);
    SlotSnapshot before = s.toSnapshot();
    SlotState restored = SlotState.fromSnapshot((SlotSnapshot) roundTrip(before), 1);
    assertEquals("[y=-Infinity, x=1.0]", describe(zset(restored, 0, "small")));
    assertEquals("listpack", zset(restored, 0, "small").encoding());
    assertEquals("[neg=-0.0]", describe(zset(restored, 1, "big")), "a skiplist keeps -0");
    assertEquals("skiplist", zset(restored, 1, "big").encoding(), "Redis never converts back");
    // Later writes to the live set do not reach the snapshot taken before.
    s.apply(new ZSetEvent.ScoresSet(0, b("small"), List.of(b("z")), new double[] {5}), 2);
    ZSetValue snapped = (ZSetValue) before.dbs().get(0).entries().get(0).value();
    assertEquals("[y=-Infinity, x=1.0]", describe(snapped));
    assertEquals("[y=-Infinity, x=1.0, z=5.0]", describe(zset(s, 0, "small")));
  }

  @Test
  void rollbackRestoresASetChangedInPlace() {
    SlotState s = new SlotState();
    s.apply(new ZSetEvent.ScoresSet(0, b("z"), List.of(b("a")), new double[] {1}), 1);
    s.beginUndo();
    s.apply(new ZSetEvent.ScoresSet(0, b("z"), List.of(b("a"), b("b")), new double[] {7, 8}), 2);
    s.apply(new ZSetEvent.MembersRemoved(0, b("z"), List.of(b("a"), b("b"))), 2);
    assertNull(zset(s, 0, "z"));
    s.rollback(3);
    assertEquals("[a=1.0]", describe(zset(s, 0, "z")));
  }
}
