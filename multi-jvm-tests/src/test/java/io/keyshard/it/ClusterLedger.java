package io.keyshard.it;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Cluster clients (JedisCluster: they follow MOVED and ASK themselves) that keep a ledger while
 * slots move: INCR of counters spread over all slots, and per client a value key and a pair of
 * keys in one slot (hash tag) it alone writes with increasing sequence numbers (SET, and MSET
 * of the pair), read back as it goes (GET, MGET: never older than what was acknowledged, the
 * pair always equal). TRYAGAIN means nothing was done, so the ledger sends the same command again
 * and counts it (Jedis and Lettuce do not retry it, as with Redis); any other error is recorded.
 * Afterwards {@link #verify} checks that every counter holds exactly its acknowledged INCRs
 * (none lost, none doubled) and every value its last acknowledged write.
 */
final class ClusterLedger implements AutoCloseable {
  static final int COUNTERS = 256;

  private final int seedPort;
  private final AtomicLongArray acked = new AtomicLongArray(COUNTERS);
  /** INCRs whose outcome the node did not know, per counter. */
  private final AtomicLongArray maybe = new AtomicLongArray(COUNTERS);
  private final AtomicBoolean stop = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();
  private final List<long[]> lastSeq = Collections.synchronizedList(new ArrayList<>());
  final AtomicLong tryAgain = new AtomicLong();
  final AtomicLong operations = new AtomicLong();
  /** The longest a single command took, TRYAGAIN retries apart, in milliseconds. */
  final AtomicLong slowestMillis = new AtomicLong();
  final List<String> errors = Collections.synchronizedList(new ArrayList<>());
  /**
   * Writes the node answered "the write may or may not have been applied" (its request timeout):
   * not errors of the ledger, since the node says their outcome is unknown; verify allows each
   * to have happened or not, and the test prints how many there were.
   */
  final List<String> unknownOutcome = Collections.synchronizedList(new ArrayList<>());

  /** Slots the ledger's keys crowd into (those a test moves): half the counters, every client's keys. */
  private final List<Integer> hot;

  ClusterLedger(int seedPort) {
    this(seedPort, List.of());
  }

  ClusterLedger(int seedPort, List<Integer> hotSlots) {
    this.seedPort = seedPort;
    this.hot = List.copyOf(hotSlots);
  }

  private String hotTag(int i) {
    return hot.isEmpty() ? "" : MigrationProbe.tagFor(hot.get(i % hot.size()));
  }

  String counter(int c) {
    return (c % 2 == 0 ? hotTag(c / 2) : "") + "ctr:" + c;
  }

  String value(int client) {
    return hotTag(client * 7 + 3) + "val:" + client;
  }

  String pair(int client, String half) {
    // The pair shares a hash tag: its own, or a hot slot's (then every pair there shares it).
    return (hot.isEmpty() ? "{pair" + client + "}" : hotTag(client * 7 + 5)) + ":pair" + client + ":" + half;
  }

  JedisCluster connect() {
    // The socket timeout is above the node's request timeout (10 s), after which the node
    // answers every request itself (an error for a write it cannot vouch for). JedisCluster
    // sends any command again after a socket timeout, INCR included: with both at 10 s, a reply
    // late by a hair under load counted one acknowledged INCR for two applied (seen once, at
    // load average 18: a counter of a slot that was not moving, one more than acknowledged).
    return new JedisCluster(
        Set.of(new HostAndPort("127.0.0.1", seedPort)), 10_000, 30_000, 10, null, null, new ConnectionPoolConfig());
  }

  void start(int clients) {
    for (int i = 0; i < clients; i++) {
      long[] last = new long[2]; // the last acknowledged value, pair
      lastSeq.add(last);
      int client = i;
      Thread t = new Thread(() -> run(client, last), "cluster-ledger-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /** An unknown outcome with when it was answered and the key's slot, to find it in the nodes' logs. */
  private static String where(String key, Exception e) {
    return java.time.LocalTime.now() + " key " + key + " (slot " + redis.clients.jedis.util.JedisClusterCRC16.getSlot(key)
        + "): " + e.getMessage();
  }

  private void run(int client, long[] last) {
    try (JedisCluster jc = connect()) {
      long seq = 0;
      while (!stop.get()) {
        int op = ThreadLocalRandom.current().nextInt(10);
        try {
          if (op < 5) {
            int c = ThreadLocalRandom.current().nextInt(COUNTERS);
            try {
              retrying(() -> jc.incr(counter(c)));
            } catch (JedisDataException e) {
              if (!unknown(e)) {
                throw e;
              }
              maybe.incrementAndGet(c);
              unknownOutcome.add(where(counter(c), e));
              continue;
            }
            acked.incrementAndGet(c);
          } else if (op < 7) {
            long s = ++seq;
            retrying(() -> jc.set(value(client), Long.toString(s)));
            last[0] = s;
            String read = retrying(() -> jc.get(value(client)));
            if (read == null || Long.parseLong(read) < s) {
              errors.add("read " + read + " after acknowledged " + s + " of " + value(client));
            }
          } else {
            long s = ++seq;
            String v = Long.toString(s);
            retrying(() -> jc.mset(pair(client, "x"), v, pair(client, "y"), v));
            last[1] = s;
            List<String> read = retrying(() -> jc.mget(pair(client, "x"), pair(client, "y")));
            if (!v.equals(read.get(0)) || !v.equals(read.get(1))) {
              errors.add("pair " + read + " after acknowledged " + s + " of client " + client);
            }
          }
          operations.incrementAndGet();
        } catch (JedisDataException e) {
          if (unknown(e)) {
            // A SET or MSET the node may have applied: the client stops checking its values.
            unknownOutcome.add(where(op < 7 ? value(client) : pair(client, "x"), e));
            last[0] = 0;
            last[1] = 0;
            return;
          }
          errors.add(e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (RuntimeException e) {
          errors.add(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
      }
    }
  }

  /** The node's answer for a write whose outcome it does not know. */
  private static boolean unknown(JedisDataException e) {
    return e.getMessage() != null && e.getMessage().contains("may or may not have been applied");
  }

  /** Sends {@code call} again while it answers TRYAGAIN (nothing was done), counting each. */
  private <T> T retrying(Supplier<T> call) {
    while (true) {
      long t0 = System.nanoTime();
      try {
        return call.get();
      } catch (JedisDataException e) {
        if (e.getMessage() == null || !e.getMessage().startsWith("TRYAGAIN")) {
          throw e;
        }
        tryAgain.incrementAndGet();
        try {
          Thread.sleep(5);
        } catch (InterruptedException stopped) {
          Thread.currentThread().interrupt();
          throw e;
        }
      } finally {
        slowestMillis.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    for (Thread t : threads) {
      t.join(30_000);
    }
  }

  /** Every counter and value as acknowledged; the problems found (empty: none). */
  List<String> verify() {
    List<String> problems = new ArrayList<>();
    try (JedisCluster jc = connect()) {
      for (int c = 0; c < COUNTERS; c++) {
        String v = jc.get(counter(c));
        long value = v == null ? 0 : Long.parseLong(v);
        if (value < acked.get(c) || value > acked.get(c) + maybe.get(c)) {
          problems.add(counter(c) + " = " + value + ", acknowledged INCRs " + acked.get(c)
              + (value < acked.get(c) ? " (lost)" : " (doubled)"));
        }
      }
      for (int client = 0; client < lastSeq.size(); client++) {
        long[] last = lastSeq.get(client);
        String v = jc.get(value(client));
        if (last[0] > 0 && !Long.toString(last[0]).equals(v)) {
          problems.add(value(client) + " = " + v + ", last acknowledged " + last[0]);
        }
        List<String> pair = jc.mget(pair(client, "x"), pair(client, "y"));
        if (last[1] > 0 && !(Long.toString(last[1]).equals(pair.get(0)) && Long.toString(last[1]).equals(pair.get(1)))) {
          problems.add("pair of client " + client + " = " + pair + ", last acknowledged " + last[1]);
        }
      }
    }
    return problems;
  }

  long totalAcked() {
    long n = 0;
    for (int c = 0; c < COUNTERS; c++) {
      n += acked.get(c);
    }
    return n;
  }
}
