package io.keyshard.tools.importer;

import io.keyshard.protocol.Slots;
import io.keyshard.tools.Address;
import io.keyshard.tools.ToolException;
import io.keyshard.tools.Topology;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.RestoreParams;

/**
 * Writes keys to the target, a standalone server or a cluster, each to the primary serving its
 * slot: whole keys as one RESTORE each (atomic: a key is there whole or not at all), pipelined
 * per primary; big keys as a DEL and chunks of RPUSH / HSET / SADD / ZADD / APPEND, then
 * PEXPIREAT. Retriable answers (TRYAGAIN, LOADING, CLUSTERDOWN, a node's request timeout) are
 * sent again after a pause; MOVED or ASK (the target's slots moved) re-reads the target's slot
 * map first. A payload the target cannot read comes back to the caller to be read by type.
 */
final class TargetWriter implements AutoCloseable {
  /** What to do with a key the target already holds. */
  enum Existing {
    REFUSE,
    REPLACE,
    SKIP
  }

  private static final int ATTEMPTS = 10;

  private final Address to;
  private Existing existing;
  private Topology topology;
  private int[] owner;
  private final List<Node> nodes = new ArrayList<>();
  long skippedExisting;
  long retried;

  /** One queued RESTORE. */
  private record Pending(int db, byte[] key, byte[] payload, long expireAt) {}

  private final class Node {
    final Address address;
    final Jedis jedis;
    Pipeline pipeline;
    int db = -1;
    final List<Response<String>> replies = new ArrayList<>();
    final List<Pending> sent = new ArrayList<>();

    Node(Address address) {
      this.address = address;
      this.jedis = address.connect();
    }

    void select(int wanted) {
      if (db != wanted) {
        pipeline().select(wanted);
        db = wanted;
      }
    }

    Pipeline pipeline() {
      if (pipeline == null) {
        pipeline = jedis.pipelined();
      }
      return pipeline;
    }
  }

  TargetWriter(Address to, Existing existing) throws ToolException {
    this.to = to;
    this.existing = existing;
    connect(Topology.discover(to));
  }

  /** From now on keys that exist are overwritten (a resumed run: they are this import's). */
  void replaceExisting() {
    if (existing == Existing.REFUSE) {
      existing = Existing.REPLACE;
    }
  }

  Topology topology() {
    return topology;
  }

  private void connect(Topology t) {
    closeNodes();
    topology = t;
    owner = t.ownerBySlot();
    for (Topology.Shard s : t.shards()) {
      nodes.add(new Node(s.address()));
    }
  }

  private Node nodeFor(byte[] key) {
    return nodes.get(owner[Slots.slot(key)]);
  }

  /** Queues a RESTORE of {@code payload} (a DUMP payload) for {@code key} in {@code db}. */
  void restore(int db, byte[] key, byte[] payload, long expireAt) {
    send(new Pending(db, key, payload, expireAt));
  }

  private void send(Pending p) {
    Node n = nodeFor(p.key());
    n.select(p.db());
    RestoreParams params = RestoreParams.restoreParams();
    if (existing == Existing.REPLACE) {
      params.replace();
    }
    if (p.expireAt() >= 0) {
      params.absTtl();
    }
    n.replies.add(n.pipeline().restore(p.key(), Math.max(0, p.expireAt()), p.payload(), params));
    n.sent.add(p);
  }

  /**
   * Waits for every queued RESTORE, sending again what got a retriable answer. Answers the keys
   * (db, key) whose payload the target could not read, for the caller to read by type.
   */
  List<Object[]> flush() throws ToolException {
    List<Object[]> unreadable = new ArrayList<>();
    for (int attempt = 1; ; attempt++) {
      List<Pending> again = new ArrayList<>();
      boolean moved = false;
      String lastError = null;
      for (Node n : nodes) {
        if (n.pipeline == null) {
          continue;
        }
        try {
          n.pipeline.sync();
        } catch (JedisException e) {
          throw new ToolException(ToolException.REFUSED, "the target " + n.address + " failed: " + e.getMessage(), e);
        }
        for (int i = 0; i < n.replies.size(); i++) {
          try {
            n.replies.get(i).get();
          } catch (JedisDataException e) {
            String m = String.valueOf(e.getMessage());
            Pending p = n.sent.get(i);
            if (m.startsWith("BUSYKEY")) {
              skippedExisting++; // kept: --skip-existing, or written there by someone else meanwhile
            } else if (m.startsWith("MOVED") || m.startsWith("ASK")) {
              moved = true;
              again.add(p);
            } else if (retriable(m)) {
              again.add(p);
              lastError = m;
            } else if (m.contains("payload version or checksum") || m.contains("Bad data format")) {
              unreadable.add(new Object[] {p.db(), p.key()});
            } else {
              throw refusal(n.address, p.key(), m);
            }
          }
        }
        n.replies.clear();
        n.sent.clear();
      }
      if (again.isEmpty()) {
        return unreadable;
      }
      if (attempt >= ATTEMPTS) {
        throw new ToolException(
            ToolException.REFUSED,
            "the target kept refusing " + again.size() + " keys (" + (moved ? "its slots moved" : lastError)
                + "); run the same command again to go on");
      }
      retried += again.size();
      pause(attempt);
      if (moved) {
        connect(Topology.discover(to));
      }
      for (Pending p : again) {
        send(p);
      }
    }
  }

  /**
   * Copies a big key in chunks: {@code chunks} hands over one command's arguments at a time
   * (the command, then its arguments after the key). Deletes the key first (it is this import's
   * to write: the caller checked --skip-existing), then sets its expiry after the last chunk.
   * Answers false if --skip-existing keeps a key the target already holds.
   */
  boolean copyBig(int db, byte[] key, long expireAt, Chunks chunks, boolean mayExist) throws ToolException {
    flush();
    for (int attempt = 1; ; attempt++) {
      Node n = nodeFor(key);
      try {
        n.jedis.select(db);
        n.db = db;
        if (existing == Existing.SKIP && !mayExist && n.jedis.exists(key)) {
          skippedExisting++;
          return false;
        }
        n.jedis.del(key);
        for (Object[] chunk = chunks.next(); chunk != null; chunk = chunks.next()) {
          byte[][] args = new byte[chunk.length][];
          args[0] = key;
          for (int i = 1; i < chunk.length; i++) {
            args[i] = (byte[]) chunk[i];
          }
          byte[] name = ((String) chunk[0]).getBytes(StandardCharsets.US_ASCII);
          n.jedis.sendCommand(() -> name, args);
        }
        if (expireAt >= 0) {
          n.jedis.pexpireAt(key, expireAt);
        }
        return true;
      } catch (BigKeys.SourceFailure f) {
        throw f.source(); // the source's, handled as any failed read of it
      } catch (JedisDataException e) {
        String m = String.valueOf(e.getMessage());
        if (attempt >= ATTEMPTS || !(retriable(m) || m.startsWith("MOVED") || m.startsWith("ASK"))) {
          throw refusal(n.address, key, m);
        }
        retried++;
        pause(attempt);
        if (m.startsWith("MOVED") || m.startsWith("ASK")) {
          connect(Topology.discover(to));
        }
        chunks.restart();
      } catch (JedisException e) {
        throw new ToolException(ToolException.REFUSED, "the target " + n.address + " failed: " + e.getMessage(), e);
      }
    }
  }

  /** Deletes {@code keys} (gone from the source, or left half copied), pipelined per primary. */
  void delete(int db, List<byte[]> keys) throws ToolException {
    if (keys.isEmpty()) {
      return;
    }
    flush();
    for (int attempt = 1; ; attempt++) {
      try {
        for (Node n : nodes) {
          n.select(db);
        }
        List<Response<Long>> replies = new ArrayList<>();
        for (byte[] key : keys) {
          replies.add(nodeFor(key).pipeline().del(key));
        }
        for (Node n : nodes) {
          if (n.pipeline != null) {
            n.pipeline.sync();
          }
        }
        for (Response<Long> r : replies) {
          r.get();
        }
        return;
      } catch (JedisDataException e) {
        String m = String.valueOf(e.getMessage());
        if (attempt >= ATTEMPTS || !(retriable(m) || m.startsWith("MOVED") || m.startsWith("ASK"))) {
          throw new ToolException(ToolException.REFUSED, "the target refused a DEL: " + m, e);
        }
        retried++;
        pause(attempt);
        if (m.startsWith("MOVED") || m.startsWith("ASK")) {
          connect(Topology.discover(to));
        }
      } catch (JedisException e) {
        throw new ToolException(ToolException.REFUSED, "the target failed: " + e.getMessage(), e);
      }
    }
  }

  /** FLUSHDB of {@code db} on every primary (the source flushed it). */
  void flushDb(int db) throws ToolException {
    flush();
    for (Node n : nodes) {
      try {
        n.jedis.select(db);
        n.db = db;
        n.jedis.flushDB();
      } catch (JedisException e) {
        throw new ToolException(ToolException.REFUSED, "the target " + n.address + " refused FLUSHDB: " + e.getMessage(), e);
      }
    }
  }

  /** FLUSHALL on every primary (the source ran it). */
  void flushAll() throws ToolException {
    flush();
    for (Node n : nodes) {
      try {
        n.jedis.flushAll();
      } catch (JedisException e) {
        throw new ToolException(ToolException.REFUSED, "the target " + n.address + " refused FLUSHALL: " + e.getMessage(), e);
      }
    }
  }

  /** A big key's chunks, read from the source one at a time. */
  interface Chunks {
    /** The next command (name, then the arguments after the key), or null after the last. */
    Object[] next();

    /** Starts over from the first chunk (the target refused one and it is sent again). */
    void restart();
  }

  private static boolean retriable(String m) {
    return m.startsWith("TRYAGAIN") || m.startsWith("LOADING") || m.startsWith("CLUSTERDOWN")
        || m.contains("did not answer in time");
  }

  private static ToolException refusal(Address a, byte[] key, String m) {
    String why = m.startsWith("OOM") ? "the target is out of memory (maxmemory): " + m : m;
    return new ToolException(
        ToolException.REFUSED,
        a + " refused key '" + new String(key, StandardCharsets.UTF_8) + "': " + why
            + "; what was copied stays: run the same command again to go on");
  }

  private static void pause(int attempt) throws ToolException {
    try {
      Thread.sleep(Math.min(2000, 100L * attempt * attempt));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ToolException(ToolException.REFUSED, "interrupted");
    }
  }

  private void closeNodes() {
    for (Node n : nodes) {
      try {
        n.jedis.close();
      } catch (RuntimeException ignored) {
        // closing
      }
    }
    nodes.clear();
  }

  @Override
  public void close() {
    closeNodes();
  }
}
