package io.keyshard.persistence;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Golden samples of the lists' events and snapshots (see {@link GoldenFormatTest}). */
final class GoldenLists {
  private GoldenLists() {}

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static void add(Map<String, Object> m) {
    m.put("ListPushed", new ListEvent.Pushed(1, b("l"), true, List.of(b("a"), new byte[] {0, (byte) 0xff}, b(""))));
    m.put("ListPopped", new ListEvent.Popped(0, b("l"), false, 3));
    m.put("ListSet", new ListEvent.Set(0, b("l"), 2, b("x")));
    m.put("ListInserted", new ListEvent.Inserted(0, b("l"), 1, b("y")));
    m.put("ListRemoved", new ListEvent.Removed(0, b("l"), -2, b("a")));
    m.put("ListTrimmed", new ListEvent.Trimmed(0, b("l"), 1, 99));
    ListValue small = new ListValue();
    small.addLast(b("a"));
    small.addLast(new byte[] {0, (byte) 0xff});
    small.addFirst(b(""));
    ListValue wrapped = new ListValue();
    for (int i = 0; i < 10; i++) {
      wrapped.addLast(b("e" + i));
    }
    for (int i = 0; i < 4; i++) {
      wrapped.removeFirst();
      wrapped.addLast(b("f" + i));
    }
    m.put(
        "SlotSnapshot.list",
        new SlotSnapshot(
            List.of(
                new SlotSnapshot.DbEntries(
                    0,
                    List.of(
                        new SlotSnapshot.Entry(b("l1"), small, 0),
                        new SlotSnapshot.Entry(b("l2"), wrapped, 1767225600000L))))));
  }
}
