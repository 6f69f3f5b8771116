package io.keyshard.persistence;

import java.util.Map;

/** Golden samples of the sets' events and snapshots (see {@link GoldenFormatTest}). */
final class GoldenSets {
  private GoldenSets() {}

  static void add(Map<String, Object> m) {}
}
