package io.keyshard.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

  /** Starts node {@code i} again over its data directory with its config, on its port; once it answers. */
  static NodeProcess relaunch(Path work, List<Path> configs, int[] ports, int i, String tag) throws Exception {
    NodeProcess n =
        NodeProcess.launch(work.resolve("data" + i), configs.get(i), ports[i], work.resolve("node" + i + "-" + tag + ".log"));
    n.awaitReady();
    return n;
  }

  /**
   * Until every node in {@code live} tells, in CLUSTER SLOTS, that all 16384 slots are owned by
   * nodes in {@code live} (a killed node's slots taken over), at most two minutes.
   */
  static void awaitCoveredBy(int[] live) throws InterruptedException {
    Set<Integer> ports = new HashSet<>();
    for (int p : live) {
      ports.add(p);
    }
    String last = "";
    for (long until = System.currentTimeMillis() + 120_000; System.currentTimeMillis() < until; Thread.sleep(200)) {
      boolean all = true;
      for (int port : live) {
        try {
          Map<Integer, Integer> owners = ownerBySlot(port);
          long ours = owners.values().stream().filter(ports::contains).count();
          if (ours != 16384) {
            all = false;
            last = port + " tells " + ours + " slots owned by " + ports;
          }
        } catch (RuntimeException notYet) {
          all = false;
          last = port + ": " + notYet;
        }
      }
      if (all) {
        return;
      }
    }
    throw new AssertionError("the slots were not all with " + ports + ": " + last);
  }

  /**
   * Until the slots' owners, as the node on {@code port} tells them, stayed the same for
   * {@code quietMs} (a rebalance after a node's return has ended), at most two minutes; the owners.
   */
  static Map<Integer, Integer> awaitQuiet(int port, long quietMs) throws InterruptedException {
    Map<Integer, Integer> last = Map.of();
    long since = System.currentTimeMillis();
    for (long until = System.currentTimeMillis() + 120_000; System.currentTimeMillis() < until; Thread.sleep(250)) {
      Map<Integer, Integer> now = ownerBySlot(port);
      if (!now.equals(last)) {
        last = now;
        since = System.currentTimeMillis();
      } else if (now.size() == 16384 && System.currentTimeMillis() - since >= quietMs) {
        return now;
      }
    }
    throw new AssertionError("the slots' owners kept changing or stayed uncovered on " + port);
  }

  /**
   * Once the nodes' views agree: every node's CLUSTER NODES names exactly one owner for each of
   * the 16384 slots, the same on every node, each owner one of {@code ports}. Views converge a
   * moment apart after kills and moves, so a disagreement is asked again for up to 30 s; a slot
   * really claimed by two nodes stays so. Answers the owner (port) by slot.
   */
  static int[] awaitOneOwnerEverywhere(int[] ports) throws InterruptedException {
    long until = System.currentTimeMillis() + 30_000;
    while (true) {
      try {
        return oneOwnerEverywhere(ports);
      } catch (AssertionError | RuntimeException e) {
        if (System.currentTimeMillis() > until) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }

  private static int[] oneOwnerEverywhere(int[] ports) {
    Set<Integer> members = new HashSet<>();
    for (int p : ports) {
      members.add(p);
    }
    int[] agreed = null;
    for (int port : ports) {
      int[] owner = new int[16384];
      String nodes;
      try (Jedis j = new Jedis("127.0.0.1", port, 10_000)) {
        nodes = j.clusterNodes();
      }
      for (String line : nodes.split("\n")) {
        String[] f = line.trim().split(" ");
        if (f.length < 9) {
          continue;
        }
        int p = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@')));
        for (int i = 8; i < f.length; i++) {
          if (f[i].startsWith("[")) {
            continue; // a per-key migration's [slot->-id], not an owner
          }
          String[] r = f[i].split("-");
          int lo = Integer.parseInt(r[0]);
          int hi = r.length == 1 ? lo : Integer.parseInt(r[1]);
          for (int s = lo; s <= hi; s++) {
            if (owner[s] != 0) {
              throw new AssertionError("slot " + s + " has two owners, " + owner[s] + " and " + p + ", in CLUSTER NODES of " + port + ":\n" + nodes);
            }
            owner[s] = p;
          }
        }
      }
      for (int s = 0; s < 16384; s++) {
        if (!members.contains(owner[s])) {
          throw new AssertionError("slot " + s + " is owned by " + owner[s] + " in CLUSTER NODES of " + port + ":\n" + nodes);
        }
      }
      if (agreed != null && !Arrays.equals(agreed, owner)) {
        throw new AssertionError("the nodes disagree on the slots' owners; " + port + " tells:\n" + nodes);
      }
      agreed = owner;
    }
    return agreed;
  }

  /** One key per slot, written through its owner: every slot accepts writes (asked for up to a minute). */
  static void awaitEverySlotTakesWrites(int port) throws InterruptedException {
    long until = System.currentTimeMillis() + 60_000;
    while (true) {
      Map<Integer, Integer> owner = ownerBySlot(port);
      List<String> failed = new ArrayList<>();
      if (owner.size() < 16384) {
        failed.add((16384 - owner.size()) + " slots have no owner");
      }
      failed.addAll(refusedWrites(owner));
      if (failed.isEmpty()) {
        return;
      }
      if (System.currentTimeMillis() > until) {
        throw new AssertionError(failed.size() + " slots refuse writes, e.g. " + failed.subList(0, Math.min(5, failed.size())));
      }
      System.out.println(LocalTime.now() + " not yet: " + failed.size() + " slots refuse writes, e.g. " + failed.subList(0, Math.min(3, failed.size())));
      Thread.sleep(500);
    }
  }
}
