package io.keyshard.node.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How long each slot this node handed off held its requests parked: from the hand-off's start
 * (the router parks the slot) to the moment the new owner confirmed it serves the slot (the
 * parked requests go on, to MOVED). The pause of an atomic slot migration (CLUSTER
 * GETSLOTMIGRATIONS). Used by the slot agent's actor only.
 */
final class ParkTimes {
  private final Map<Integer, Long> since = new HashMap<>();
  private final Map<Integer, Long> pauseMs = new HashMap<>();

  void begin(Collection<Integer> slots) {
    long now = System.nanoTime();
    for (int s : slots) {
      since.put(s, now);
      pauseMs.remove(s);
    }
  }

  void end(Collection<Integer> slots) {
    long now = System.nanoTime();
    for (int s : slots) {
      Long t = since.remove(s);
      if (t != null) {
        pauseMs.put(s, (now - t) / 1_000_000);
      }
    }
  }

  /** The hand-off failed: the slots were never given away. */
  void forget(Collection<Integer> slots) {
    since.keySet().removeAll(slots);
  }

  boolean allEnded(Collection<Integer> slots) {
    return slots.stream().allMatch(pauseMs::containsKey);
  }

  /** The pauses known among {@code slots}, forgotten once read. */
  List<Long> take(Collection<Integer> slots) {
    List<Long> out = new ArrayList<>();
    for (int s : slots) {
      Long p = pauseMs.remove(s);
      if (p != null) {
        out.add(p);
      }
    }
    return out;
  }
}
