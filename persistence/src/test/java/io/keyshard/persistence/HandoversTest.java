package io.keyshard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Keys handed over in a slot migration: kept per migration, by database, through a snapshot. */
class HandoversTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void marksBelongToOneMigrationAndSurviveASnapshot() {
    SlotState s = new SlotState();
    s.apply(new SlotEvent.ValueSet(0, b("a"), b("1"), 0), 1);
    s.apply(new SlotEvent.ValueSet(0, b("b"), b("2"), 0), 1);
    s.apply(new SlotEvent.KeysHandedOver(7, 0, List.of(b("a"))), 1);
    s.apply(new SlotEvent.KeysHandedOver(7, 3, List.of(b("z"))), 1);
    Handovers h = s.handovers();
    assertTrue(h.contains(7, 0, Bytes.of("a")));
    assertFalse(h.contains(7, 0, Bytes.of("b")));
    assertFalse(h.contains(8, 0, Bytes.of("a")), "another migration's question");
    assertEquals(Set.of(Bytes.of("z")), h.keys(7, 3));
    assertEquals("1", new String(((StringValue) s.db(0).get(Bytes.of("a")).value).bytes()), "the value stays");

    SlotState back = SlotState.fromSnapshot(s.toSnapshot(), 1);
    assertTrue(back.handovers().contains(7, 0, Bytes.of("a")));
    assertTrue(back.handovers().contains(7, 3, Bytes.of("z")));
    assertFalse(back.handovers().contains(7, 0, Bytes.of("b")));

    // A newer migration's mark drops the older ones; an older one's is void.
    s.apply(new SlotEvent.KeysHandedOver(9, 0, List.of(b("b"))), 1);
    assertFalse(h.contains(7, 0, Bytes.of("a")));
    assertTrue(h.contains(9, 0, Bytes.of("b")));
    s.apply(new SlotEvent.KeysHandedOver(7, 0, List.of(b("a"))), 1);
    assertFalse(h.contains(7, 0, Bytes.of("a")));
    assertFalse(h.contains(9, 0, Bytes.of("a")));

    h.keepOnly(9);
    assertTrue(h.contains(9, 0, Bytes.of("b")));
    h.keepOnly(0);
    assertTrue(h.isEmpty());
    assertNull(s.toSnapshot().handedOver(), "no marks, no field: the bytes of snapshots before");
  }
}
