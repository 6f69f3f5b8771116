package io.keyshard.node.slot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.keyshard.node.route.Verdict;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Which of a migrating slot's keys its source still answers for: the ASK, TRYAGAIN or served
 * decision of each side (Redis's getNodeByQuery, with "missing" meaning absent or handed over),
 * what MIGRATE hands over, and GETKEYSINSLOT's paging.
 */
class HandoverTest {
  private static final Migration M = new Migration(7, "127.0.0.1:7001");
  private static final long NOW = 1_000_000;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[][] argv(String... a) {
    byte[][] out = new byte[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = b(a[i]);
    }
    return out;
  }

  private static String text(Verdict v) {
    return v == null ? "served" : v.text();
  }

  /** {t}a and {t}b present, {t}a handed over, {t}old expired, {t}c absent; all in slot 42's db 0. */
  private static SlotState state() {
    SlotState s = new SlotState();
    s.apply(new SlotEvent.ValueSet(0, b("{t}a"), b("1"), 0), NOW);
    s.apply(new SlotEvent.ValueSet(0, b("{t}b"), b("2"), 0), NOW);
    s.apply(new SlotEvent.ValueSet(0, b("{t}old"), b("3"), NOW - 1), NOW);
    s.apply(new SlotEvent.ValueSet(5, b("{t}c"), b("4"), 0), NOW);
    s.apply(new SlotEvent.KeysHandedOver(M.id(), 0, List.of(b("{t}a"))), NOW);
    return s;
  }

  @Test
  void theSourceServesItsKeysAndAsksForTheOthers() {
    Handover h = new Handover(42);
    SlotState s = state();
    assertEquals("served", text(h.atSource(s, M, 0, argv("GET", "{t}b"), NOW)));
    assertEquals("served", text(h.atSource(s, M, 0, argv("SET", "{t}b", "x"), NOW)));
    assertEquals("ASK 42 127.0.0.1:7001", text(h.atSource(s, M, 0, argv("GET", "{t}a"), NOW)), "handed over");
    assertEquals("ASK 42 127.0.0.1:7001", text(h.atSource(s, M, 0, argv("SET", "{t}c", "x"), NOW)), "absent");
    assertEquals("ASK 42 127.0.0.1:7001", text(h.atSource(s, M, 0, argv("GET", "{t}old"), NOW)), "expired");
    assertEquals("served", text(h.atSource(s, M, 5, argv("GET", "{t}c"), NOW)), "in the client's database");
    assertEquals("ASK 42 127.0.0.1:7001", text(h.atSource(s, M, 0, argv("MGET", "{t}a", "{t}c"), NOW)));
    assertEquals(
        "TRYAGAIN Multiple keys request during rehashing of slot",
        text(h.atSource(s, M, 0, argv("MGET", "{t}a", "{t}b"), NOW)));
    assertEquals(
        "TRYAGAIN Multiple keys request during rehashing of slot",
        text(h.atSource(s, M, 0, argv("RENAME", "{t}b", "{t}c"), NOW)));
    assertEquals("served", text(h.atSource(s, M, 0, argv("BLPOP", "{t}c", "0"), NOW)), "blocking waits here");
    assertEquals("served", text(h.atSource(s, M, 0, argv("PING"), NOW)));
    assertEquals("served", text(h.atSource(s, M, 0, argv("OBJECT", "ENCODING", "{t}b"), NOW)));
    assertEquals("ASK 42 127.0.0.1:7001", text(h.atSource(s, M, 0, argv("OBJECT", "ENCODING", "{t}a"), NOW)));
    // Marks of another migration are void.
    Migration next = new Migration(9, "127.0.0.1:7002");
    assertEquals("served", text(h.atSource(s, next, 0, argv("GET", "{t}a"), NOW)));
  }

  @Test
  void aForwardedRequestIsDecidedAsTheImporterWould() {
    Handover h = new Handover(42);
    SlotState s = state();
    assertEquals("served", text(h.atTarget(s, M, 0, argv("GET", "{t}a"), NOW)));
    assertEquals("served", text(h.atTarget(s, M, 0, argv("SET", "{t}c", "x"), NOW)), "one key: served");
    assertEquals("served", text(h.atTarget(s, M, 0, argv("MSET", "{t}a", "1", "{t}a", "2"), NOW)), "one distinct key");
    assertEquals(
        "TRYAGAIN Multiple keys request during rehashing of slot",
        text(h.atTarget(s, M, 0, argv("MGET", "{t}a", "{t}c"), NOW)), "a key missing there");
    assertEquals(
        "TRYAGAIN Multiple keys request during rehashing of slot",
        text(h.atTarget(s, M, 0, argv("MGET", "{t}a", "{t}b"), NOW)), "a key still here");
    s.apply(new SlotEvent.KeysHandedOver(M.id(), 0, List.of(b("{t}b"))), NOW);
    assertEquals("served", text(h.atTarget(s, M, 0, argv("MGET", "{t}a", "{t}b"), NOW)));

    // What a forwarded write leaves present is marked: SET {t}c creates it on the target's side.
    s.apply(new SlotEvent.ValueSet(0, b("{t}c"), b("x"), 0), NOW);
    SlotEvent.KeysHandedOver marks = h.marksAfterWrite(s, M, 0, argv("SET", "{t}c", "x"), NOW);
    assertEquals(1, marks.keys().size());
    assertEquals("{t}c", new String(marks.keys().get(0), StandardCharsets.UTF_8));
    assertNull(h.marksAfterWrite(s, M, 0, argv("SET", "{t}a", "x"), NOW), "marked already");
    assertNull(h.marksAfterWrite(s, M, 0, argv("DEL", "{t}gone"), NOW), "nothing left");
  }

  @Test
  void migrateHandsOverWhatIsStillHere() {
    Handover h = new Handover(42);
    SlotState s = state();
    SlotEvent.KeysHandedOver e = h.handOver(s, M, 0, List.of(b("{t}a"), b("{t}b"), b("{t}c"), b("{t}b")), NOW);
    assertEquals(List.of("{t}b"), e.keys().stream().map(k -> new String(k, StandardCharsets.UTF_8)).toList());
    assertEquals(M.id(), e.migration());
    s.apply(e, NOW);
    assertNull(h.handOver(s, M, 0, List.of(b("{t}a"), b("{t}b"), b("{t}old")), NOW), "NOKEY");
  }

  @Test
  void getKeysInSlotPagesThroughTheKeysNotHandedOverAndEndsEmpty() {
    Handover h = new Handover(42);
    SlotState s = new SlotState();
    for (int i = 0; i < 100; i++) {
      s.apply(new SlotEvent.ValueSet(0, b("{t}k" + i), b("v"), 0), NOW);
    }
    assertEquals(10, h.keysInSlot(s, null, 0, 10, NOW).size());
    assertEquals(100, h.countInSlot(s, null, 0, NOW));
    Set<String> moved = new HashSet<>();
    int calls = 0;
    while (true) {
      List<byte[]> page = h.keysInSlot(s, M, 0, 7, NOW);
      calls++;
      if (page.isEmpty()) {
        break;
      }
      assertEquals(page.size(), h.keysInSlot(s, M, 0, 7, NOW).size(), "the same page until they move");
      List<byte[]> keys = new ArrayList<>(page);
      keys.forEach(k -> moved.add(new String(k, StandardCharsets.UTF_8)));
      s.apply(new SlotEvent.KeysHandedOver(M.id(), 0, keys), NOW);
      if (calls == 3) {
        // A key that a transaction creates meanwhile is found before the list ends.
        s.apply(new SlotEvent.ValueSet(0, b("{t}late"), b("v"), 0), NOW);
      }
    }
    assertEquals(101, moved.size());
    assertEquals(0, h.countInSlot(s, M, 0, NOW));
    assertEquals(101, h.countInSlot(s, null, 0, NOW), "after STABLE every key is the source's again");
  }
}
