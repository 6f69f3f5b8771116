package io.keyshard.persistence.rocks;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/** The settings of one RocksDB store, read from a {@code keyshard-rocksdb}-shaped section. */
public record RocksSettings(
    Path dir,
    AppendFsync appendFsync,
    long memoryBytes,
    long writeBufferBytes,
    int maxBatchOps,
    Duration everysecInterval,
    Duration resumeInterval) {

  public RocksSettings {
    if (writeBufferBytes >= memoryBytes) {
      // The write buffers are charged to the block cache, which holds the whole budget.
      throw new IllegalArgumentException(
          "keyshard-rocksdb.memory.write-buffers must be below memory.total");
    }
  }

  public static RocksSettings from(Config c) {
    return new RocksSettings(
        Path.of(c.getString("dir")),
        AppendFsync.parse(c.getString("appendfsync")),
        c.getBytes("memory.total"),
        c.getBytes("memory.write-buffers"),
        c.getInt("max-batch-ops"),
        c.getDuration("everysec-interval"),
        c.getDuration("resume-interval"));
  }

  public RocksSettings withDir(Path other) {
    return new RocksSettings(other, appendFsync, memoryBytes, writeBufferBytes, maxBatchOps,
        everysecInterval, resumeInterval);
  }

  public RocksSettings withAppendFsync(AppendFsync mode) {
    return new RocksSettings(dir, mode, memoryBytes, writeBufferBytes, maxBatchOps,
        everysecInterval, resumeInterval);
  }
}
