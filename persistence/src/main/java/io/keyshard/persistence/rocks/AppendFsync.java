package io.keyshard.persistence.rocks;

import java.util.Locale;

/**
 * When a journal write is acknowledged, with Redis's {@code appendfsync} meanings.
 * <ul>
 *   <li>{@link #ALWAYS}: after an fsync of the WAL that covers it; a power cut loses nothing
 *       acknowledged.
 *   <li>{@link #EVERYSEC}: after the WAL write reached the OS; a background sync at least once a
 *       second, so a power cut loses at most about a second, a process crash nothing.
 *   <li>{@link #NO}: after the WAL write reached the OS; the OS (and RocksDB's own flushes) decide
 *       when it reaches the disk.
 * </ul>
 */
public enum AppendFsync {
  ALWAYS,
  EVERYSEC,
  NO;

  /** Redis's spelling, as CONFIG GET reports it. */
  public String redisName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static AppendFsync parse(String value) {
    for (AppendFsync mode : values()) {
      if (mode.redisName().equalsIgnoreCase(value.trim())) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "appendfsync must be always, everysec or no, not '" + value + "'");
  }
}
