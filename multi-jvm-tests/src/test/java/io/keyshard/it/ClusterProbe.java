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
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
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

  /**
   * A node's config file for cluster-init manual: the shared PostgreSQL, no seeds, so that it
   * waits for CLUSTER MEET (what `redis-cli --cluster create` and `add-node` send), and a table
   * that never moves slots by itself (only operators' commands do).
   */
  static Path manualConfig(Path work, String url, int i) throws Exception {
    Path conf = work.resolve("node" + i + ".conf");
    Files.writeString(
        conf,
        "keyshard.postgres { url = \"" + url + "\", user = postgres }\n"
            + "keyshard.cluster { enabled = on, init = manual, rehearse-takeover = 256 }\n");
    return conf;
  }

  /**
   * `redis-cli --cluster create` of the nodes on {@code ports} (started with
   * {@link #manualConfig}), each a primary with an even share of the slots; its output.
   */
  static String create(int... ports) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("timeout", "240", "redis-cli", "--cluster", "create"));
    for (int port : ports) {
      cmd.add("127.0.0.1:" + port);
    }
    cmd.add("--cluster-yes");
    return MigrationProbe.run(cmd.toArray(new String[0]));
  }

  /**
   * Waits until every node's shard claims after its start are over (its log says "the shards
   * of"), at most 90 s. Until then a slot group's first request on a node waits for its shard
   * behind the claims (seconds on 2 cores; docs/decisions/2026-12-07-slot-retirement.md): a test
   * that measures what clients see during a migration starts its clients after them.
   */
  static void awaitShardClaims(Iterable<NodeProcess> nodes) throws InterruptedException {
    long until = System.currentTimeMillis() + 90_000;
    for (NodeProcess n : nodes) {
      while (!n.logText().contains("the shards of") && System.currentTimeMillis() < until) {
        Thread.sleep(100);
      }
    }
  }

  /** Launches every node (without waiting: cluster nodes start together). */
  static NodeProcess[] launch(Path work, List<Path> configs, int[] ports) throws Exception {
    NodeProcess[] nodes = new NodeProcess[ports.length];
    for (int i = 0; i < ports.length; i++) {
      nodes[i] = NodeProcess.launch(work.resolve("data" + i), configs.get(i), ports[i], work.resolve("node" + i + ".log"));
    }
    return nodes;
  }

  /**
   * The first log line of each node that dropped a message too large for the cluster bus
   * (Artery's 256 KiB frame; empty: none). A slot table change that does not reach a node
   * leaves its view behind, and clients bounce between nodes that disagree.
   */
  static List<String> oversized(Iterable<NodeProcess> nodes) {
    List<String> out = new ArrayList<>();
    for (NodeProcess n : nodes) {
      n.logText().lines().filter(l -> l.contains("OversizedPayloadException")).findFirst()
          .ifPresent(l -> out.add(n.port() + ": " + l));
    }
    return out;
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
    List<String> each = new ArrayList<>();
    for (int slot : new TreeMap<>(owner).keySet()) {
      each.add(keys[slot]);
    }
    return perOwner(owner, each, (port, batch) -> refusedWrites(port, batch, k -> "ok", false));
  }

  /**
   * Loads a test's data: SET of each key to {@code value.apply(key)} through its slot's owner
   * ({@code owner}: slot to port), pipelined over a few connections per node, so that thousands
   * of keys load in seconds where a cluster client's one-at-a-time SETs take minutes. A SET the
   * node answers "slot did not answer in time" (its request timeout, seen for 53 of 200,000
   * keys on a machine at load average 13) is sent again, a few times at most: the same SET
   * twice leaves the same value. Returns the writes refused (empty: none).
   */
  static List<String> preload(Map<Integer, Integer> owner, List<String> keys, Function<String, String> value) {
    return perOwner(owner, keys, (port, batch) -> refusedWrites(port, batch, value, true));
  }

  /** SETs that {@link #preload} sent again after the node's request timeout. */
  static final AtomicLong preloadResent = new AtomicLong();

  /**
   * GET of each key through its slot's owner, pipelined as {@link #preload} writes; returns each key whose value is not {@code value.apply(key)}, with what
   * it holds (empty: all as expected).
   */
  static List<String> wrongValues(Map<Integer, Integer> owner, List<String> keys, Function<String, String> value) {
    return perOwner(owner, keys, (port, batch) -> wrongValues(port, batch, value));
  }

  /** {@code call} on each owner's keys, split over {@link #CONNECTIONS} connections per node at once. */
  private static List<String> perOwner(
      Map<Integer, Integer> owner, List<String> keys, BiFunction<Integer, List<String>, List<String>> call) {
    // One connection runs at most pipeline-depth requests at a time, so one pipeline of
    // thousands of durable writes measured that bound (about 1.5 s for 5,461 slots here) rather
    // than whether the slots take writes.
    List<List<String>> batches = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    Map<Integer, List<String>> byPort = new TreeMap<>();
    for (String k : keys) {
      byPort.computeIfAbsent(owner.get(JedisClusterCRC16.getSlot(k)), p -> new ArrayList<>()).add(k);
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
    if (batches.isEmpty()) {
      return failed;
    }
    ExecutorService pool = Executors.newFixedThreadPool(batches.size());
    try {
      List<Future<List<String>>> each = new ArrayList<>();
      for (int i = 0; i < batches.size(); i++) {
        int port = ports.get(i);
        List<String> batch = batches.get(i);
        each.add(pool.submit(() -> call.apply(port, batch)));
      }
      for (Future<List<String>> f : each) {
        failed.addAll(f.get());
      }
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException(e);
    } finally {
      pool.shutdownNow();
    }
    return failed;
  }

  /** Connections per node that {@link #perOwner} uses at once. */
  private static final int CONNECTIONS = 8;

  /** The node's answer to a write its slot did not acknowledge within the request timeout. */
  private static final String SLOT_TIMEOUT = "slot did not answer in time";

  /** Keys a pipeline carries before it is read (bounds the replies held in memory). */
  private static final int PIPELINE = 2000;

  private static List<String> refusedWrites(
      int port, List<String> keys, Function<String, String> value, boolean resendTimedOut) {
    List<String> failed = new ArrayList<>();
    try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
      for (int from = 0; from < keys.size(); from += PIPELINE) {
        List<String> part = keys.subList(from, Math.min(keys.size(), from + PIPELINE));
        for (int round = 1; !part.isEmpty(); round++) {
          Pipeline p = j.pipelined();
          List<Response<String>> rs = new ArrayList<>();
          for (String k : part) {
            rs.add(p.set(k, value.apply(k)));
          }
          p.sync();
          List<String> timedOut = new ArrayList<>();
          for (int i = 0; i < rs.size(); i++) {
            try {
              rs.get(i).get();
            } catch (RuntimeException err) {
              if (resendTimedOut && round < 5 && String.valueOf(err.getMessage()).contains(SLOT_TIMEOUT)) {
                timedOut.add(part.get(i));
              } else {
                failed.add(part.get(i) + ": " + err.getMessage());
              }
            }
          }
          preloadResent.addAndGet(timedOut.size());
          part = timedOut;
        }
      }
    } catch (RuntimeException unreachable) {
      failed.add("node " + port + ": " + unreachable.getMessage());
    }
    return failed;
  }

  private static List<String> wrongValues(int port, List<String> keys, Function<String, String> value) {
    List<String> wrong = new ArrayList<>();
    try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
      for (int from = 0; from < keys.size(); from += PIPELINE) {
        List<String> part = keys.subList(from, Math.min(keys.size(), from + PIPELINE));
        Pipeline p = j.pipelined();
        List<Response<String>> rs = new ArrayList<>();
        for (String k : part) {
          rs.add(p.get(k));
        }
        p.sync();
        for (int i = 0; i < rs.size(); i++) {
          String k = part.get(i);
          try {
            String v = rs.get(i).get();
            if (!value.apply(k).equals(v)) {
              wrong.add(k + " = " + v);
            }
          } catch (RuntimeException err) {
            wrong.add(k + ": " + err.getMessage());
          }
        }
      }
    } catch (RuntimeException unreachable) {
      wrong.add("node " + port + ": " + unreachable.getMessage());
    }
    return wrong;
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
  /**
   * Until a slot of each shard answers a read through its owner (EXISTS of a key no test writes): a
   * cluster's first request to a slot group waits for the shard coordinator to place its shard,
   * which on a loaded machine took longer than the node's request timeout, so a test's first
   * writes got "slot did not answer in time". Reads only (of the keys {@link #keyPerSlot} names,
   * which only {@link #awaitEverySlotTakesWrites} writes): the test's data stays its own.
   */
  static void awaitEveryShardAnswers(int port) throws InterruptedException {
    long until = System.currentTimeMillis() + 120_000;
    while (true) {
      Map<Integer, Integer> owner = ownerBySlot(port);
      String[] keys = keyPerSlot();
      // A shard is an owner's group of 64 consecutive slots: one read in each places them all.
      List<String> each = new ArrayList<>();
      java.util.Set<String> groups = new java.util.HashSet<>();
      for (Map.Entry<Integer, Integer> e : new TreeMap<>(owner).entrySet()) {
        if (groups.add(e.getValue() + "/" + e.getKey() / 64)) {
          each.add(keys[e.getKey()]);
        }
      }
      List<String> failed = new ArrayList<>();
      if (owner.size() < 16384) {
        failed.add((16384 - owner.size()) + " slots have no owner");
      }
      failed.addAll(perOwner(owner, each, ClusterProbe::unanswered));
      if (failed.isEmpty()) {
        return;
      }
      if (System.currentTimeMillis() > until) {
        throw new AssertionError(failed.size() + " shards do not answer, e.g. " + failed.subList(0, Math.min(5, failed.size())));
      }
      System.out.println(LocalTime.now() + " not yet: " + failed.size() + " shards do not answer, e.g. " + failed.subList(0, Math.min(3, failed.size())));
      Thread.sleep(500);
    }
  }

  /** Pipelined EXISTS of {@code keys} on {@code port}: each key whose read failed, with the error. */
  private static List<String> unanswered(int port, List<String> keys) {
    List<String> failed = new ArrayList<>();
    try (Jedis j = new Jedis("127.0.0.1", port, 30_000)) {
      for (int from = 0; from < keys.size(); from += PIPELINE) {
        List<String> part = keys.subList(from, Math.min(keys.size(), from + PIPELINE));
        Pipeline p = j.pipelined();
        List<Response<Boolean>> rs = new ArrayList<>();
        for (String k : part) {
          rs.add(p.exists(k));
        }
        p.sync();
        for (int i = 0; i < rs.size(); i++) {
          try {
            rs.get(i).get();
          } catch (RuntimeException err) {
            failed.add(part.get(i) + ": " + err.getMessage());
          }
        }
      }
    } catch (RuntimeException unreachable) {
      failed.add("node " + port + ": " + unreachable.getMessage());
    }
    return failed;
  }

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
