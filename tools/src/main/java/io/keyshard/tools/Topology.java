package io.keyshard.tools;

import io.keyshard.protocol.Slots;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * What an address leads to: a standalone server (one shard holding every slot) or a cluster's
 * primaries and the slots each serves, read from CLUSTER NODES. A cluster that is not in state ok,
 * has a slot no live primary serves, or has a slot in migration is refused with a message: a
 * backup or restore over it would not be one consistent picture.
 */
public record Topology(boolean cluster, List<Shard> shards) {

  /** A primary (or the standalone server) and the slots it serves. */
  public record Shard(String id, Address address, BitSet slots) {}

  public static Topology discover(Address entry) throws ToolException {
    try (Jedis j = entry.connect()) {
      String info = j.info("cluster");
      if (!info.contains("cluster_enabled:1")) {
        BitSet all = new BitSet(Slots.SLOT_COUNT);
        all.set(0, Slots.SLOT_COUNT);
        return new Topology(false, List.of(new Shard("standalone", entry, all)));
      }
      String state = field(j.clusterInfo(), "cluster_state");
      if (!"ok".equals(state)) {
        throw new ToolException(
            ToolException.REFUSED,
            entry + ": cluster_state is " + state + " (CLUSTER INFO); refused until every slot is served");
      }
      return fromNodes(entry, j.clusterNodes());
    } catch (JedisException e) {
      throw new ToolException(ToolException.REFUSED, ToolException.explain(entry, e), e);
    }
  }

  static Topology fromNodes(Address entry, String nodes) throws ToolException {
    List<Shard> shards = new ArrayList<>();
    int[] owner = new int[Slots.SLOT_COUNT];
    Arrays.fill(owner, -1);
    for (String line : nodes.split("\r?\n")) {
      String[] f = line.trim().split(" ");
      if (f.length < 8) {
        continue;
      }
      List<String> flags = List.of(f[2].split(","));
      if (!flags.contains("master") || flags.contains("fail") || flags.contains("noaddr")) {
        continue;
      }
      String hostPort = f[1].split("@")[0];
      int colon = hostPort.lastIndexOf(':');
      String host = hostPort.substring(0, colon);
      int port = Integer.parseInt(hostPort.substring(colon + 1));
      BitSet slots = new BitSet(Slots.SLOT_COUNT);
      for (int i = 8; i < f.length; i++) {
        String range = f[i];
        if (range.startsWith("[")) {
          throw new ToolException(
              ToolException.REFUSED,
              "slot " + range.substring(1, range.indexOf('-')) + " is migrating (" + range + " in CLUSTER NODES of "
                  + entry + "); refused until the migration is over");
        }
        int dash = range.indexOf('-');
        int from = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
        int to = dash < 0 ? from : Integer.parseInt(range.substring(dash + 1));
        slots.set(from, to + 1);
      }
      if (slots.isEmpty()) {
        continue;
      }
      int index = shards.size();
      slots.stream().forEach(s -> owner[s] = index);
      shards.add(new Shard(f[0], entry.at(host.isEmpty() ? entry.host() : host, port), slots));
    }
    for (int slot = 0; slot < Slots.SLOT_COUNT; slot++) {
      if (owner[slot] < 0) {
        throw new ToolException(
            ToolException.REFUSED, "slot " + slot + " has no live primary (CLUSTER NODES of " + entry + "); refused");
      }
    }
    return new Topology(true, List.copyOf(shards));
  }

  /** For each slot, the index of the shard serving it. */
  public int[] ownerBySlot() {
    int[] owner = new int[Slots.SLOT_COUNT];
    for (int i = 0; i < shards.size(); i++) {
      int index = i;
      shards.get(i).slots().stream().forEach(s -> owner[s] = index);
    }
    return owner;
  }

  /** Whether both name the same primaries serving the same slots. */
  public boolean sameAs(Topology other) {
    if (cluster != other.cluster || shards.size() != other.shards.size()) {
      return false;
    }
    for (int i = 0; i < shards.size(); i++) {
      Shard a = shards.get(i);
      boolean found = false;
      for (Shard b : other.shards) {
        found |= a.id().equals(b.id()) && a.slots().equals(b.slots());
      }
      if (!found) {
        return false;
      }
    }
    return true;
  }

  /** A server's databases that hold keys and their key counts, from INFO keyspace. */
  public static java.util.SortedMap<Integer, Long> keysByDb(Jedis j) {
    java.util.SortedMap<Integer, Long> dbs = new java.util.TreeMap<>();
    for (String line : j.info("keyspace").split("\r?\n")) {
      if (line.startsWith("db") && line.contains(":keys=")) {
        dbs.put(
            Integer.parseInt(line.substring(2, line.indexOf(':'))),
            Long.parseLong(line.substring(line.indexOf("keys=") + 5).split(",")[0]));
      }
    }
    return dbs;
  }

  /** Slot ranges as CLUSTER NODES prints them: 0-5460 5462. */
  public static String ranges(BitSet slots) {
    StringBuilder sb = new StringBuilder();
    for (int from = slots.nextSetBit(0); from >= 0; ) {
      int to = slots.nextClearBit(from) - 1;
      sb.append(sb.isEmpty() ? "" : " ").append(from == to ? Integer.toString(from) : from + "-" + to);
      from = slots.nextSetBit(to + 1);
    }
    return sb.toString();
  }

  public String describe() {
    return cluster ? "cluster of " + shards.size() + " primaries" : "standalone server";
  }

  static String field(String info, String name) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(name + ":")) {
        return line.substring(name.length() + 1).trim();
      }
    }
    return null;
  }
}
