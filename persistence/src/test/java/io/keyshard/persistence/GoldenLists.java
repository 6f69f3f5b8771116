package io.keyshard.persistence;

import java.util.Map;

/** Golden samples of the lists' events and snapshots (see {@link GoldenFormatTest}). */
final class GoldenLists {
  private GoldenLists() {}

  static void add(Map<String, Object> m) {}
}
