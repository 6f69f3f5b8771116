package io.keyshard.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.util.JedisClusterCRC16;

/** Starting cluster-mode node JVMs, and asking them, as a client would. */
final class ClusterProbe {
  private ClusterProbe() {}

  /**
   * One config file per node in {@code work}: the shared PostgreSQL, cluster mode with
   * min-nodes, the first node as seed, and {@code extra.apply(i)} (more HOCON lines).
   */
  static List<Path> configs(Path work, String url, int[] ports, int minNodes, IntFunction<String> extra)
      throws Exception {
    List<Path> out = new ArrayList<>();
    for (int i = 0; i < ports.length; i++) {
      Path conf = work.resolve("node" + i + ".conf");
      Files.writeString(
          conf,
          "keyshard.postgres { url = \"" + url + "\", user = postgres }\n"
              + "keyshard.cluster { enabled = on, min-nodes = " + minNodes
              + ", seeds = [\"127.0.0.1:" + ports[0] + "\"] }\n"
              // A replica's takeover rehearsal, smaller than the default 4096 (tests share 2
              // cores; bench/failover.sh sets the default back).
              + "keyshard.cluster.rehearse-takeover = 256\n"
              + extra.apply(i));
      out.add(conf);
    }
    return out;
  }

  /** Launches every node (without waiting: cluster nodes start together). */
  static NodeProcess[] launch(Path work, List<Path> configs, int[] ports) throws Exception {
    NodeProcess[] nodes = new NodeProcess[ports.length];
    for (int i = 0; i < ports.length; i++) {
      nodes[i] = NodeProcess.launch(work.resolve("data" + i), configs.get(i), ports[i], work.resolve("node" + i + ".log"));
    }
    return nodes;
  }

  /** Every slot's owner (client port) as the node on {@code port} tells it in CLUSTER SLOTS. */
  static Map<Integer, Integer> ownerBySlot(int port) {
    Map<Integer, Integer> out = new HashMap<>();
    try (Jedis j = new Jedis("127.0.0.1", port, 5000)) {
      for (Object o : j.clusterSlots()) {
        List<?> range = (List<?>) o;
        int owner = ((Long) ((List<?>) range.get(2)).get(1)).intValue();
        for (long s = (Long) range.get(0); s <= (Long) range.get(1); s++) {
          out.put((int) s, owner);
        }
      }
    }
    return out;
  }

  /** A numeric INFO field; -1 if the node does not report it. */
  static long info(int port, String section, String field) {
    try (Jedis j = new Jedis("127.0.0.1", port, 5000)) {
      for (String line : j.info(section).split("\r\n")) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.substring(field.length() + 1).trim());
        }
      }
    }
    return -1;
  }

  private static String[] keyPerSlot;

  /** A key in each of the 16384 slots. */
  static synchronized String[] keyPerSlot() {
    if (keyPerSlot == null) {
      String[] keys = new String[16384];
      int found = 0;
      for (int i = 0; found < 16384; i++) {
        String k = "slot-probe:" + i;
        int s = JedisClusterCRC16.getSlot(k);
        if (keys[s] == null) {
          keys[s] = k;
          found++;
        }
      }
      keyPerSlot = keys;
    }
    return keyPerSlot;
  }

  /**
   * Writes a key in every slot of {@code owner} (slot to port) through its owner; returns the
   * writes refused (empty: none).
   */
  static List<String> refusedWrites(Map<Integer, Integer> owner) {
    String[] keys = keyPerSlot();
    // Each node's keys over a few connections at once: one connection runs at most
    // pipeline-depth requests at a time, so one pipeline of thousands of durable writes measured
    // that bound (about 1.5 s for 5,461 slots here) rather than whether the slots take writes.
    List<List<String>> batches = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    Map<Integer, List<String>> byPort = new HashMap<>();
    for (Map.Entry<Integer, Integer> e : new java.util.TreeMap<>(owner).entrySet()) {
      byPort.computeIfAbsent(e.getValue(), p -> new ArrayList<>()).add(keys[e.getKey()]);
    }
    for (Map.Entry<Integer, List<String>> e : byPort.entrySet()) {
      List<String> all = e.getValue();
      int size = Math.max(1, (all.size() + CONNECTIONS - 1) / CONNECTIONS);
      for (int from = 0; from < all.size(); from += size) {
        batches.add(all.subList(from, Math.min(all.size(), from + size)));
        ports.add(e.getKey());
      }
    }
    List<String> failed = new ArrayList<>();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(batches.size());
    try {
      List<java.util.concurrent.Future<List<String>>> each = new ArrayList<>();
      for (int i = 0; i < batches.size(); i++) {
        int port = ports.get(i);
        List<String> batch = batches.get(i);
        each.add(pool.submit(() -> refusedWrites(port, batch)));
      }
      for (java.util.concurrent.Future<List<String>> f : each) {
        failed.addAll(f.get());
      }
    } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    } finally {
      pool.shutdownNow();
    }
    return failed;
  }

  /** Connections per node that {@link #refusedWrites(Map)} writes over at once. */
  private static final int CONNECTIONS = 8;

  private static List<String> refusedWrites(int port, List<String> keys) {
    List<String> failed = new ArrayList<>();
    try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
      Pipeline p = j.pipelined();
      List<Response<String>> rs = new ArrayList<>();
      for (String k : keys) {
        rs.add(p.set(k, "ok"));
      }
      p.sync();
      for (int i = 0; i < rs.size(); i++) {
        try {
          rs.get(i).get();
        } catch (RuntimeException err) {
          failed.add(keys.get(i) + ": " + err.getMessage());
        }
      }
    } catch (RuntimeException unreachable) {
      failed.add("node " + port + ": " + unreachable.getMessage());
    }
    return failed;
  }

  /**
   * Until a replica has rehearsed its takeover (INFO cluster {@code keyshard_takeover_rehearsal:done})
   * or {@code limit} passed; answers its last INFO cluster.
   */
  static String awaitRehearsed(int port, java.time.Duration limit) throws InterruptedException {
    String info = "";
    for (long until = System.currentTimeMillis() + limit.toMillis(); System.currentTimeMillis() < until; Thread.sleep(500)) {
      try (Jedis j = new Jedis("127.0.0.1", port, 5000)) {
        info = j.info("cluster");
      }
      if (info.contains("keyshard_takeover_rehearsal:done")) {
        break;
      }
    }
    return info;
  }
}
