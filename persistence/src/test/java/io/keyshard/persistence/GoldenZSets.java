package io.keyshard.persistence;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Golden samples of the sorted sets' events and snapshots (see {@link GoldenFormatTest}). */
final class GoldenZSets {
  private GoldenZSets() {}

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static void add(Map<String, Object> m) {
    m.put(
        "ZScoresSet",
        new ZSetEvent.ScoresSet(
            1,
            b("z"),
            List.of(b("a"), b("b"), b("c"), new byte[] {0, (byte) 0xff}),
            new double[] {0.1, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, -0.0}));
    m.put("ZMembersRemoved", new ZSetEvent.MembersRemoved(0, b("z"), List.of(b("a"), b("b"))));
    ZSetValue small = new ZSetValue();
    small.put(b("one"), 1);
    small.put(b("pi"), Math.PI);
    small.put(b("neg"), -1e20);
    ZSetValue converted = new ZSetValue();
    converted.put(b("x".repeat(ZSetValue.LISTPACK_MAX_VALUE + 1)), 2.5);
    converted.put(b("m"), Double.POSITIVE_INFINITY);
    m.put(
        "SlotSnapshot.zset",
        new SlotSnapshot(
            List.of(
                new SlotSnapshot.DbEntries(
                    0,
                    List.of(
                        new SlotSnapshot.Entry(b("z1"), small, 0),
                        new SlotSnapshot.Entry(b("z2"), converted, 1767225600000L))))));
  }
}
