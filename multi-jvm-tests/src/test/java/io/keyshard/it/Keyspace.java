package io.keyshard.it;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.Tuple;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A standalone server or a cluster's primaries as a test client sees them: each key written to
 * (and read from) the primary serving its slot, in any database; and what a client reads of
 * every key (type, value, TTL), to compare two datasets key by key.
 */
final class Keyspace implements AutoCloseable {
  /** What a client reads of one key; {@code expireAt}: PEXPIRETIME (-1 for none). */
  record Read(String type, Object value, long expireAt) {}

  private final List<Jedis> nodes = new ArrayList<>();
  private final int[] owner = new int[16384];

  /** {@code ports}: one standalone server, or every primary of a cluster. */
  Keyspace(int... ports) {
    for (int port : ports) {
      nodes.add(new Jedis("127.0.0.1", port, 30_000));
    }
    if (ports.length == 1) {
      return;
    }
    Map<Integer, Integer> index = new HashMap<>();
    for (int i = 0; i < ports.length; i++) {
      index.put(ports[i], i);
    }
    for (Object range : nodes.get(0).clusterSlots()) {
      List<?> r = (List<?>) range;
      List<?> master = (List<?>) r.get(2);
      Integer i = index.get(((Long) master.get(1)).intValue());
      if (i == null) {
        throw new IllegalStateException("a slot's primary is none of " + index.keySet());
      }
      for (int s = ((Long) r.get(0)).intValue(); s <= ((Long) r.get(1)).intValue(); s++) {
        owner[s] = i;
      }
    }
  }

  Jedis at(int db, String key) {
    Jedis j = nodes.get(owner[JedisClusterCRC16.getSlot(key)]);
    j.select(db);
    return j;
  }

  List<Jedis> nodes() {
    return nodes;
  }

  /** Every key of database {@code db} on every node, as a client reads it. */
  Map<String, Read> read(int db) {
    Map<String, Read> out = new TreeMap<>();
    for (Jedis j : nodes) {
      j.select(db);
      String cursor = ScanParams.SCAN_POINTER_START;
      do {
        ScanResult<String> page = j.scan(cursor, new ScanParams().count(500));
        for (String key : page.getResult()) {
          Read r = read(j, key);
          if (r != null && out.put(key, r) != null) {
            throw new AssertionError("key " + key + " is on two nodes");
          }
        }
        cursor = page.getCursor();
      } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    }
    return out;
  }

  static Read read(Jedis j, String key) {
    String type = j.type(key);
    Object value =
        switch (type) {
          case "string" -> j.get(key);
          case "list" -> j.lrange(key, 0, -1);
          case "set" -> new TreeSet<>(j.smembers(key));
          case "hash" -> new TreeMap<>(j.hgetAll(key));
          case "zset" -> j.zrangeWithScores(key, 0, -1).stream().map(Tuple::toString).toList();
          // Entries, counters and groups (ImportVerify's digest of them).
          case "stream" -> io.keyshard.tools.importer.ImportVerify.streamDigest(j, key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
          case "none" -> null;
          default -> type;
        };
    return value == null ? null : new Read(type, value, j.pexpireTime(key));
  }

  /**
   * Where {@code actual} differs from {@code expected}: keys missing or extra, type or value
   * different, or expiry times more than {@code slackMs} apart (or present on one side only). Empty if
   * none (at most 20 named).
   */
  static List<String> differences(Map<String, Read> expected, Map<String, Read> actual, long slackMs) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Read> e : expected.entrySet()) {
      Read a = actual.get(e.getKey());
      Read x = e.getValue();
      if (a == null) {
        // Read on the source before the target: a key whose expiry has come since (within the
        // slack) may have expired in between, which is no difference.
        if (x.expireAt() < 0 || x.expireAt() > System.currentTimeMillis() + slackMs) {
          out.add("missing " + e.getKey());
        }
      } else if (!x.type().equals(a.type()) || !Objects.equals(x.value(), a.value())) {
        out.add(e.getKey() + ": expected " + x + ", read " + a);
      } else if ((x.expireAt() < 0) != (a.expireAt() < 0) || Math.abs(x.expireAt() - a.expireAt()) > slackMs) {
        out.add(e.getKey() + ": expiry at " + x.expireAt() + " ms expected, " + a.expireAt() + " ms read");
      }
    }
    for (String key : actual.keySet()) {
      if (!expected.containsKey(key)) {
        out.add("extra " + key);
      }
    }
    return out.size() > 20 ? out.subList(0, 20) : out;
  }

  @Override
  public void close() {
    nodes.forEach(Jedis::close);
  }
}
