package io.keyshard.tools.importer;

import io.keyshard.protocol.Slots;
import io.keyshard.tools.Address;
import io.keyshard.tools.Progress;
import io.keyshard.tools.ToolException;
import io.keyshard.tools.Topology;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.Tuple;

/**
 * {@code keyshard-import --verify}: every key of the source compared with the target (type, a
 * digest of the value computed by type and in chunks for big keys, and the expiry within {@link
 * #TTL_SLACK_MS}), then every key of the target looked for on the source. Works on any pair of
 * Redis-compatible servers: it reads both with plain commands. The keys that differ go to a report
 * file, one per line; so do the FUNCTION libraries that differ (FUNCTION DUMP of every source
 * primary against each target primary's: names and exact code; a source without FUNCTION has
 * none to compare).
 */
public final class ImportVerify {
  private ImportVerify() {}

  static final long TTL_SLACK_MS = 2000;

  record Result(long compared, long differing, Path report) {}

  /** A key as a digest: its type, its value's digest, its expiry (Unix ms, -1 none). */
  record Seen(String type, String digest, long expireAt) {}

  static Result run(Address from, Address to, Path report, PrintStream log) throws ToolException, IOException {
    Topology source = Topology.discover(from);
    Topology target = Topology.discover(to);
    int[] sourceOwner = source.ownerBySlot();
    int[] targetOwner = target.ownerBySlot();
    long compared = 0;
    long differing = 0;
    Progress progress = Progress.onStderr("verify", 0);
    List<Jedis> targets = new ArrayList<>();
    List<Jedis> sources = new ArrayList<>();
    long libraries = 0;
    try (Writer out = Files.newBufferedWriter(report)) {
      target.shards().forEach(s -> targets.add(s.address().connect()));
      source.shards().forEach(s -> sources.add(s.address().connect()));
      // Source -> target: every key compared.
      for (Topology.Shard shard : source.shards()) {
        try (Jedis src = shard.address().connect()) {
          for (int db : databases(src, from.db())) {
            int targetDb = to.db() != null ? to.db() : db;
            src.select(db);
            for (Jedis t : targets) {
              t.select(targetDb);
            }
            byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
            do {
              ScanResult<byte[]> r = src.scan(cursor, new ScanParams().count(ImportRun.BATCH));
              cursor = r.getCursorAsBytes();
              List<byte[]> keys = r.getResult();
              List<Seen> here = seen(src, keys);
              Seen[] there = new Seen[keys.size()];
              for (int t = 0; t < targets.size(); t++) {
                List<Integer> mine = new ArrayList<>();
                for (int i = 0; i < keys.size(); i++) {
                  if (targetOwner[Slots.slot(keys.get(i))] == t) {
                    mine.add(i);
                  }
                }
                List<Seen> got = seen(targets.get(t), mine.stream().map(keys::get).toList());
                for (int n = 0; n < mine.size(); n++) {
                  there[mine.get(n)] = got.get(n);
                }
              }
              for (int i = 0; i < keys.size(); i++) {
                byte[] key = keys.get(i);
                Seen a = here.get(i);
                if (a == null) {
                  continue; // gone from the source meanwhile
                }
                Seen b = there[i];
                compared++;
                String why = difference(a, b);
                if (why != null) {
                  differing++;
                  out.write("db" + db + "\t" + printable(key) + "\t" + why + "\n");
                }
              }
              progress.update(compared, 0);
            } while (!isZero(cursor));
          }
        }
      }
      // Target -> source: keys only the target holds.
      for (Topology.Shard shard : target.shards()) {
        try (Jedis tgt = shard.address().connect()) {
          for (int db : databases(tgt, to.db())) {
            int sourceDb = from.db() != null ? from.db() : db;
            tgt.select(db);
            for (Jedis s : sources) {
              s.select(sourceDb);
            }
            byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
            do {
              ScanResult<byte[]> r = tgt.scan(cursor, new ScanParams().count(ImportRun.BATCH));
              cursor = r.getCursorAsBytes();
              List<byte[]> keys = r.getResult();
              List<Response<Boolean>> found = new ArrayList<>();
              List<Pipeline> pipelines = new ArrayList<>();
              sources.forEach(s -> pipelines.add(s.pipelined()));
              for (byte[] key : keys) {
                found.add(pipelines.get(sourceOwner[Slots.slot(key)]).exists(key));
              }
              pipelines.forEach(Pipeline::sync);
              for (int i = 0; i < keys.size(); i++) {
                if (!found.get(i).get()) {
                  differing++;
                  out.write("db" + db + "\t" + printable(keys.get(i)) + "\tonly on the target\n");
                }
              }
            } while (!isZero(cursor));
          }
        }
      }
      progress.done(compared, 0);
      libraries = ImportFunctions.verify(source, target, out);
      differing += libraries;
    } catch (JedisException e) {
      throw new ToolException(ToolException.REFUSED, "verify stopped: " + e.getMessage(), e);
    } finally {
      targets.forEach(Jedis::close);
      sources.forEach(Jedis::close);
    }
    log.println(
        "verify: " + compared + " keys compared, " + (differing - libraries) + " differ"
            + (libraries > 0 ? "; " + libraries + " function library differences" : "")
            + (differing > 0 ? " (listed in " + report + ")" : ""));
    return new Result(compared, differing, report);
  }

  /** What differs between a source key and the target's (null: nothing). */
  static String difference(Seen a, Seen b) {
    if (b == null && a.expireAt() >= 0 && a.expireAt() <= System.currentTimeMillis() + TTL_SLACK_MS) {
      return null; // read on the source just before its expiry: it may have expired on the target since
    }
    if (b == null) {
      if (a.type().equals("stream")) {
        return "missing on the target (a stream is copied from a source that has DUMP)";
      }
      return SourceReads.supported(a.type()) ? "missing on the target" : "a " + a.type() + ", which the target does not hold";
    }
    if (!a.type().equals(b.type())) {
      return "type " + a.type() + " on the source, " + b.type() + " on the target";
    }
    if (!a.digest().equals(b.digest())) {
      return "another value";
    }
    if ((a.expireAt() < 0) != (b.expireAt() < 0) || Math.abs(a.expireAt() - b.expireAt()) > TTL_SLACK_MS) {
      return "expiry " + a.expireAt() + " on the source, " + b.expireAt() + " on the target (Unix ms; -1 none)";
    }
    return null;
  }

  private static List<Integer> databases(Jedis j, Integer only) {
    if (only != null) {
      return List.of(only);
    }
    return new ArrayList<>(Topology.keysByDb(j).keySet());
  }

  /**
   * Each key's type, value digest and expiry (null for a key that does not exist): TYPE and PTTL
   * pipelined, then the sizes, then the small values (up to {@link SourceReads#BIG_ELEMENTS})
   * pipelined and digested here; the big ones read in chunks.
   */
  static List<Seen> seen(Jedis j, List<byte[]> keys) {
    Pipeline p = j.pipelined();
    List<Response<String>> types = new ArrayList<>();
    List<Response<Long>> ttls = new ArrayList<>();
    for (byte[] key : keys) {
      types.add(p.type(key));
      ttls.add(p.pttl(key));
    }
    long now = System.currentTimeMillis();
    p.sync();
    List<Response<Long>> sizes = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      byte[] key = keys.get(i);
      sizes.add(
          switch (types.get(i).get()) {
            case "string" -> p.strlen(key);
            case "hash" -> p.hlen(key);
            case "list" -> p.llen(key);
            case "set" -> p.scard(key);
            case "zset" -> p.zcard(key);
            default -> null;
          });
    }
    p.sync();
    List<Response<?>> values = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      byte[] key = keys.get(i);
      String type = types.get(i).get();
      Response<Long> size = sizes.get(i);
      boolean small = size != null && size.get() <= (type.equals("string") ? SourceReads.BIG_STRING : SourceReads.BIG_ELEMENTS);
      values.add(
          !small
              ? null
              : switch (type) {
                case "string" -> p.get(key);
                case "hash" -> p.hgetAll(key);
                case "list" -> p.lrange(key, 0, -1);
                case "set" -> p.smembers(key);
                default -> p.zrangeWithScores(key, 0, -1);
              });
    }
    p.sync();
    List<Seen> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      String type = types.get(i).get();
      long pttl = ttls.get(i).get();
      if ("none".equals(type) || pttl == -2) {
        out.add(null);
        continue;
      }
      Response<?> value = values.get(i);
      String digest = value != null ? digestOf(type, value.get()) : digest(j, keys.get(i), type);
      out.add(new Seen(type, digest, pttl >= 0 ? now + pttl : -1));
    }
    return out;
  }

  /** {@link #digest} of a value read whole (the same digest as read in chunks). */
  @SuppressWarnings("unchecked")
  static String digestOf(String type, Object reply) {
    MessageDigest ordered = sha256();
    byte[] sum = new byte[32];
    switch (type) {
      case "string" -> {
        if (reply != null) {
          ordered.update((byte[]) reply);
        }
        return hex(ordered.digest());
      }
      case "list" -> {
        ((List<byte[]>) reply).forEach(e -> framed(ordered, e));
        return hex(ordered.digest());
      }
      case "zset" -> {
        for (Tuple t : (List<Tuple>) reply) {
          add(sum, member(t));
        }
        return hex(sum);
      }
      case "hash" -> {
        for (Map.Entry<byte[], byte[]> e : ((Map<byte[], byte[]>) reply).entrySet()) {
          add(sum, field(e.getKey(), e.getValue()));
        }
        return hex(sum);
      }
      default -> {
        for (byte[] m : (Set<byte[]>) reply) {
          MessageDigest d = sha256();
          framed(d, m);
          add(sum, d.digest());
        }
        return hex(sum);
      }
    }
  }

  private static byte[] member(Tuple t) {
    MessageDigest d = sha256();
    framed(d, t.getBinaryElement());
    d.update(ByteBuffer.allocate(8).putLong(Double.doubleToLongBits(t.getScore() == 0 ? 0.0 : t.getScore())).array());
    return d.digest();
  }

  private static byte[] field(byte[] f, byte[] v) {
    MessageDigest d = sha256();
    framed(d, f);
    framed(d, v);
    return d.digest();
  }

  /**
   * A digest of a value by its type, read in chunks: a list's elements in order; a hash's, set's
   * or sorted set's elements in any order (a sum of per-element hashes, each element counted once
   * although HSCAN and SSCAN may repeat one).
   */
  static String digest(Jedis j, byte[] key, String type) {
    MessageDigest ordered = sha256();
    byte[] sum = new byte[32];
    switch (type) {
      case "string" -> {
        for (long off = 0; ; off += BigKeys.CHUNK_BYTES) {
          byte[] part = j.getrange(key, off, off + BigKeys.CHUNK_BYTES - 1);
          if (part == null || part.length == 0) {
            break;
          }
          ordered.update(part);
        }
        return hex(ordered.digest());
      }
      case "list" -> {
        for (long i = 0; ; i += BigKeys.CHUNK) {
          List<byte[]> part = j.lrange(key, i, i + BigKeys.CHUNK - 1);
          if (part.isEmpty()) {
            break;
          }
          part.forEach(e -> framed(ordered, e));
        }
        return hex(ordered.digest());
      }
      case "zset" -> {
        for (long i = 0; ; i += BigKeys.CHUNK) {
          List<Tuple> part = j.zrangeWithScores(key, i, i + BigKeys.CHUNK - 1);
          if (part.isEmpty()) {
            break;
          }
          for (Tuple t : part) {
            add(sum, member(t));
          }
        }
        return hex(sum);
      }
      case "hash" -> {
        Set<ByteBuffer> fields = new HashSet<>();
        byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
        do {
          ScanResult<Map.Entry<byte[], byte[]>> r = j.hscan(key, cursor, new ScanParams().count(BigKeys.CHUNK));
          cursor = r.getCursorAsBytes();
          for (Map.Entry<byte[], byte[]> e : r.getResult()) {
            if (fields.add(ByteBuffer.wrap(e.getKey()))) {
              add(sum, field(e.getKey(), e.getValue()));
            }
          }
        } while (!isZero(cursor));
        return hex(sum);
      }
      case "set" -> {
        Set<ByteBuffer> members = new HashSet<>();
        byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
        do {
          ScanResult<byte[]> r = j.sscan(key, cursor, new ScanParams().count(BigKeys.CHUNK));
          cursor = r.getCursorAsBytes();
          for (byte[] m : r.getResult()) {
            if (members.add(ByteBuffer.wrap(m))) {
              MessageDigest d = sha256();
              framed(d, m);
              add(sum, d.digest());
            }
          }
        } while (!isZero(cursor));
        return hex(sum);
      }
      case "stream" -> {
        return streamDigest(j, key);
      }
      default -> {
        return "unsupported";
      }
    }
  }

  /**
   * A stream's entries in order (ids, fields and values, read with XRANGE in chunks), its
   * counters (last generated id, max deleted id, entries added) and each consumer group's last
   * delivered id, entries read, pending count and consumer count, in the groups' order.
   */
  public static String streamDigest(Jedis j, byte[] key) {
    MessageDigest d = sha256();
    byte[] start = "-".getBytes(StandardCharsets.UTF_8);
    while (true) {
      List<?> part = (List<?>) j.sendCommand(Protocol.Command.XRANGE, key, start, "+".getBytes(StandardCharsets.UTF_8),
          "COUNT".getBytes(StandardCharsets.UTF_8), Integer.toString(BigKeys.CHUNK).getBytes(StandardCharsets.UTF_8));
      if (part.isEmpty()) {
        break;
      }
      byte[] last = null;
      for (Object o : part) {
        List<?> entry = (List<?>) o;
        last = (byte[]) entry.get(0);
        framed(d, last);
        for (Object fv : (List<?>) entry.get(1)) {
          framed(d, (byte[]) fv);
        }
      }
      start = ("(" + new String(last, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    }
    List<?> info = (List<?>) j.sendCommand(Protocol.Command.XINFO, "STREAM".getBytes(StandardCharsets.UTF_8), key);
    for (String field : List.of("last-generated-id", "max-deleted-entry-id", "entries-added")) {
      framed(d, field(info, field));
    }
    List<?> groups = (List<?>) j.sendCommand(Protocol.Command.XINFO, "GROUPS".getBytes(StandardCharsets.UTF_8), key);
    for (Object g : groups) {
      for (String field : List.of("name", "last-delivered-id", "entries-read", "pending", "consumers")) {
        framed(d, field((List<?>) g, field));
      }
    }
    return hex(d.digest());
  }

  /** A field of an XINFO reply (name, value, name, value...), as bytes; "nil" for a null. */
  private static byte[] field(List<?> pairs, String name) {
    for (int i = 0; i + 1 < pairs.size(); i += 2) {
      if (name.equals(new String((byte[]) pairs.get(i), StandardCharsets.UTF_8))) {
        Object v = pairs.get(i + 1);
        return v == null ? "nil".getBytes(StandardCharsets.UTF_8)
            : v instanceof byte[] b ? b : String.valueOf(v).getBytes(StandardCharsets.UTF_8);
      }
    }
    return ("no " + name).getBytes(StandardCharsets.UTF_8);
  }

  private static void framed(MessageDigest d, byte[] b) {
    d.update(ByteBuffer.allocate(4).putInt(b.length).array());
    d.update(b);
  }

  /** Adds {@code b} into {@code sum} as a 256-bit number (modulo 2^256): order-free, and a repeat counts. */
  private static void add(byte[] sum, byte[] b) {
    int carry = 0;
    for (int i = sum.length - 1; i >= 0; i--) {
      int v = (sum[i] & 0xff) + (b[i] & 0xff) + carry;
      sum[i] = (byte) v;
      carry = v >>> 8;
    }
  }

  private static boolean isZero(byte[] cursor) {
    return cursor.length == 1 && cursor[0] == '0';
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02x", x));
    }
    return sb.toString();
  }

  /** A key for the report: UTF-8 where it is, else escaped. */
  static String printable(byte[] key) {
    StringBuilder sb = new StringBuilder();
    for (byte b : key) {
      int c = b & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
    }
    return sb.toString();
  }
}
