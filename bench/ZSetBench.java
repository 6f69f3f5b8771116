import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotSnapshot;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.ZSetValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * A large sorted set in Redis and in Keyshard, side by side: loads MEMBERS members into one set
 * with pipelined ZADD, then measures ZADD, ZRANK, ZRANGE by rank and ZRANGEBYSCORE over small
 * windows (pipelined, and one request at a time), and prints ops/s with the ratio
 * Keyshard/Redis. Then the in-process cost of the structure (inserts, ranks) and of one slot
 * snapshot holding the set (the deep copy and its serialization), which a slot takes every 1000
 * events. Measured, never asserted.
 *
 * <p>Run through bench/zset-large.sh, which starts both servers; or by hand:
 * {@code java -cp <node jar, node/target/lib/*, jedis and commons-pool2 jars>
 * bench/ZSetBench.java REDIS_HOST REDIS_PORT KEYSHARD_HOST KEYSHARD_PORT [MEMBERS] [OPS] [WRITES]}.
 * Use port 0 for a server to skip it (e.g. only the in-process part).
 */
public class ZSetBench {
  private static final int PIPELINE = 64;

  public static void main(String[] args) throws Exception {
    int members = args.length > 4 ? Integer.parseInt(args[4]) : 1_000_000;
    int ops = args.length > 5 ? Integer.parseInt(args[5]) : 100_000;
    List<String> names = List.of("load (pipelined ZADD)", "ZADD", "ZRANK", "ZRANGE rank 10",
        "ZRANGEBYSCORE 10", "ZADD 1-by-1", "ZRANK 1-by-1", "ZRANGE 1-by-1", "ZRANGEBYSCORE 1-by-1");
    int writes = args.length > 6 ? Integer.parseInt(args[6]) : ops / 10;
    double[] redis = run(args[0], Integer.parseInt(args[1]), members, ops, writes);
    double[] keyshard = run(args[2], Integer.parseInt(args[3]), members, ops, writes);
    System.out.printf(Locale.ROOT,
        "%nOne sorted set of %,d members; %,d reads per test (1-by-1: %,d), %,d ZADD (1-by-1: %,d)%n",
        members, ops, ops / 10, writes, writes / 10);
    System.out.printf(Locale.ROOT, "%-24s %14s %14s %10s%n", "test (ops/s)", "redis", "keyshard", "ks/redis");
    for (int i = 0; i < names.size(); i++) {
      System.out.printf(Locale.ROOT, "%-24s %14.0f %14.0f %10.2f%n", names.get(i),
          redis == null ? Double.NaN : redis[i], keyshard == null ? Double.NaN : keyshard[i],
          redis == null || keyshard == null ? Double.NaN : keyshard[i] / redis[i]);
    }
    inProcess(members);
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** ops/s per test against one server, or null when skipped (port 0). */
  private static double[] run(String host, int port, int members, int ops, int writes) {
    if (port == 0) {
      return null;
    }
    try (Jedis j = new Jedis(host, port, 600_000)) {
      j.del("bench:z");
      double[] out = new double[9];
      long t0 = System.nanoTime();
      // 100 members per ZADD, pipelined: a Keyshard slot snapshots every 1000 events, and a
      // snapshot copies the whole set, so single-member loading would measure mostly snapshots.
      Pipeline p = j.pipelined();
      java.util.Map<String, Double> batch = new java.util.HashMap<>();
      for (int i = 0; i < members; i++) {
        batch.put("member:" + i, (double) i);
        if (batch.size() == 100 || i == members - 1) {
          p.zadd("bench:z", batch);
          batch = new java.util.HashMap<>();
        }
        if (i % 10_000 == 9_999) {
          p.sync();
        }
      }
      p.sync();
      out[0] = members / seconds(t0);
      if (j.zcard("bench:z") != members) {
        throw new IllegalStateException("load incomplete at " + host + ":" + port);
      }
      SplittableRandom r = new SplittableRandom(7);
      // Single-member writes: each is an event, and every 1000th triggers a whole-slot snapshot.
      out[1] = pipelined(j, writes, (pl, i) -> pl.zadd("bench:z", r.nextInt(members), "member:" + r.nextInt(members)));
      out[2] = pipelined(j, ops, (pl, i) -> pl.zrank("bench:z", "member:" + r.nextInt(members)));
      out[3] = pipelined(j, ops, (pl, i) -> {
        long s = r.nextInt(members - 10);
        pl.zrange("bench:z", s, s + 9);
      });
      out[4] = pipelined(j, ops, (pl, i) -> {
        double s = r.nextInt(members - 10);
        pl.zrangeByScore("bench:z", s, s + 9);
      });
      int single = ops / 10;
      out[5] = oneByOne(writes / 10, () -> j.zadd("bench:z", r.nextInt(members), "member:" + r.nextInt(members)));
      out[6] = oneByOne(single, () -> j.zrank("bench:z", "member:" + r.nextInt(members)));
      out[7] = oneByOne(single, () -> {
        long s = r.nextInt(members - 10);
        j.zrange("bench:z", s, s + 9);
      });
      out[8] = oneByOne(single, () -> {
        double s = r.nextInt(members - 10);
        j.zrangeByScore("bench:z", s, s + 9);
      });
      j.del("bench:z");
      return out;
    }
  }

  private static double pipelined(Jedis j, int ops, BiConsumer<Pipeline, Integer> op) {
    long t0 = System.nanoTime();
    Pipeline p = j.pipelined();
    for (int i = 0; i < ops; i++) {
      op.accept(p, i);
      if (i % PIPELINE == PIPELINE - 1) {
        p.sync();
      }
    }
    p.sync();
    return ops / seconds(t0);
  }

  private static double oneByOne(int ops, Runnable op) {
    long t0 = System.nanoTime();
    for (int i = 0; i < ops; i++) {
      op.run();
    }
    return ops / seconds(t0);
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  /** The structure alone: ns per insert and per rank, and one snapshot of a slot holding it. */
  private static void inProcess(int members) throws Exception {
    byte[][] names = new byte[members][];
    for (int i = 0; i < members; i++) {
      names[i] = b("member:" + i);
    }
    SplittableRandom r = new SplittableRandom(11);
    for (int round = 0; round < 3; round++) { // the first rounds warm the JIT
      ZSetValue z = new ZSetValue();
      long t0 = System.nanoTime();
      for (int i = 0; i < members; i++) {
        z.put(names[i], r.nextInt(members));
      }
      double insert = (System.nanoTime() - t0) / (double) members;
      t0 = System.nanoTime();
      long sink = 0;
      for (int i = 0; i < members; i++) {
        sink += z.rank(names[r.nextInt(members)]);
      }
      double rank = (System.nanoTime() - t0) / (double) members;
      t0 = System.nanoTime();
      for (int i = 0; i < members; i++) {
        sink += z.byRank(r.nextInt(members)).member().length;
      }
      double byRank = (System.nanoTime() - t0) / (double) members;

      SlotState state = new SlotState();
      state.apply(new SlotEvent.KeyRestored(0, b("bench:z"), z, 0), 0);
      t0 = System.nanoTime();
      SlotSnapshot snap = state.toSnapshot();
      double copyMs = (System.nanoTime() - t0) / 1e6;
      t0 = System.nanoTime();
      byte[] bytes = new KeyshardSerializer().toBinary(snap);
      double serializeMs = (System.nanoTime() - t0) / 1e6;
      t0 = System.nanoTime();
      Object back = new KeyshardSerializer().fromBinary(bytes, "SlotSnapshot");
      double readMs = (System.nanoTime() - t0) / 1e6;
      if (round == 2) {
        System.out.printf(Locale.ROOT, "%nIn process, %,d members (ns/op): insert %.0f, rank %.0f, by rank %.0f%n",
            members, insert, rank, byRank);
        System.out.printf(Locale.ROOT,
            "One slot snapshot holding the set: deep copy %.0f ms, serialize %.0f ms (%,d bytes), read back %.0f ms%n",
            copyMs, serializeMs, bytes.length, readMs);
      }
      if (sink == 42 && back == null) {
        System.out.println();
      }
    }
  }
}
