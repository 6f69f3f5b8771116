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
    Map<Integer, List<String>> byPort = new HashMap<>();
    for (Map.Entry<Integer, Integer> e : new java.util.TreeMap<>(owner).entrySet()) {
      byPort.computeIfAbsent(e.getValue(), p -> new ArrayList<>()).add(keys[e.getKey()]);
    }
    List<String> failed = new ArrayList<>();
    for (Map.Entry<Integer, List<String>> e : byPort.entrySet()) {
      try (Jedis j = new Jedis("127.0.0.1", e.getKey(), 30_000)) {
        Pipeline p = j.pipelined();
        List<Response<String>> rs = new ArrayList<>();
        for (String k : e.getValue()) {
          rs.add(p.set(k, "ok"));
        }
        p.sync();
        for (int i = 0; i < rs.size(); i++) {
          try {
            rs.get(i).get();
          } catch (RuntimeException err) {
            failed.add(e.getValue().get(i) + ": " + err.getMessage());
          }
        }
      } catch (RuntimeException unreachable) {
        failed.add("node " + e.getKey() + ": " + unreachable.getMessage());
      }
    }
    return failed;
  }
}
