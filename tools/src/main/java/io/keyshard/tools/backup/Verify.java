package io.keyshard.tools.backup;

import io.keyshard.persistence.rdb.RdbFileReader;
import io.keyshard.persistence.rdb.RdbFormatException;
import io.keyshard.persistence.rdb.RdbItem;
import io.keyshard.tools.Progress;
import io.keyshard.tools.ToolException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code keyshard-backup verify ARCHIVE}: from the archive alone, that it is whole and is what
 * its manifest says. Checked in an order that names the problem: the manifest (present, readable,
 * a format this tool reads), each file (present, its size, the backup it belongs to, its
 * SHA-256), then the data read through (its RDB checksum) with every slot's counts and digests
 * recomputed and compared, and its function libraries with the manifest's.
 */
final class Verify {
  private Verify() {}

  static Manifest archive(Path dir) throws ToolException, IOException {
    if (!Files.isDirectory(dir)) {
      throw new ToolException(ToolException.DAMAGED, dir + " is not a backup archive (not a directory)");
    }
    Path manifestFile = dir.resolve(Manifest.FILE);
    if (!Files.exists(manifestFile)) {
      throw new ToolException(ToolException.DAMAGED, dir + ": " + Manifest.FILE + " is missing (not a Keyshard backup, or incomplete)");
    }
    Manifest m;
    try {
      m = Manifest.read(manifestFile);
    } catch (IOException e) {
      throw new ToolException(ToolException.DAMAGED, manifestFile + " is not readable: " + e.getMessage(), e);
    }
    if (m.format() != Manifest.FORMAT) {
      throw new ToolException(
          ToolException.DAMAGED, "archive format version " + m.format() + "; this tool reads version " + Manifest.FORMAT);
    }
    if (m.files() == null || m.files().stream().noneMatch(f -> Manifest.DATA.equals(f.name())) || m.slots() == null) {
      throw new ToolException(ToolException.DAMAGED, manifestFile + " names no " + Manifest.DATA + " or no slots");
    }
    for (Manifest.FileEntry f : m.files()) {
      Path file = dir.resolve(f.name()).normalize();
      if (!file.startsWith(dir.normalize()) || !Files.exists(file)) {
        throw new ToolException(ToolException.DAMAGED, dir + ": " + f.name() + " is missing");
      }
      if (f.name().equals(Manifest.DATA)) {
        String id = backupIdOf(file);
        if (id != null && !id.equals(m.backupId())) {
          throw new ToolException(
              ToolException.DAMAGED,
              f.name() + " belongs to backup " + id + ", the manifest to backup " + m.backupId() + " (files of two backups mixed)");
        }
      }
      long size = Files.size(file);
      if (size != f.bytes()) {
        throw new ToolException(
            ToolException.DAMAGED,
            f.name() + " is " + size + " bytes, the manifest says " + f.bytes() + " (truncated, or not this backup's file)");
      }
      if (!Checksums.of(file).equals(f.sha256())) {
        throw new ToolException(
            ToolException.DAMAGED, f.name() + " does not match its SHA-256 in the manifest (the file is damaged)");
      }
    }
    recount(dir.resolve(Manifest.DATA), m);
    return m;
  }

  /** The backup id in the data file's AUX fields (they come first), or null if it has none. */
  static String backupIdOf(Path file) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      RdbFileReader reader = new RdbFileReader(in, RdbFileReader.Options.DEFAULT.withDecode(false));
      for (RdbItem item = reader.next(); item instanceof RdbItem.Aux aux; item = reader.next()) {
        if (aux.name().equals(Manifest.AUX_BACKUP_ID)) {
          return aux.value();
        }
      }
      return null;
    } catch (RdbFormatException e) {
      return null; // the checksum and the full read name the damage
    }
  }

  private static void recount(Path data, Manifest m) throws ToolException, IOException {
    SlotTally tally = new SlotTally();
    List<byte[]> functions = new java.util.ArrayList<>();
    Progress progress = Progress.onStderr("verify", Files.size(data));
    try (InputStream in = new BufferedInputStream(Files.newInputStream(data), 1 << 16)) {
      RdbFileReader reader = new RdbFileReader(in);
      for (RdbItem item = reader.next(); item != null; item = reader.next()) {
        if (item instanceof RdbItem.Entry e) {
          tally.add(e.db(), e.key(), e.value(), e.expireAtMs());
          progress.update(tally.keys(), reader.offset());
        } else if (item instanceof RdbItem.Function f) {
          functions.add(f.code());
        } else if (item instanceof RdbItem.Unsupported u) {
          throw new ToolException(ToolException.DAMAGED, Manifest.DATA + " holds " + Restore.describe(u) + ", which no Keyshard backup holds");
        }
      }
      progress.done(tally.keys(), reader.offset());
    } catch (RdbFormatException e) {
      throw new ToolException(ToolException.DAMAGED, Manifest.DATA + " is damaged: " + e.getMessage(), e);
    }
    BackupFunctions.check(m, functions);
    Map<Long, Manifest.SlotPart> expected = new HashMap<>();
    for (Manifest.SlotPart p : m.slots()) {
      expected.put(cell(p), p);
    }
    List<Manifest.SlotPart> found = tally.parts();
    for (Manifest.SlotPart p : found) {
      Manifest.SlotPart e = expected.remove(cell(p));
      if (!p.equals(e)) {
        throw new ToolException(
            ToolException.DAMAGED,
            "slot " + p.slot() + " of database " + p.db() + ": the data holds " + p.keys() + " keys (digest "
                + p.digest() + ", expiries " + p.expiryDigest() + "), the manifest says "
                + (e == null ? "none" : e.keys() + " (digest " + e.digest() + ", expiries " + e.expiryDigest() + ")"));
      }
    }
    if (!expected.isEmpty()) {
      Manifest.SlotPart e = expected.values().iterator().next();
      throw new ToolException(
          ToolException.DAMAGED,
          "slot " + e.slot() + " of database " + e.db() + ": the manifest says " + e.keys() + " keys, the data holds none");
    }
    if (tally.keys() != m.keys() || !Objects.equals(tally.redisDigest(), m.redisDigest())) {
      throw new ToolException(ToolException.DAMAGED, "the manifest's totals do not match the data");
    }
  }

  private static long cell(Manifest.SlotPart p) {
    return (long) p.db() * 16384 + p.slot();
  }
}
