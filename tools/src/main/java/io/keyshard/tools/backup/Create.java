package io.keyshard.tools.backup;

import io.keyshard.persistence.rdb.RdbFileReader;
import io.keyshard.persistence.rdb.RdbFileWriter;
import io.keyshard.persistence.rdb.RdbFormatException;
import io.keyshard.persistence.rdb.RdbItem;
import io.keyshard.protocol.Slots;
import io.keyshard.tools.Address;
import io.keyshard.tools.Progress;
import io.keyshard.tools.ToolException;
import io.keyshard.tools.Topology;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.SafeEncoder;

/**
 * {@code keyshard-backup create}: the whole dataset at one instant, read from each primary's
 * journal without pausing any writer (docs/decisions/2026-12-07-point-in-time.md): every primary
 * first holds its trims ({@code KEYSHARD HOLD}), the instant is taken after all of their journal
 * clocks, and each primary sends its own slots as they were just before it (REPLCONF
 * keyshard-at, then SYNC, as `redis-cli --rdb` asks), merged into one RDB file with a manifest.
 * {@code --at} names an earlier instant of the journal's window instead. A redis-server source
 * has no journal: its primaries' fork cuts are taken one after another. Each node's function
 * libraries come with its part and are kept per node ({@link BackupFunctions}). If the slots moved
 * between the nodes while the parts were fetched (a migration, a failover), they would not fit
 * together: that is checked and the backup refused, never written partial.
 */
final class Create {
  private Create() {}

  static Manifest run(Address from, Path out, PrintStream log) throws ToolException, IOException {
    return run(from, out, -1, log);
  }

  /**
   * {@code atMs} >= 0: a point-in-time backup, every primary's slots as the journal held them
   * just before that instant (docs/decisions/2026-12-07-point-in-time.md).
   */
  static Manifest run(Address from, Path out, long atMs, PrintStream log) throws ToolException, IOException {
    if (Files.exists(out) && (!Files.isDirectory(out) || hasFiles(out))) {
      throw new ToolException(ToolException.USAGE, out + " exists and is not an empty directory");
    }
    Topology before = Topology.discover(from);
    Path work = out.resolveSibling(out.getFileName() + ".partial");
    deleteTree(work); // what an interrupted run left
    Files.createDirectories(work);
    boolean done = false;
    boolean now = atMs < 0;
    List<long[]> holds = new ArrayList<>();
    try {
      if (now) {
        atMs = hold(before, holds);
      }
      String backupId = UUID.randomUUID().toString();
      List<Manifest.Node> nodes = new ArrayList<>();
      List<Path> parts = new ArrayList<>();
      long cutAt = atMs;
      long[] fetched = {0};
      Progress fetch = Progress.onStderr("cut", 0);
      for (int i = 0; i < before.shards().size(); i++) {
        Topology.Shard shard = before.shards().get(i);
        Path part = work.resolve("node-" + i + ".rdb");
        String asked = Instant.now().toString();
        long base = fetched[0];
        long bytes = RdbFetch.fetch(shard.address(), part, cutAt, n -> fetch.update(0, base + n));
        fetched[0] += bytes;
        nodes.add(new Manifest.Node(shard.id(), shard.address().toString(), ranges(shard.slots()), asked, Instant.now().toString(), bytes));
        parts.add(part);
      }
      fetch.done(0, fetched[0]);
      Topology after = Topology.discover(from);
      if (!before.sameAs(after)) {
        throw new ToolException(
            ToolException.REFUSED,
            "the slots changed owners while the nodes' cuts were taken (a migration or a failover): "
                + "the cuts do not make one backup; nothing was written, run it again");
      }

      // Each node's function libraries: at the head of its part, as Redis and Keyshard write them.
      List<List<byte[]>> functions = new ArrayList<>();
      for (int i = 0; i < parts.size(); i++) {
        try {
          functions.add(BackupFunctions.head(parts.get(i)));
        } catch (RdbFormatException e) {
          throw new ToolException(
              ToolException.DAMAGED, before.shards().get(i).address() + " sent a damaged file: " + e.getMessage(), e);
        }
      }
      BackupFunctions.Plan libraries =
          BackupFunctions.plan(
              before.shards().stream().map(Topology.Shard::id).toList(),
              functions,
              !now && atMs >= 0
                  ? "each node's libraries when it sent its part (between cutAskedAt and cutReceivedAt), not as they were at"
                      + " 'at': function libraries are not journaled"
                  : now
                      ? "each node's libraries when it was asked for its part, within about a second after 'at' (function"
                          + " libraries are not journaled)"
                      : "each node's libraries at its cut, with its keys");

      Path data = work.resolve(Manifest.DATA);
      MessageDigest sha = Checksums.sha256();
      SlotTally tally = new SlotTally();
      Progress merge = Progress.onStderr("write", fetched[0]);
      long read = 0;
      try (OutputStream file = Files.newOutputStream(data);
          DigestOutputStream digesting = new DigestOutputStream(new BufferedOutputStream(file, 1 << 16), sha)) {
        RdbFileWriter writer =
            new RdbFileWriter(digesting, RdbFileWriter.Header.now(0).with(Manifest.AUX_BACKUP_ID, backupId));
        for (byte[] code : libraries.inData()) {
          writer.function(code);
        }
        int selected = -1;
        for (int i = 0; i < parts.size(); i++) {
          Topology.Shard shard = before.shards().get(i);
          try (InputStream in = new BufferedInputStream(Files.newInputStream(parts.get(i)), 1 << 16)) {
            RdbFileReader reader = new RdbFileReader(in);
            long[] sizes = new long[2];
            int libraryItems = 0;
            for (RdbItem item = reader.next(); item != null; item = reader.next()) {
              if (item instanceof RdbItem.Function) {
                // Taken from the head above; one after the keys would be a file neither server writes.
                if (++libraryItems > functions.get(i).size()) {
                  throw new ToolException(
                      ToolException.REFUSED, shard.address() + "'s cut holds a function library after its keys: not carried");
                }
              } else if (item instanceof RdbItem.DbSize size) {
                sizes[0] = size.keys();
                sizes[1] = size.expires();
              } else if (item instanceof RdbItem.Entry e) {
                if (before.cluster() && !shard.slots().get(Slots.slot(e.key()))) {
                  throw new ToolException(
                      ToolException.REFUSED,
                      shard.address() + "'s cut holds a key of slot " + Slots.slot(e.key())
                          + ", which it does not serve: the slots moved during the backup; run it again");
                }
                if (e.db() != selected) {
                  writer.selectDb(e.db(), sizes[0], sizes[1]);
                  selected = e.db();
                }
                writer.write(e.key(), e.value(), e.expireAtMs());
                tally.add(e.db(), e.key(), e.value(), e.expireAtMs());
                merge.update(tally.keys(), read + reader.offset());
              } else if (item instanceof RdbItem.Unsupported u) {
                throw new ToolException(
                    ToolException.REFUSED,
                    shard.address() + " holds what a Keyshard backup cannot carry: " + Restore.describe(u));
              }
            }
            read += reader.offset();
          } catch (RdbFormatException e) {
            throw new ToolException(ToolException.DAMAGED, shard.address() + " sent a damaged file: " + e.getMessage(), e);
          }
          Files.delete(parts.get(i));
        }
        writer.finish();
        digesting.flush();
        file.flush();
      }
      merge.done(tally.keys(), read);
      fsync(data);

      Manifest manifest =
          new Manifest(
              Manifest.FORMAT,
              backupId,
              nodes.get(0).cutAskedAt(),
              new Manifest.Source(before.cluster() ? "cluster" : "standalone", from.toString(), nodes),
              atMs >= 0
                  ? new Manifest.Cut(
                      "point-in-time",
                      "every slot as the journal held it just before 'at': the writes journaled before it (a"
                          + " cross-slot transaction at its commit record's time), one clock for the whole cluster"
                          + (now ? "; 'at' is when the backup started, and no writer was paused" : ""),
                      Instant.ofEpochMilli(atMs).toString())
                  : new Manifest.Cut(
                      "per-node",
                      "each primary's slots at one point (its BGSAVE cut), the primaries one after another; no transaction spans primaries",
                      null),
              tally.keys(),
              tally.expires(),
              tally.databases(),
              tally.parts(),
              tally.redisDigest(),
              List.of(new Manifest.FileEntry(Manifest.DATA, Files.size(data), Checksums.hex(sha.digest()))),
              libraries.manifest());
      Path manifestFile = work.resolve(Manifest.FILE);
      manifest.write(manifestFile);
      fsync(manifestFile);
      Files.move(work, out, StandardCopyOption.ATOMIC_MOVE);
      done = true;
      log.println(
          "backup of the " + before.describe() + " at " + from
              + (atMs >= 0 ? " as it was at " + Instant.ofEpochMilli(atMs) : "") + " written to " + out + ": " + manifest.keys()
              + " keys in " + manifest.databases().size() + " database(s), " + Files.size(out.resolve(Manifest.DATA))
              + " bytes, id " + backupId);
      String fnLine = BackupFunctions.describe(libraries.manifest(), nodes.size());
      if (fnLine != null) {
        log.println("  " + fnLine);
      }
      return manifest;
    } finally {
      release(before, holds);
      if (!done) {
        deleteTree(work);
      }
    }
  }

  /** How long a primary holds its trims at most, should this tool die before it releases them. */
  static final int HOLD_SECONDS = 3600;

  /**
   * Holds every primary's trims and answers an instant after all their journal clocks (-1 for a
   * redis-server source, which has no journal: its fork cuts are taken instead). Each hold is
   * added to {@code holds} as {shard index, hold id}.
   */
  private static long hold(Topology topology, List<long[]> holds) throws ToolException {
    long at = -1;
    for (int i = 0; i < topology.shards().size(); i++) {
      Address a = topology.shards().get(i).address();
      try (Jedis j = a.connect()) {
        List<?> answer = (List<?>) j.sendCommand(() -> SafeEncoder.encode("KEYSHARD"), "HOLD", Integer.toString(HOLD_SECONDS));
        holds.add(new long[] {i, (Long) answer.get(0)});
        at = Math.max(at, (Long) answer.get(1) + 1);
      } catch (JedisDataException e) {
        if (i == 0 && String.valueOf(e.getMessage()).startsWith("ERR unknown command")) {
          return -1; // a redis-server: no journal to read
        }
        throw new ToolException(ToolException.REFUSED, a + " refused to hold its journal for the backup: " + e.getMessage(), e);
      } catch (JedisException e) {
        throw new ToolException(ToolException.REFUSED, a + ": " + e.getMessage(), e);
      }
    }
    return at;
  }

  /** Ends the holds (best effort: each ends by itself after HOLD_SECONDS anyway). */
  private static void release(Topology topology, List<long[]> holds) {
    for (long[] h : holds) {
      try (Jedis j = topology.shards().get((int) h[0]).address().connect()) {
        j.sendCommand(() -> SafeEncoder.encode("KEYSHARD"), "RELEASE", Long.toString(h[1]));
      } catch (RuntimeException ignored) {
        // it expires
      }
    }
  }

  /** Slot ranges as CLUSTER NODES prints them: 0-5460 5462. */
  static String ranges(BitSet slots) {
    return Topology.ranges(slots);
  }

  private static boolean hasFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isPresent();
    }
  }

  static void fsync(Path file) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
      c.force(true);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
