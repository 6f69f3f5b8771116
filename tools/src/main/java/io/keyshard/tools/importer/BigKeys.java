package io.keyshard.tools.importer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.Tuple;

/**
 * A big key read in chunks of {@link #CHUNK} elements (or {@link #CHUNK_BYTES} of a string), so
 * that the importer's memory stays bounded whatever the key's size: lists and sorted sets by
 * index range, hashes and sets with HSCAN / SSCAN (which may repeat an element; the commands
 * that write them, HSET and SADD, make a repeat harmless), strings by GETRANGE.
 */
final class BigKeys {
  private BigKeys() {}

  static final int CHUNK = 1000;

  static final int CHUNK_BYTES = 1 << 20;

  /** The chunks of {@code key} (of {@code type}) on {@code source}, whose database is selected. */
  static TargetWriter.Chunks chunks(Jedis source, byte[] key, String type) {
    TargetWriter.Chunks chunks = switch (type) {
      case "list" -> new Ranged(source, key, false);
      case "zset" -> new Ranged(source, key, true);
      case "hash" -> new Scanned(source, key, true);
      case "set" -> new Scanned(source, key, false);
      default -> new StringChunks(source, key);
    };
    return new TargetWriter.Chunks() {
      @Override
      public Object[] next() {
        try {
          return chunks.next();
        } catch (redis.clients.jedis.exceptions.JedisException e) {
          throw new SourceFailure(e);
        }
      }

      @Override
      public void restart() {
        chunks.restart();
      }
    };
  }

  /** A read of the source that failed while a big key was written: the source's failure, not the target's. */
  static final class SourceFailure extends RuntimeException {
    SourceFailure(redis.clients.jedis.exceptions.JedisException cause) {
      super(cause.getMessage(), cause);
    }

    redis.clients.jedis.exceptions.JedisException source() {
      return (redis.clients.jedis.exceptions.JedisException) getCause();
    }
  }

  /** A score as a command argument that reads back as the same double. */
  static byte[] score(double d) {
    String s = d == Double.POSITIVE_INFINITY ? "+inf" : d == Double.NEGATIVE_INFINITY ? "-inf" : Double.toString(d);
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static final class Ranged implements TargetWriter.Chunks {
    private final Jedis source;
    private final byte[] key;
    private final boolean zset;
    private long next;

    Ranged(Jedis source, byte[] key, boolean zset) {
      this.source = source;
      this.key = key;
      this.zset = zset;
    }

    @Override
    public Object[] next() {
      List<Object> cmd = new ArrayList<>();
      if (zset) {
        List<Tuple> part = source.zrangeWithScores(key, next, next + CHUNK - 1);
        if (part.isEmpty()) {
          return null;
        }
        cmd.add("ZADD");
        for (Tuple t : part) {
          cmd.add(score(t.getScore()));
          cmd.add(t.getBinaryElement());
        }
        next += part.size();
      } else {
        List<byte[]> part = source.lrange(key, next, next + CHUNK - 1);
        if (part.isEmpty()) {
          return null;
        }
        cmd.add("RPUSH");
        cmd.addAll(part);
        next += part.size();
      }
      return cmd.toArray();
    }

    @Override
    public void restart() {
      next = 0;
    }
  }

  private static final class Scanned implements TargetWriter.Chunks {
    private final Jedis source;
    private final byte[] key;
    private final boolean hash;
    private byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
    private boolean done;

    Scanned(Jedis source, byte[] key, boolean hash) {
      this.source = source;
      this.key = key;
      this.hash = hash;
    }

    @Override
    public Object[] next() {
      ScanParams params = new ScanParams().count(CHUNK);
      while (!done) {
        List<Object> cmd = new ArrayList<>();
        if (hash) {
          ScanResult<Map.Entry<byte[], byte[]>> r = source.hscan(key, cursor, params);
          cursor = r.getCursorAsBytes();
          done = r.isCompleteIteration();
          cmd.add("HSET");
          for (Map.Entry<byte[], byte[]> e : r.getResult()) {
            cmd.add(e.getKey());
            cmd.add(e.getValue());
          }
        } else {
          ScanResult<byte[]> r = source.sscan(key, cursor, params);
          cursor = r.getCursorAsBytes();
          done = r.isCompleteIteration();
          cmd.add("SADD");
          cmd.addAll(r.getResult());
        }
        if (cmd.size() > 1) {
          return cmd.toArray();
        }
      }
      return null;
    }

    @Override
    public void restart() {
      cursor = ScanParams.SCAN_POINTER_START_BINARY;
      done = false;
    }
  }

  private static final class StringChunks implements TargetWriter.Chunks {
    private final Jedis source;
    private final byte[] key;
    private long offset;

    StringChunks(Jedis source, byte[] key) {
      this.source = source;
      this.key = key;
    }

    @Override
    public Object[] next() {
      byte[] part = source.getrange(key, offset, offset + CHUNK_BYTES - 1);
      if (part == null || part.length == 0) {
        return null;
      }
      offset += part.length;
      return new Object[] {"APPEND", part};
    }

    @Override
    public void restart() {
      offset = 0;
    }
  }
}
