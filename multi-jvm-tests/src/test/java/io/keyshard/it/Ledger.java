package io.keyshard.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Clients that INCR counters spread over all slots and keep a ledger: for each counter, how
 * many INCRs were sent (attempted) and how many were answered with a value (acknowledged). Each
 * send is one attempt (no client-side retry hides a duplicate), so after any failure every
 * counter must satisfy acknowledged <= value <= attempted. Routing follows CLUSTER SLOTS,
 * refreshed on MOVED and on connection errors; CLUSTERDOWN, TRYAGAIN and connection errors are
 * the retriable kinds; anything else is recorded as a non-retriable error.
 */
final class Ledger implements AutoCloseable {
  static final int COUNTERS = 512;

  private final int[] ports;
  private final AtomicLongArray attempted = new AtomicLongArray(COUNTERS);
  private final AtomicLongArray acked = new AtomicLongArray(COUNTERS);
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicReference<int[]> owners = new AtomicReference<>(new int[16384]);
  private final List<Thread> threads = new ArrayList<>();
  final AtomicLong retriable = new AtomicLong();
  final List<String> nonRetriable = java.util.Collections.synchronizedList(new ArrayList<>());
  /** The longest time a client went without an acknowledged write, in ms. */
  final AtomicLong longestStallMs = new AtomicLong();

  Ledger(int[] ports) {
    this.ports = ports;
  }

  /** Starts {@code clients} writers (again, after {@link #close}). */
  void start(int clients) {
    stop.set(false);
    threads.clear();
    refresh();
    for (int i = 0; i < clients; i++) {
      Thread t = new Thread(this::run, "ledger-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  static String key(int counter) {
    return "ledger:" + counter;
  }

  private void run() {
    Map<Integer, Jedis> conns = new ConcurrentHashMap<>();
    long lastAck = System.currentTimeMillis();
    try {
      while (!stop.get()) {
        int c = ThreadLocalRandom.current().nextInt(COUNTERS);
        int port = owners.get()[JedisClusterCRC16.getSlot(key(c))];
        if (port == 0) {
          refresh();
          pause(50);
          continue;
        }
        Jedis j;
        try {
          j = conns.computeIfAbsent(port, p -> new Jedis("127.0.0.1", p, 5000));
        } catch (JedisConnectionException e) {
          retriable.incrementAndGet();
          refresh();
          pause(100);
          continue;
        }
        attempted.incrementAndGet(c);
        try {
          j.incr(key(c));
          acked.incrementAndGet(c);
          long now = System.currentTimeMillis();
          longestStallMs.accumulateAndGet(now - lastAck, Math::max);
          lastAck = now;
        } catch (JedisDataException e) {
          String m = String.valueOf(e.getMessage());
          if (m.startsWith("MOVED") || m.startsWith("ASK")) {
            refresh();
          } else if (m.startsWith("CLUSTERDOWN") || m.startsWith("TRYAGAIN")) {
            retriable.incrementAndGet();
            pause(50);
          } else {
            nonRetriable.add(m);
          }
        } catch (JedisConnectionException e) {
          retriable.incrementAndGet();
          closeQuietly(conns.remove(port));
          refresh();
          pause(100);
        }
      }
    } finally {
      conns.values().forEach(Ledger::closeQuietly);
    }
  }

  private static void closeQuietly(Jedis j) {
    try {
      if (j != null) {
        j.close();
      }
    } catch (RuntimeException brokenAlready) {
      // the node is gone: nothing to close
    }
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads CLUSTER SLOTS from the first node that answers. */
  void refresh() {
    for (int p : ports) {
      try (Jedis j = new Jedis("127.0.0.1", p, 2000)) {
        int[] map = new int[16384];
        for (Object o : j.clusterSlots()) {
          List<?> range = (List<?>) o;
          int start = ((Long) range.get(0)).intValue();
          int end = ((Long) range.get(1)).intValue();
          int owner = ((Long) ((List<?>) range.get(2)).get(1)).intValue();
          java.util.Arrays.fill(map, start, end + 1, owner);
        }
        owners.set(map);
        return;
      } catch (RuntimeException e) {
        // next node
      }
    }
  }

  /** Stops the clients and waits for them. */
  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    for (Thread t : threads) {
      t.join(30_000);
    }
  }

  long attempted(int c) {
    return attempted.get(c);
  }

  long acked(int c) {
    return acked.get(c);
  }

  long totalAcked() {
    long n = 0;
    for (int c = 0; c < COUNTERS; c++) {
      n += acked.get(c);
    }
    return n;
  }

  /**
   * acknowledged <= value <= attempted for every counter, read from its owner; the counters
   * outside those bounds (empty: none). The nodes' copies of the table converge a moment apart
   * (slots may still be moving after a heal): MOVED is followed until a node serves the key.
   */
  List<String> verify(int port) throws InterruptedException {
    Map<Integer, Integer> owner = ClusterProbe.ownerBySlot(port);
    List<String> problems = new ArrayList<>();
    for (int c = 0; c < COUNTERS; c++) {
      String key = key(c);
      int at = owner.get(JedisClusterCRC16.getSlot(key));
      String v;
      for (int hop = 0; ; hop++) {
        try (Jedis j = new Jedis("127.0.0.1", at, 10_000)) {
          v = j.get(key);
          break;
        } catch (JedisMovedDataException moved) {
          if (hop > 100) {
            throw moved;
          }
          at = moved.getTargetNode().getPort();
          Thread.sleep(100);
        }
      }
      long value = v == null ? 0 : Long.parseLong(v);
      if (value < acked(c)) {
        problems.add(key + ": acknowledged " + acked(c) + " but value " + value + " (lost)");
      } else if (value > attempted(c)) {
        problems.add(key + ": attempted " + attempted(c) + " but value " + value + " (doubled)");
      }
    }
    return problems;
  }
}
