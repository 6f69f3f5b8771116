package io.keyshard.tools.backup;

import io.keyshard.persistence.rdb.RdbFileReader;
import io.keyshard.persistence.rdb.RdbFormatException;
import io.keyshard.persistence.rdb.RdbItem;
import io.keyshard.persistence.rdb.RedisDigest;
import io.keyshard.protocol.Slots;
import io.keyshard.tools.Address;
import io.keyshard.tools.ToolException;
import io.keyshard.tools.Topology;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * {@code verify ARCHIVE --against ADDRESS}: compares a verified archive with a live Keyshard
 * node or cluster slot by slot. Each primary computes its slots' counts and digests itself
 * (KEYSHARD DIGESTS), so matching slots send no keys; only for the slots that differ are the
 * keys' digests fetched (KEYSHARD KEYDIGESTS) and compared with the archive's, naming each key
 * missing, extra, or different in value or expiry. A live source still being written differs
 * by what was written since the cut: for a backup of an instant (every Keyshard backup but one of
 * a redis-server), each primary's journal tells which keys of a differing slot were written
 * since (KEYSHARD CHANGED), and the report says which differences are those and which are not.
 * Each primary's function libraries are compared too ({@link BackupFunctions#against}).
 */
final class Against {
  private Against() {}

  /** Exit code when the live data differs from the archive. */
  static final int DIFFERS = 1;

  private static final ProtocolCommand KEYSHARD = () -> "KEYSHARD".getBytes(StandardCharsets.US_ASCII);

  /** A key's digest part (hex) and expiry (Unix ms, -1 for none). */
  private record KeyDigest(String digest, long expireAt) {}

  static int run(Path archive, Manifest m, Address live, PrintStream out) throws ToolException, IOException {
    Topology t = Topology.discover(live);
    Map<Long, Manifest.SlotPart> liveParts = new HashMap<>();
    int[] owner = t.ownerBySlot();
    for (Topology.Shard shard : t.shards()) {
      List<String> args = new ArrayList<>(List.of("DIGESTS"));
      args.addAll(List.of(Create.ranges(shard.slots()).split(" ")));
      for (Object slotEntry : (List<?>) call(shard.address(), args.toArray(new String[0]))) {
        List<?> se = (List<?>) slotEntry;
        int slot = ((Long) se.get(0)).intValue();
        for (Object dbEntry : (List<?>) se.get(1)) {
          List<?> d = (List<?>) dbEntry;
          Manifest.SlotPart p =
              new Manifest.SlotPart(slot, ((Long) d.get(0)).intValue(), (Long) d.get(1), (Long) d.get(2), text(d.get(3)), text(d.get(4)));
          liveParts.put(cell(p.db(), slot), p);
        }
      }
    }
    TreeSet<Long> differing = new TreeSet<>();
    Map<Long, Manifest.SlotPart> archived = new HashMap<>();
    for (Manifest.SlotPart p : m.slots()) {
      archived.put(cell(p.db(), p.slot()), p);
      if (!p.equals(liveParts.get(cell(p.db(), p.slot())))) {
        differing.add(cell(p.db(), p.slot()));
      }
    }
    for (long c : liveParts.keySet()) {
      if (!archived.containsKey(c)) {
        differing.add(c);
      }
    }
    TreeSet<Long> all = new TreeSet<>(archived.keySet());
    all.addAll(liveParts.keySet());
    int compared = all.size();
    List<String> functions = BackupFunctions.against(m, t);
    String libraries =
        m.functions() == null
            ? "; the archive predates function libraries in backups: none compared"
            : ", " + m.functions().libraries().size() + " function libraries compared";
    if (differing.isEmpty()) {
      if (functions.isEmpty()) {
        out.println(
            archive + " matches " + live + " (" + t.describe() + "): " + compared + " slot parts compared, no key sent"
                + libraries);
        return 0;
      }
      out.println(
          archive + "'s keys match " + live + " (" + t.describe() + "): " + compared + " slot parts compared; its"
              + " function libraries differ:");
      list(out, "function libraries", functions);
      return DIFFERS;
    }

    // The keys of the differing slots, both sides.
    Map<Long, Map<String, KeyDigest>> liveKeys = new TreeMap<>();
    for (long c : differing) {
      int db = (int) (c / Slots.SLOT_COUNT);
      int slot = (int) (c % Slots.SLOT_COUNT);
      Map<String, KeyDigest> keys = new HashMap<>();
      Address at = t.shards().get(owner[slot]).address();
      for (Object k : (List<?>) call(at, "KEYDIGESTS", Integer.toString(slot), Integer.toString(db))) {
        List<?> kd = (List<?>) k;
        keys.put(new String((byte[]) kd.get(0), StandardCharsets.ISO_8859_1), new KeyDigest(text(kd.get(1)), (Long) kd.get(2)));
      }
      liveKeys.put(c, keys);
    }
    Map<Long, Map<String, KeyDigest>> backupKeys = new TreeMap<>();
    differing.forEach(c -> backupKeys.put(c, new HashMap<>()));
    RedisDigest digest = new RedisDigest();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(archive.resolve(Manifest.DATA)), 1 << 16)) {
      RdbFileReader reader = new RdbFileReader(in);
      for (RdbItem item = reader.next(); item != null; item = reader.next()) {
        if (item instanceof RdbItem.Entry e) {
          Map<String, KeyDigest> keys = backupKeys.get(cell(e.db(), Slots.slot(e.key())));
          if (keys != null) {
            keys.put(
                new String(e.key(), StandardCharsets.ISO_8859_1),
                new KeyDigest(RedisDigest.hex(digest.keyPart(e.key(), e.value(), e.expireAtMs() >= 0)), e.expireAtMs()));
          }
        }
      }
    } catch (RdbFormatException e) {
      throw new ToolException(ToolException.DAMAGED, Manifest.DATA + " is damaged: " + e.getMessage(), e);
    }

    // Which keys were written since the backup's instant, where the journal can tell.
    long at = m.cut() == null || m.cut().at() == null ? -1 : java.time.Instant.parse(m.cut().at()).toEpochMilli();
    Map<Long, Changed> changed = new HashMap<>();
    if (at >= 0) {
      for (long c : differing) {
        int db = (int) (c / Slots.SLOT_COUNT);
        int slot = (int) (c % Slots.SLOT_COUNT);
        changed.put(c, changedSince(t.shards().get(owner[slot]).address(), slot, db, at));
      }
    }

    List<String> missing = new ArrayList<>();
    List<String> extra = new ArrayList<>();
    List<String> value = new ArrayList<>();
    List<String> expiry = new ArrayList<>();
    int[] since = new int[3]; // written since, not written since, cannot tell
    for (long c : differing) {
      int db = (int) (c / Slots.SLOT_COUNT);
      Map<String, KeyDigest> b = backupKeys.get(c);
      Map<String, KeyDigest> l = liveKeys.get(c);
      Changed ch = changed.get(c);
      for (Map.Entry<String, KeyDigest> e : b.entrySet()) {
        KeyDigest other = l.get(e.getKey());
        String tag = at < 0 ? "" : tag(ch, e.getKey(), since);
        if (other == null) {
          missing.add(name(db, e.getKey()) + tag);
        } else if (!e.getValue().digest().equals(other.digest())) {
          value.add(name(db, e.getKey()) + tag);
        } else if (!Objects.equals(e.getValue().expireAt(), other.expireAt())) {
          expiry.add(name(db, e.getKey()) + " (backup " + e.getValue().expireAt() + ", live " + other.expireAt() + ")" + tag);
        }
      }
      for (String key : l.keySet()) {
        if (!b.containsKey(key)) {
          extra.add(name(db, key) + (at < 0 ? "" : tag(ch, key, since)));
        }
      }
    }
    out.println(
        archive + " differs from " + live + " (" + t.describe() + ") in " + differing.size() + " of " + compared
            + " slot parts: " + missing.size() + " keys missing there, " + extra.size() + " extra, "
            + value.size() + " with another value, " + expiry.size() + " with another expiry"
            + (functions.isEmpty() ? "" : "; " + functions.size() + " function library differences"));
    if (at >= 0) {
      out.println(
          "  the journal says " + since[0] + " of them were written since the backup's instant " + m.cut().at()
              + " and " + since[1] + " were not" + (since[2] > 0 ? "; it cannot tell for " + since[2] : ""));
    }
    list(out, "function libraries", functions);
    list(out, "missing on the live side", missing);
    list(out, "only on the live side", extra);
    list(out, "another type or value", value);
    list(out, "another expiry", expiry);
    return DIFFERS;
  }

  /** A slot's database's keys written since an instant; null keys: the journal cannot tell. */
  private record Changed(boolean flushed, java.util.Set<String> keys) {}

  private static Changed changedSince(Address a, int slot, int db, long at) throws ToolException {
    try (Jedis j = a.connect()) {
      List<?> r = (List<?>) j.sendCommand(KEYSHARD, "CHANGED", Integer.toString(slot), Integer.toString(db), Long.toString(at));
      java.util.Set<String> keys = new java.util.HashSet<>();
      for (Object k : (List<?>) r.get(1)) {
        keys.add(new String((byte[]) k, StandardCharsets.ISO_8859_1));
      }
      return new Changed((Long) r.get(0) == 1, keys);
    } catch (JedisDataException e) {
      return new Changed(false, null); // trimmed since: it cannot tell
    } catch (JedisException e) {
      throw new ToolException(ToolException.REFUSED, a + ": " + e.getMessage(), e);
    }
  }

  private static String tag(Changed ch, String key, int[] since) {
    if (ch == null || ch.keys() == null) {
      since[2]++;
      return " (the journal cannot tell whether written since)";
    }
    if (ch.flushed() || ch.keys().contains(key)) {
      since[0]++;
      return " (written since)";
    }
    since[1]++;
    return " (NOT written since the backup's instant)";
  }

  private static void list(PrintStream out, String what, List<String> keys) {
    if (keys.isEmpty()) {
      return;
    }
    out.println("  " + what + ":");
    keys.stream().sorted().limit(50).forEach(k -> out.println("    " + k));
    if (keys.size() > 50) {
      out.println("    ... and " + (keys.size() - 50) + " more");
    }
  }

  private static String name(int db, String latin1Key) {
    String key = new String(latin1Key.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    return db == 0 ? key : "db" + db + " " + key;
  }

  private static Object call(Address a, String... args) throws ToolException {
    try (Jedis j = a.connect()) {
      return j.sendCommand(KEYSHARD, args);
    } catch (JedisDataException e) {
      if (String.valueOf(e.getMessage()).contains("unknown command")) {
        throw new ToolException(ToolException.REFUSED, a + " is not a Keyshard node (no KEYSHARD DIGESTS): --against needs one", e);
      }
      throw new ToolException(ToolException.REFUSED, a + ": " + e.getMessage(), e);
    } catch (JedisException e) {
      throw new ToolException(ToolException.REFUSED, a + ": " + e.getMessage(), e);
    }
  }

  private static String text(Object o) {
    return o instanceof byte[] b ? new String(b, StandardCharsets.US_ASCII) : String.valueOf(o);
  }

  private static long cell(int db, int slot) {
    return (long) db * Slots.SLOT_COUNT + slot;
  }
}
