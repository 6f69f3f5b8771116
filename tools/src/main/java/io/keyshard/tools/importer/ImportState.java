package io.keyshard.tools.importer;

import io.keyshard.tools.DurableFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where an import stands, checkpointed to a file after every batch the target acknowledged
 * (written to a temporary file, synced, renamed over the old one): per source node and database
 * its SCAN cursor, and the big key being copied in chunks, if any. The same command run again
 * reads it and goes on from there (docs/decisions/2026-12-07-import-tool.md).
 */
public final class ImportState {
  public static final int FORMAT = 1;

  public int format = FORMAT;
  /** The addresses of the run (without passwords): a state file of another import is refused. */
  public String from;

  public String to;
  /** What the first run was told to do with keys the target held: refuse, replace or skip. */
  public String existing;

  public List<Part> parts = new ArrayList<>();
  /**
   * A source cluster's slot map when the copy began (slot ranges by node id): a slot that has
   * another owner at the end may have had keys scanned on neither node, and is copied again
   * from its new owner. Null for a standalone source.
   */
  public java.util.Map<String, String> slotMap;
  /** The moved slots still to copy again, once the walk is done (survives a kill). */
  public List<Integer> recopy;
  /** Keys copied in chunks that were not finished: deleted on the target and copied again. */
  public List<InProgress> inProgressKeys = new ArrayList<>();
  /** The same, as state files of the first version recorded it (one key). */
  public InProgress inProgress;

  public long keys;
  public long bytes;
  public long gone;
  public long skippedExisting;
  public long retried;
  public long unsupported;
  public List<String> unsupportedKeys = new ArrayList<>();
  public boolean finished;

  /** A live import's position (--live); null for a one-time copy. */
  public Live live;

  /** Where a live import stands in the source's replication stream. */
  public static final class Live {
    /** How the source is followed: "psync" (a replica) or "notifications" (its key events). */
    public String mode;
    /** Notifications mode: full walks of the source finished, and key events applied. */
    public int passes;

    public long events;
    /** Up to this replication id and offset every write's key has been copied (null: no full copy yet). */
    public String replId;

    public long offset = -1;
    /** The database the source's stream had selected at the offset. */
    public int db = -1;
    /** A complete spooled RDB being loaded (null if none): the file, its size and where it leaves the stream. */
    public String spool;

    public long spoolEntries;
    public long spoolBytes;
    public String spoolReplId;
    public long spoolOffset;
    /** Entries of the spool loaded and acknowledged. */
    public long loaded;
    /** Full copies begun and finished. */
    public int loadsStarted;

    public int loads;
    /** The target held no key when the import began: a key on it the source lacks may be deleted. */
    public boolean targetWasEmpty;

    public long recopied;
    public long deleted;
    public long flushes;
  }

  /** One source node's database: its SCAN cursor ("0" before the first batch) and whether done. */
  public static final class Part {
    public String node;
    public String runId;
    public int db;
    public String cursor = "0";
    public boolean done;
    /** Passes started over from cursor 0 because the cursor could not be reused. */
    public int restarts;

    public Part() {}

    Part(String node, String runId, int db) {
      this.node = node;
      this.runId = runId;
      this.db = db;
    }
  }

  /** The key being copied in chunks (base64 of its bytes) and its database on the target. */
  public static final class InProgress {
    public String key;
    public int db;

    public InProgress() {}

    InProgress(String key, int db) {
      this.key = key;
      this.db = db;
    }
  }

  static ImportState read(Path file) throws IOException {
    return DurableFile.readJson(file, ImportState.class);
  }

  /** Replaces the file with this state, durably: a kill -9 leaves the old state or this one. */
  void write(Path file) throws IOException {
    DurableFile.writeJson(file, this);
  }
}
