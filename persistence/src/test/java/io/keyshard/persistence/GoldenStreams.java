package io.keyshard.persistence;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Golden samples of the streams' events and snapshots (see {@link GoldenFormatTest}). */
final class GoldenStreams {
  private GoldenStreams() {}

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A stream with two nodes, a deleted entry, a group with a pending entry and two consumers. */
  static StreamValue sample() {
    SlotState state = new SlotState();
    List<SlotEvent> events =
        List.of(
            new StreamEvent.Added(0, b("s"), 1, 0, List.of(b("f"), b("1")), true),
            new StreamEvent.Added(0, b("s"), 1, 1, List.of(b("f"), b("two")), false),
            new StreamEvent.Added(0, b("s"), -1L, 5, List.of(b("g"), b("x"), b("h"), b("")), true),
            new StreamEvent.Deleted(0, b("s"), new long[] {1, 0}),
            new StreamEvent.GroupSet(0, b("s"), b("grp"), new long[] {1, 1}, 2),
            new StreamEvent.ConsumerSeen(0, b("s"), b("grp"), b("alice"), 1767225600000L),
            new StreamEvent.ConsumerSeen(0, b("s"), b("grp"), b("bob"), 1767225600001L),
            new StreamEvent.Assigned(
                0, b("s"), b("grp"), b("bob"), new long[] {1, 1}, new long[] {1767225600002L},
                new long[] {3}));
    events.forEach(e -> state.apply(e, 0));
    return (StreamValue) state.db(0).get(Bytes.of("s")).value;
  }

  static void add(Map<String, Object> m) {
    m.put(
        "StreamAdded",
        new StreamEvent.Added(1, b("s"), 1767225600000L, 0, List.of(b("f"), b("v"), b("n"), b("12")), true));
    m.put("StreamDeleted", new StreamEvent.Deleted(0, b("s"), new long[] {5, 0, -1L, -1L}));
    m.put("StreamTrimmed", new StreamEvent.Trimmed(0, b("s"), 0, new long[] {7, 1}, true, 10000));
    m.put("StreamIdsSet", new StreamEvent.IdsSet(0, b("s"), new long[] {9, 9}, 42L, new long[] {3, 0}));
    m.put("StreamGroupSet", new StreamEvent.GroupSet(0, b("s"), b("g"), new long[] {5, 1}, -1));
    m.put("StreamGroupDestroyed", new StreamEvent.GroupDestroyed(0, b("s"), b("g")));
    m.put("StreamConsumerSeen", new StreamEvent.ConsumerSeen(0, b("s"), b("g"), b("c"), 1767225600123L));
    m.put("StreamConsumerDeleted", new StreamEvent.ConsumerDeleted(0, b("s"), b("g"), b("c")));
    m.put(
        "StreamAssigned",
        new StreamEvent.Assigned(
            0, b("s"), b("g"), b("c"), new long[] {5, 1, 6, 0}, new long[] {100, 200}, new long[] {1, 2}));
    m.put("StreamReleased", new StreamEvent.Released(0, b("s"), b("g"), new long[] {5, 1}));
    m.put(
        "SlotSnapshot.stream",
        new SlotSnapshot(
            List.of(
                new SlotSnapshot.DbEntries(
                    0,
                    List.of(
                        new SlotSnapshot.Entry(b("s"), sample(), 0),
                        new SlotSnapshot.Entry(b("empty"), new StreamValue(), 1767225600000L))))));
  }
}
