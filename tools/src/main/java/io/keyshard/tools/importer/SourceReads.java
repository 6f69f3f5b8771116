package io.keyshard.tools.importer;

import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.HashValue;
import io.keyshard.persistence.ListValue;
import io.keyshard.persistence.SetValue;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import io.keyshard.persistence.ZSetValue;
import io.keyshard.persistence.rdb.DumpPayload;
import io.keyshard.persistence.rdb.RdbFormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.resps.Tuple;

/**
 * Reads a batch of keys from a source server with commands every Redis-compatible server has:
 * TYPE and PTTL for each key, then DUMP where the source has it and its payload is one Keyshard
 * reads (RDB version 10 or older: Redis up to 7.0), else the value by its type (GET, HGETALL,
 * LRANGE, SMEMBERS, ZRANGE WITHSCORES), all pipelined. A key with more elements than {@link
 * #BIG_ELEMENTS} (or a string over {@link #BIG_STRING} bytes) is left to be copied in chunks.
 */
final class SourceReads {
  private SourceReads() {}

  /** Elements (or string bytes / 64) a key may have and still be read and written whole. */
  static final long BIG_ELEMENTS = 5_000;

  static final long BIG_STRING = 8L << 20;

  /** What a key turned out to be. */
  sealed interface Read permits Dumped, Whole, Big, Gone, Unsupported {
    byte[] key();
  }

  /** A DUMP payload Keyshard reads; expireAt in Unix ms, -1 for none. */
  record Dumped(byte[] key, byte[] payload, long expireAt) implements Read {}

  /** A value read by its type, whole. */
  record Whole(byte[] key, Value value, long expireAt) implements Read {}

  /** Too big to read at once: copied in chunks. */
  record Big(byte[] key, String type, long expireAt) implements Read {}

  /** Expired or deleted between SCAN and the read. */
  record Gone(byte[] key) implements Read {}

  /** A type Keyshard does not hold (a module's), or a stream the source would not DUMP. */
  record Unsupported(byte[] key, String type) implements Read {}

  static boolean supported(String type) {
    return switch (type) {
      case "string", "hash", "list", "set", "zset" -> true;
      default -> false;
    };
  }

  /**
   * Reads {@code keys} from {@code source} (its database already selected). With {@code dump},
   * DUMP is tried first; a payload Keyshard cannot read falls back to the typed reads.
   */
  static List<Read> read(Jedis source, List<byte[]> keys, boolean dump) {
    Pipeline p = source.pipelined();
    List<Response<String>> types = new ArrayList<>(keys.size());
    List<Response<Long>> ttls = new ArrayList<>(keys.size());
    List<Response<byte[]>> dumps = new ArrayList<>(keys.size());
    for (byte[] key : keys) {
      types.add(p.type(key));
      ttls.add(p.pttl(key));
      if (dump) {
        dumps.add(p.dump(key));
      }
    }
    long now = System.currentTimeMillis();
    p.sync();
    Read[] out = new Read[keys.size()];
    List<Integer> typed = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      byte[] key = keys.get(i);
      String type;
      long pttl;
      byte[] payload;
      try {
        type = types.get(i).get();
        pttl = ttls.get(i).get();
        payload = dump ? dumps.get(i).get() : null;
      } catch (redis.clients.jedis.exceptions.JedisDataException e) {
        if (movedAway(e)) {
          out[i] = new Gone(key); // in a slot migrating away: its new owner's copy is taken later
          continue;
        }
        throw e;
      }
      if ("none".equals(type) || pttl == -2) {
        out[i] = new Gone(key);
        continue;
      }
      // A stream is copied by its DUMP payload only (no typed copy of streams and their groups).
      boolean dumpedStream = "stream".equals(type) && payload != null && readable(payload);
      if (!supported(type) && !dumpedStream) {
        out[i] = new Unsupported(key, type);
        continue;
      }
      long expireAt = pttl >= 0 ? now + pttl : -1;
      if (payload != null && readable(payload)) {
        out[i] = new Dumped(key, payload, expireAt);
      } else {
        out[i] = new Big(key, type, expireAt); // typed: sized below
        typed.add(i);
      }
    }
    if (!typed.isEmpty()) {
      typedReads(source, out, typed);
    }
    return List.of(out);
  }

  /** An answer that says the key now lives on another node of a source cluster (ASK, MOVED, TRYAGAIN). */
  static boolean movedAway(redis.clients.jedis.exceptions.JedisDataException e) {
    String m = String.valueOf(e.getMessage());
    return m.startsWith("ASK") || m.startsWith("MOVED") || m.startsWith("TRYAGAIN");
  }

  /** Whether Keyshard can read the payload (version and checksum, then the value itself). */
  static boolean readable(byte[] payload) {
    if (!DumpPayload.verify(payload)) {
      return false;
    }
    try {
      DumpPayload.read(payload);
      return true;
    } catch (RdbFormatException e) {
      return false;
    }
  }

  /** Sizes the keys at {@code which} (now Big placeholders), then reads the small ones whole. */
  private static void typedReads(Jedis source, Read[] out, List<Integer> which) {
    Pipeline p = source.pipelined();
    List<Response<Long>> sizes = new ArrayList<>();
    for (int i : which) {
      Big b = (Big) out[i];
      sizes.add(
          switch (b.type()) {
            case "string" -> p.strlen(b.key());
            case "hash" -> p.hlen(b.key());
            case "list" -> p.llen(b.key());
            case "set" -> p.scard(b.key());
            default -> p.zcard(b.key());
          });
    }
    p.sync();
    List<Integer> small = new ArrayList<>();
    List<Response<?>> values = new ArrayList<>();
    for (int n = 0; n < which.size(); n++) {
      int i = which.get(n);
      Big b = (Big) out[i];
      long size;
      try {
        size = sizes.get(n).get();
      } catch (redis.clients.jedis.exceptions.JedisDataException e) {
        if (!movedAway(e)) {
          throw e;
        }
        out[i] = new Gone(b.key());
        continue;
      }
      boolean big = b.type().equals("string") ? size > BIG_STRING : size > BIG_ELEMENTS;
      if (big) {
        continue;
      }
      small.add(i);
      values.add(
          switch (b.type()) {
            case "string" -> p.get(b.key());
            case "hash" -> p.hgetAll(b.key());
            case "list" -> p.lrange(b.key(), 0, -1);
            case "set" -> p.smembers(b.key());
            default -> p.zrangeWithScores(b.key(), 0, -1);
          });
    }
    p.sync();
    for (int n = 0; n < small.size(); n++) {
      int i = small.get(n);
      Big b = (Big) out[i];
      Value v;
      try {
        v = value(b.type(), values.get(n).get());
      } catch (redis.clients.jedis.exceptions.JedisDataException e) {
        if (!movedAway(e)) {
          throw e;
        }
        v = null;
      }
      out[i] = v == null ? new Gone(b.key()) : new Whole(b.key(), v, b.expireAt());
    }
  }

  /** A value from a typed read's reply; null if the key was gone (or emptied) by then. */
  @SuppressWarnings("unchecked")
  static Value value(String type, Object reply) {
    switch (type) {
      case "string" -> {
        return reply == null ? null : StringValue.of((byte[]) reply);
      }
      case "hash" -> {
        Map<byte[], byte[]> m = (Map<byte[], byte[]>) reply;
        if (m == null || m.isEmpty()) {
          return null;
        }
        HashValue h = new HashValue();
        m.forEach(h::put);
        return h;
      }
      case "list" -> {
        List<byte[]> l = (List<byte[]>) reply;
        if (l == null || l.isEmpty()) {
          return null;
        }
        ListValue list = new ListValue();
        l.forEach(list::addLast);
        return list;
      }
      case "set" -> {
        Set<byte[]> s = (Set<byte[]>) reply;
        if (s == null || s.isEmpty()) {
          return null;
        }
        List<Bytes> members = new ArrayList<>(s.size());
        s.forEach(m -> members.add(Bytes.wrap(m)));
        return SetValue.of(members);
      }
      default -> {
        List<Tuple> z = (List<Tuple>) reply;
        if (z == null || z.isEmpty()) {
          return null;
        }
        ZSetValue zset = new ZSetValue();
        for (Tuple t : z) {
          zset.put(t.getBinaryElement(), t.getScore());
        }
        return zset;
      }
    }
  }
}
