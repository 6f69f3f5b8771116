package io.keyshard.persistence;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Golden samples of the sets' events and snapshots (see {@link GoldenFormatTest}). */
final class GoldenSets {
  private GoldenSets() {}

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static void add(Map<String, Object> m) {
    m.put("SetMembersAdded", new SetEvent.MembersAdded(1, b("s"), List.of(b("a"), b("-7"), new byte[] {0, (byte) 0xff})));
    m.put("SetMembersRemoved", new SetEvent.MembersRemoved(0, b("s"), List.of(b("a"), b("3"))));
    SetValue intset = new SetValue();
    intset.add(b("3"));
    intset.add(b("-1"));
    intset.add(b("10"));
    SetValue converted = new SetValue();
    converted.add(b("1"));
    converted.add(b("x"));
    converted.remove(b("x"));
    converted.add(b("2"));
    m.put(
        "SlotSnapshot.set",
        new SlotSnapshot(
            List.of(
                new SlotSnapshot.DbEntries(
                    0,
                    List.of(
                        new SlotSnapshot.Entry(b("s1"), intset, 0),
                        new SlotSnapshot.Entry(b("s2"), converted, 1767225600000L))))));
  }
}
