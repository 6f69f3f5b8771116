package io.keyshard.node.commands;

import io.keyshard.node.commands.SaveCopies.DbCopy;
import io.keyshard.node.commands.SaveCopies.SlotCopy;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.rdb.RdbFileWriter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes a save's function libraries and slot copies as an RDB file, as Redis writes dump.rdb:
 * into a temporary file of the same directory ({@code temp-<pid>.rdb}), synced, then renamed over the target and the
 * directory synced, so a reader sees the old file or the whole new one, never a part.
 */
final class RdbDump {
  private RdbDump() {}

  /** Keys of the copies (for INFO's current_save_keys_total). */
  static long keys(List<SlotCopy> copies) {
    long n = 0;
    for (SlotCopy c : copies) {
      for (DbCopy db : c.dbs()) {
        n += db.size();
      }
    }
    return n;
  }

  /**
   * Writes the function libraries ({@code functions}, each library's code) and {@code copies} to
   * {@code target}, counting the keys written into {@code progress}.
   */
  static void write(Path target, List<byte[]> functions, List<SlotCopy> copies, long usedMemory, AtomicLong progress)
      throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path temp = dir.resolve("temp-" + ProcessHandle.current().pid() + ".rdb");
    try {
      try (FileChannel ch =
              FileChannel.open(
                  temp,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.TRUNCATE_EXISTING,
                  StandardOpenOption.WRITE);
          OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16)) {
        write(out, functions, copies, usedMemory, progress);
        out.flush();
        ch.force(true);
      }
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    syncDirectory(dir);
  }

  /**
   * Writes the libraries, then {@code copies} database by database, as one RDB file to {@code
   * out} (left open). The libraries come first, as Redis 7.0 writes them (a loader creates each
   * as FUNCTION LOAD would).
   */
  static void write(OutputStream out, List<byte[]> functions, List<SlotCopy> copies, long usedMemory, AtomicLong progress)
      throws IOException {
    long[] keys = new long[SlotState.DATABASES];
    long[] expires = new long[SlotState.DATABASES];
    for (SlotCopy c : copies) {
      for (DbCopy db : c.dbs()) {
        keys[db.db()] += db.size();
        expires[db.db()] += db.expires();
      }
    }
    List<SlotCopy> bySlot = copies.stream().sorted(Comparator.comparingInt(SlotCopy::slot)).toList();
    RdbFileWriter w = new RdbFileWriter(out, RdbFileWriter.Header.now(usedMemory));
    for (byte[] code : functions) {
      w.function(code);
    }
    for (int db = 0; db < SlotState.DATABASES; db++) {
      if (keys[db] == 0) {
        continue;
      }
      w.selectDb(db, keys[db], expires[db]);
      for (SlotCopy c : bySlot) {
        for (DbCopy d : c.dbs()) {
          if (d.db() != db) {
            continue;
          }
          for (int i = 0; i < d.size(); i++) {
            w.write(d.keys()[i], d.values()[i], d.expireAt()[i] == 0 ? -1 : d.expireAt()[i]);
            progress.incrementAndGet();
          }
        }
      }
    }
    w.finish();
  }

  /** The rename is durable once the directory is synced (Linux allows opening it to do so). */
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // Not every platform lets a directory be synced; the file itself is.
    }
  }
}
