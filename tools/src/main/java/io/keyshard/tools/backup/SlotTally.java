package io.keyshard.tools.backup;

import io.keyshard.persistence.Value;
import io.keyshard.persistence.rdb.ExpiryDigest;
import io.keyshard.persistence.rdb.RedisDigest;
import io.keyshard.protocol.Slots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per database and slot: key counts and two digests, both XORs over the keys (so the order the
 * keys come in does not matter, and a server can compute a slot's part on its own). {@code
 * digest} is Redis's DEBUG DIGEST part of each key (type, contents, and whether it expires);
 * {@code expiryDigest} covers when it expires ({@link ExpiryDigest}), which Redis's leaves out.
 */
final class SlotTally {
  private static final class Cell {
    long keys;
    long expires;
    final byte[] digest = new byte[RedisDigest.LENGTH];
    final byte[] expiryDigest = new byte[RedisDigest.LENGTH];
  }

  private final RedisDigest redis = new RedisDigest();
  private final ExpiryDigest expiry = new ExpiryDigest();
  /** By db * 16384 + slot, in that order. */
  private final TreeMap<Integer, Cell> cells = new TreeMap<>();
  private long keys;
  private long expires;

  void add(int db, byte[] key, Value value, long expireAtMs) {
    Cell c = cells.computeIfAbsent(db * Slots.SLOT_COUNT + Slots.slot(key), k -> new Cell());
    boolean volatileKey = expireAtMs >= 0;
    c.keys++;
    keys++;
    RedisDigest.xorInto(c.digest, redis.keyPart(key, value, volatileKey));
    if (volatileKey) {
      c.expires++;
      expires++;
      RedisDigest.xorInto(c.expiryDigest, expiry.part(db, key, expireAtMs));
    }
  }

  long keys() {
    return keys;
  }

  long expires() {
    return expires;
  }

  List<Manifest.SlotPart> parts() {
    List<Manifest.SlotPart> out = new ArrayList<>(cells.size());
    cells.forEach(
        (k, c) ->
            out.add(
                new Manifest.SlotPart(
                    k % Slots.SLOT_COUNT,
                    k / Slots.SLOT_COUNT,
                    c.keys,
                    c.expires,
                    RedisDigest.hex(c.digest),
                    RedisDigest.hex(c.expiryDigest))));
    return out;
  }

  Map<String, Manifest.Counts> databases() {
    TreeMap<Integer, long[]> per = new TreeMap<>();
    cells.forEach(
        (k, c) -> {
          long[] n = per.computeIfAbsent(k / Slots.SLOT_COUNT, d -> new long[2]);
          n[0] += c.keys;
          n[1] += c.expires;
        });
    Map<String, Manifest.Counts> out = new TreeMap<>((a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b)));
    per.forEach((db, n) -> out.put(Integer.toString(db), new Manifest.Counts(n[0], n[1])));
    return out;
  }

  /** DEBUG DIGEST of the whole dataset, as redis-server answers it once it loaded the file. */
  String redisDigest() {
    byte[][] dbs = new byte[16][];
    cells.forEach(
        (k, c) -> {
          int db = k / Slots.SLOT_COUNT;
          if (db >= dbs.length) {
            return; // beyond Redis's 16 databases: no server would load it anyway
          }
          if (dbs[db] == null) {
            dbs[db] = new byte[RedisDigest.LENGTH];
          }
          RedisDigest.xorInto(dbs[db], c.digest);
        });
    return RedisDigest.hex(redis.dataset(dbs));
  }
}
