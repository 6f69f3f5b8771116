package io.keyshard.node.testing;

import org.junit.jupiter.api.function.Executable;
import redis.clients.jedis.Jedis;

/** What the cluster tests read from a node's replies: errors, owners, epochs. */
public final class ClusterReplies {
  private ClusterReplies() {}

  /** The error text a call ends with, or "(no error)". */
  public static String errorOf(Executable call) {
    try {
      call.execute();
      return "(no error)";
    } catch (Throwable t) {
      return t.getMessage();
    }
  }

  /** The id of the node whose CLUSTER NODES line lists {@code slot}, or "" if none does. */
  public static String ownerOf(Jedis j, int slot) {
    for (String line : j.clusterNodes().split("\n")) {
      String[] f = line.trim().split(" ");
      for (int i = 8; i < f.length; i++) {
        if (f[i].startsWith("[")) {
          continue; // a migration ([slot->-id], [slot-<-id]), not a range
        }
        String[] r = f[i].split("-");
        int lo = Integer.parseInt(r[0]);
        int hi = r.length > 1 ? Integer.parseInt(r[1]) : lo;
        if (slot >= lo && slot <= hi) {
          return f[0];
        }
      }
    }
    return "";
  }

  /** cluster_current_epoch of a CLUSTER INFO reply. */
  public static long epochOf(String clusterInfo) {
    for (String line : clusterInfo.split("\r\n")) {
      if (line.startsWith("cluster_current_epoch:")) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    throw new AssertionError(clusterInfo);
  }

  /** GET on a node until it serves the key's slot (its view of the table caught up). */
  public static String awaitServed(Jedis j, String key) throws Exception {
    long until = System.currentTimeMillis() + 30_000;
    while (true) {
      try {
        return j.get(key);
      } catch (RuntimeException e) {
        if (System.currentTimeMillis() > until) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }
}
