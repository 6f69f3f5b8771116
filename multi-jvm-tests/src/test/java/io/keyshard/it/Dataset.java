package io.keyshard.it;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import redis.clients.jedis.Jedis;

/**
 * Keys of every type Keyshard holds, in the sizes that give each of Redis's encodings (small
 * lists, sets, hashes and sorted sets are listpacks or intsets in an RDB file, large ones
 * quicklists, hash tables and skip lists), a third of them with a TTL.
 */
final class Dataset {
  private Dataset() {}

  static void load(Keyspace ks, int db, String prefix, int n, long seed) {
    Random r = new Random(seed);
    for (int i = 0; i < n; i++) {
      String key = prefix + ":" + i;
      Jedis j = ks.at(db, key);
      boolean large = i % 10 == 9;
      int size = large ? 200 + r.nextInt(100) : 1 + r.nextInt(8);
      switch (i % 6) {
        case 0 -> j.set(key, i % 12 == 0 ? Long.toString(r.nextLong()) : "v" + "x".repeat(r.nextInt(large ? 5000 : 40)));
        case 1 -> {
          for (int k = 0; k < size; k++) {
            j.rpush(key, "e" + k + "-" + r.nextInt(1000));
          }
        }
        case 2 -> {
          for (int k = 0; k < size; k++) {
            j.sadd(key, i % 4 == 2 ? Integer.toString(r.nextInt(100_000)) : "m" + r.nextInt(100_000));
          }
        }
        case 3 -> {
          Map<String, String> h = new HashMap<>();
          for (int k = 0; k < size; k++) {
            h.put("f" + k, "v" + r.nextInt(1000));
          }
          j.hset(key, h);
        }
        case 4 -> {
          for (int k = 0; k < size; k++) {
            j.zadd(key, r.nextInt(2000) / 8.0 - 50, "z" + k);
          }
        }
        default -> j.set(key, Integer.toString(i));
      }
      if (i % 3 == 1) {
        j.pexpire(key, 3_600_000L + r.nextInt(3_600_000));
      }
    }
  }
}
