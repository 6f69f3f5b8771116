package io.keyshard.persistence;

import java.util.Map;

/** Golden samples of the sorted sets' events and snapshots (see {@link GoldenFormatTest}). */
final class GoldenZSets {
  private GoldenZSets() {}

  static void add(Map<String, Object> m) {}
}
