package io.keyshard.tools.backup;

import io.keyshard.tools.DurableFile;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a restore stands, beside the archive ({@code <archive>.restore-<host>_<port>.json}):
 * how many of the source's entries were read with every RESTORE up to them acknowledged. Written
 * after every checkpoint the target acknowledged, removed when the restore ends; the same command
 * run again goes on from there (docs/decisions/2026-12-07-backup-tool.md).
 */
public final class RestoreState {
  public static final int FORMAT = 1;

  public int format = FORMAT;
  /** The backup id of an archive, or an RDB file's path, size and modification time. */
  public String source;
  /** The target's address, without a password. */
  public String to;
  /** What the first run was told to do with existing keys: refuse, replace or skip. */
  public String existing;
  /** Entries of the data file read (restored, expired or skipped), all acknowledged. */
  public long entries;

  public long restored;
  public long expired;
  public long skippedExisting;
  public long retried;
  /** The runs that have worked on this restore, this one included. */
  public int runs = 1;

  static RestoreState read(Path file) throws IOException {
    return DurableFile.readJson(file, RestoreState.class);
  }

  void write(Path file) throws IOException {
    DurableFile.writeJson(file, this);
  }
}
