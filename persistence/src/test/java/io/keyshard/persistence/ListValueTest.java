package io.keyshard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The ring-buffer list against a plain {@link ArrayList} model, and the list events: replay,
 * snapshots, deep copies, undo.
 */
class ListValueTest {

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> contents(ListValue l) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < l.size(); i++) {
      out.add(new String(l.get(i), StandardCharsets.UTF_8));
    }
    return out;
  }

  @Test
  void randomOperationsMatchAPlainList() {
    Random random = new Random(42);
    ListValue list = new ListValue();
    List<String> model = new ArrayList<>();
    for (int step = 0; step < 20_000; step++) {
      String e = Integer.toString(random.nextInt(6));
      int op = random.nextInt(9);
      switch (op) {
        case 0 -> {
          list.addFirst(b(e));
          model.add(0, e);
        }
        case 1 -> {
          list.addLast(b(e));
          model.add(e);
        }
        case 2 -> {
          if (!model.isEmpty()) {
            assertEquals(model.remove(0), new String(list.removeFirst(), StandardCharsets.UTF_8));
          }
        }
        case 3 -> {
          if (!model.isEmpty()) {
            assertEquals(
                model.remove(model.size() - 1), new String(list.removeLast(), StandardCharsets.UTF_8));
          }
        }
        case 4 -> {
          int at = random.nextInt(model.size() + 1);
          list.insert(at, b(e));
          model.add(at, e);
        }
        case 5 -> {
          if (!model.isEmpty()) {
            int at = random.nextInt(model.size());
            list.set(at, b(e));
            model.set(at, e);
          }
        }
        case 6 -> {
          long count = random.nextInt(5) - 2;
          assertEquals(removeModel(model, count, e), list.remove(count, b(e)));
        }
        case 7 -> {
          if (random.nextInt(20) == 0) {
            int start = random.nextInt(model.size() + 2) - 1;
            int stop = random.nextInt(model.size() + 2) - 1;
            list.trim(start, stop);
            int first = Math.max(0, start);
            int last = Math.min(model.size() - 1, stop);
            List<String> kept = first > last ? List.of() : new ArrayList<>(model.subList(first, last + 1));
            model.clear();
            model.addAll(kept);
          }
        }
        default -> {
          // Grow in bursts so the buffer wraps and resizes in both directions.
          for (int i = 0; i < random.nextInt(40); i++) {
            list.addLast(b(e));
            model.add(e);
          }
        }
      }
      assertEquals(model.size(), list.size());
      if (step % 97 == 0) {
        assertEquals(model, contents(list));
      }
    }
    assertEquals(model, contents(list));
  }

  private static int removeModel(List<String> model, long count, String e) {
    int removed = 0;
    long limit = count == 0 ? Long.MAX_VALUE : Math.abs(count);
    if (count >= 0) {
      for (Iterator<String> it = model.iterator(); it.hasNext() && removed < limit; ) {
        if (it.next().equals(e)) {
          it.remove();
          removed++;
        }
      }
    } else {
      for (int i = model.size() - 1; i >= 0 && removed < limit; i--) {
        if (model.get(i).equals(e)) {
          model.remove(i);
          removed++;
        }
      }
    }
    return removed;
  }

  @Test
  void indexesOutsideTheListAreRefused() {
    ListValue l = new ListValue();
    l.addLast(b("a"));
    assertThrows(IndexOutOfBoundsException.class, () -> l.get(1));
    assertThrows(IndexOutOfBoundsException.class, () -> l.get(-1));
    assertThrows(IndexOutOfBoundsException.class, () -> l.insert(2, b("x")));
    l.removeLast();
    assertThrows(IndexOutOfBoundsException.class, l::removeFirst);
  }

  @Test
  void copiesAreDeep() {
    ListValue l = new ListValue();
    for (String s : List.of("a", "b", "c")) {
      l.addLast(b(s));
    }
    ListValue copy = (ListValue) SlotState.copyOf(l);
    copy.set(0, b("changed"));
    copy.removeLast();
    copy.addFirst(b("z"));
    assertEquals(List.of("a", "b", "c"), contents(l));
    assertEquals(List.of("z", "changed", "b"), contents(copy));
    assertEquals("quicklist", copy.encoding());
    assertEquals("list", copy.typeName());
  }

  @Test
  void eventsReplayToTheSameStateAndSurviveSnapshots() throws Exception {
    SlotState s = new SlotState();
    s.apply(new SlotEvent.ValueSet(0, b("other"), b("v"), 0), 1);
    List<SlotEvent> events =
        List.of(
            new ListEvent.Pushed(0, b("l"), false, List.of(b("a"), b("b"), b("c"), b("a"))),
            new ListEvent.Pushed(0, b("l"), true, List.of(b("x"), b("y"))),
            new ListEvent.Popped(0, b("l"), true, 1),
            new ListEvent.Set(0, b("l"), 1, b("B")),
            new ListEvent.Inserted(0, b("l"), 2, b("ins")),
            new ListEvent.Removed(0, b("l"), -1, b("a")),
            new ListEvent.Trimmed(0, b("l"), 0, 3),
            new ListEvent.Pushed(3, b("gone"), true, List.of(b("1"), b("2"))),
            new ListEvent.Popped(3, b("gone"), false, 5));
    events.forEach(e -> s.apply(e, 1));
    // [a b c a] -> [y x a b c a] -> [x a b c a] -> [x B b c a] -> [x B ins b c a] -> [x B ins b c].
    ListValue l = (ListValue) s.db(0).get(Bytes.of("l")).value;
    assertEquals(List.of("x", "B", "ins", "b"), contents(l));
    assertNull(s.db(3).get(Bytes.of("gone")), "a list popped empty is removed");

    KeyshardSerializer f = new KeyshardSerializer();
    SlotState replayed = new SlotState();
    replayed.apply(new SlotEvent.ValueSet(0, b("other"), b("v"), 0), 1);
    for (SlotEvent e : events) {
      replayed.apply((SlotEvent) f.fromBinary(f.toBinary(e), f.manifest(e)), 1);
    }
    assertEquals(contents(l), contents((ListValue) replayed.db(0).get(Bytes.of("l")).value));

    SlotSnapshot snap = (SlotSnapshot) f.fromBinary(f.toBinary(s.toSnapshot()), "SlotSnapshot");
    SlotState restored = SlotState.fromSnapshot(snap, 1);
    assertEquals(contents(l), contents((ListValue) restored.db(0).get(Bytes.of("l")).value));

    // A snapshot taken earlier does not see later writes.
    SlotSnapshot before = s.toSnapshot();
    s.apply(new ListEvent.Pushed(0, b("l"), false, List.of(b("later"))), 2);
    ListValue snapped =
        (ListValue)
            before.dbs().get(0).entries().stream()
                .filter(e -> new String(e.key(), StandardCharsets.UTF_8).equals("l"))
                .findFirst()
                .orElseThrow()
                .value();
    assertEquals(List.of("x", "B", "ins", "b"), contents(snapped));
  }

  @Test
  void changesInPlaceKeepTheExpiryAndTrimToNothingRemoves() {
    SlotState s = new SlotState();
    s.apply(new ListEvent.Pushed(0, b("l"), false, List.of(b("a"), b("b"))), 1);
    s.apply(new SlotEvent.ExpirySet(0, b("l"), 9_000), 1);
    s.apply(new ListEvent.Pushed(0, b("l"), true, List.of(b("z"))), 2);
    s.apply(new ListEvent.Popped(0, b("l"), false, 1), 2);
    s.apply(new ListEvent.Set(0, b("l"), 0, b("Z")), 2);
    assertEquals(9_000, s.db(0).get(Bytes.of("l")).expireAt);
    s.apply(new ListEvent.Trimmed(0, b("l"), 5, 1), 3);
    assertNull(s.db(0).get(Bytes.of("l")));
    assertEquals(0, s.nextExpiry());
    s.apply(new ListEvent.Pushed(0, b("l"), false, List.of(b("a"), b("a"))), 4);
    s.apply(new ListEvent.Removed(0, b("l"), 0, b("a")), 4);
    assertNull(s.db(0).get(Bytes.of("l")), "LREM removing every element removes the key");
  }

  @Test
  void rollbackRestoresAListChangedInPlace() {
    SlotState s = new SlotState();
    s.apply(new ListEvent.Pushed(0, b("l"), false, List.of(b("a"), b("b"))), 1);
    s.beginUndo();
    s.apply(new ListEvent.Pushed(0, b("l"), false, List.of(b("c"))), 2);
    s.apply(new ListEvent.Set(0, b("l"), 0, b("A")), 2);
    s.apply(new ListEvent.Popped(0, b("l"), true, 3), 2);
    assertNull(s.db(0).get(Bytes.of("l")));
    s.rollback(3);
    assertEquals(List.of("a", "b"), contents((ListValue) s.db(0).get(Bytes.of("l")).value));
  }

  @Test
  void largeListsWrapAndShrink() {
    ListValue l = new ListValue();
    ArrayDeque<Integer> model = new ArrayDeque<>();
    for (int i = 0; i < 100_000; i++) {
      l.addLast(b(Integer.toString(i)));
      model.addLast(i);
    }
    for (int i = 0; i < 99_990; i++) {
      l.removeFirst();
      model.removeFirst();
    }
    assertEquals(10, l.size());
    assertEquals(10, l.elementCount());
    assertEquals("99990", new String(l.get(0), StandardCharsets.UTF_8));
    assertEquals("99999", new String(l.get(9), StandardCharsets.UTF_8));
    l.trim(2, -1 + 10);
    assertEquals(8, l.size());
    assertEquals("99992", new String(l.get(0), StandardCharsets.UTF_8));
  }
}
