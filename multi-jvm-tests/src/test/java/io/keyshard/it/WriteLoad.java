package io.keyshard.it;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Client threads that write as fast as the node acknowledges, each on its own connection and its
 * own keys, and remember what was attempted and what was acknowledged. Each step is a SET of a
 * fresh key ({@code prefix:t<thread>:k<i>}, written once) and an INCR of one of the thread's
 * counters. A thread ends when asked to or when its connection breaks (the node was killed).
 */
final class WriteLoad {
  /** Few, so that each counter's slot takes many events (and snapshots, if configured so). */
  static final int COUNTERS_PER_THREAD = 2;

  private final List<Writer> writers = new ArrayList<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicLong acks = new AtomicLong();

  WriteLoad(String prefix, int port, int threads) {
    for (int t = 0; t < threads; t++) {
      writers.add(new Writer(prefix + ":t" + t, port));
    }
  }

  void start() {
    for (Writer w : writers) {
      w.thread.start();
    }
  }

  /** Writes acknowledged so far, by all threads. */
  long acks() {
    return acks.get();
  }

  /** Asks the threads to finish their current write and waits for them. */
  void stop() throws InterruptedException {
    stop.set(true);
    join();
  }

  void join() throws InterruptedException {
    for (Writer w : writers) {
      w.thread.join(60_000);
      if (w.thread.isAlive()) {
        throw new IllegalStateException(w.thread.getName() + " still running after 60 s");
      }
    }
  }

  List<Writer> writers() {
    return writers;
  }

  /** One client thread and its record. Fields are read only after the thread has ended. */
  final class Writer implements Runnable {
    final String prefix;
    final Thread thread;
    private final int port;

    /** Value sent with the i-th SET; acked.get(i) says whether OK came back. */
    final List<String> setValues = new ArrayList<>();
    final List<Boolean> setAcked = new ArrayList<>();
    /** Per counter: INCRs sent, and the last value the node answered (0 = none). */
    final long[] incrAttempted = new long[COUNTERS_PER_THREAD];
    final long[] incrAcked = new long[COUNTERS_PER_THREAD];
    long incrsAcked;
    long errorReplies;
    /** Why the thread ended: null when asked to stop. */
    Exception endedBy;

    Writer(String prefix, int port) {
      this.prefix = prefix;
      this.port = port;
      this.thread = new Thread(this, "writer-" + prefix);
    }

    String setKey(int i) {
      return prefix + ":k" + i;
    }

    String counterKey(int c) {
      return prefix + ":ctr" + c;
    }

    @Override
    public void run() {
      // The socket timeout bounds a write that hangs; the node's own request-timeout is 10 s.
      try (Jedis jedis =
          new Jedis(
              new HostAndPort("127.0.0.1", port),
              DefaultJedisClientConfig.builder()
                  .connectionTimeoutMillis(5_000)
                  .socketTimeoutMillis(30_000)
                  .build())) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; !stop.get(); i++) {
          String value =
              "v" + i + "-" + Long.toHexString(random.nextLong()) + "x".repeat(random.nextInt(64));
          setValues.add(value);
          setAcked.add(false);
          try {
            if ("OK".equals(jedis.set(setKey(i), value))) {
              setAcked.set(i, true);
              acks.incrementAndGet();
            }
          } catch (JedisDataException errorReply) {
            // An error reply (e.g. TRYAGAIN) leaves the outcome unknown, like no reply at all.
            errorReplies++;
          }
          int c = i % COUNTERS_PER_THREAD;
          incrAttempted[c]++;
          try {
            incrAcked[c] = jedis.incr(counterKey(c));
            incrsAcked++;
            acks.incrementAndGet();
          } catch (JedisDataException errorReply) {
            errorReplies++;
          }
        }
      } catch (RuntimeException e) {
        // Normally a JedisConnectionException: the node went away mid-write.
        endedBy = e;
      }
    }

    long setsAcked() {
      return setAcked.stream().filter(b -> b).count();
    }
  }
}
