package io.keyshard.node.cluster;

import io.keyshard.node.commands.CommandRegistry;
import io.keyshard.node.server.Session;
import io.keyshard.node.slot.Migration;
import io.keyshard.node.slot.SlotClient;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * MIGRATE's in-cluster branch: to a member of this cluster, moving a key is logical
 * ({@link #inCluster}; docs/decisions/2026-12-06-slot-migration-protocol.md).
 *
 * <p>MIGRATE's handler and its copy path to servers outside the cluster (DUMP/RESTORE) are the
 * rdb branch's. Until that is merged this class also parses MIGRATE ({@link #parse}, Redis 7.0's
 * errors) and registers a MIGRATE that refuses other targets, so that redis-cli can drive the
 * tests. Afterwards the rdb MIGRATE's "is the target a member of this cluster" seam asks
 * {@link #member} and calls {@link #inCluster}, before its copy path takes the keys' slot locks
 * (a hand-over is a message to the slot, which a lock held by the same MIGRATE would stash), and
 * this class keeps only those two.
 */
public final class InClusterMigrate {
  private InClusterMigrate() {}

  /** MIGRATE's arguments: the target, the destination database, the options, the keys. */
  record Args(String host, int port, long db, boolean copy, boolean replace, List<byte[]> keys) {}

  /** Parses MIGRATE as Redis 7.0 does, with its error texts. */
  static Args parse(byte[][] argv) {
    boolean copy = false;
    boolean replace = false;
    int firstKey = 3;
    int numKeys = 1;
    for (int j = 6; j < argv.length; j++) {
      int more = argv.length - 1 - j;
      String option = new String(argv[j], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
      switch (option) {
        case "copy" -> copy = true;
        case "replace" -> replace = true;
        case "auth" -> {
          if (more < 1) {
            throw new RedisException(Err.SYNTAX);
          }
          j++;
        }
        case "auth2" -> {
          if (more < 2) {
            throw new RedisException(Err.SYNTAX);
          }
          j += 2;
        }
        case "keys" -> {
          if (argv[3].length != 0) {
            throw new RedisException(
                Err.err("When using MIGRATE KEYS option, the key argument must be set to the empty string"));
          }
          firstKey = j + 1;
          numKeys = argv.length - j - 1;
          j = argv.length; // the rest are keys
        }
        default -> throw new RedisException(Err.SYNTAX);
      }
    }
    long db = integer(argv[4]);
    integer(argv[5]); // the timeout: checked as Redis does, unused inside a cluster
    int port;
    try {
      port = Integer.parseInt(new String(argv[2], StandardCharsets.UTF_8));
    } catch (NumberFormatException e) {
      port = 0; // Redis reads it with atoi: no such server
    }
    List<byte[]> keys = new ArrayList<>(numKeys);
    for (int k = 0; k < numKeys; k++) {
      keys.add(argv[firstKey + k]);
    }
    return new Args(new String(argv[1], StandardCharsets.UTF_8), port, db, copy, replace, keys);
  }

  private static long integer(byte[] arg) {
    try {
      return Long.parseLong(new String(arg, StandardCharsets.UTF_8));
    } catch (NumberFormatException e) {
      throw new RedisException(Err.NOT_INTEGER);
    }
  }

  /** The member of this cluster at host:port (its client address), or null: the seam's question. */
  static ClusterView.Node member(ClusterView view, String host, int port) {
    for (ClusterView.Node n : view.table().nodes()) {
      if (n.port() == port && n.host().equals(host)) {
        return n;
      }
    }
    return null;
  }

  /**
   * MIGRATE to {@code target}, a member of this cluster: the keys' slot must be migrating from
   * this node to it; its entity hands over those of the keys still on this side, in one journaled
   * event, and from then on answers ASK for them. Nothing is copied: the slot's keys stay in its
   * one persistence id, written by this node's entity alone until SETSLOT NODE. Answers OK, NOKEY
   * (none of the keys was on this side), or an error.
   */
  static CompletionStage<Reply> inCluster(
      ClusterView view, SlotClient slots, ClusterView.Node target, int clientDb, Args a) {
    if (a.keys().isEmpty()) {
      return done(Reply.simple("NOKEY"));
    }
    if (a.copy()) {
      return done(
          Err.err("MIGRATE COPY to a node of this cluster: a key has one copy, in the shared journal; MIGRATE without COPY hands it over"));
    }
    if (a.db() != clientDb) {
      return done(
          Err.err("MIGRATE to another database of a node of this cluster: a key keeps its database when its slot moves"));
    }
    int slot = Slots.slot(a.keys().get(0));
    Migration migration = view.migration(slot);
    if (migration == null || !migration.target().equals(target.address())) {
      // What the target itself would answer to RESTORE-ASKING of a slot it does not import.
      ClusterView.Node owner = view.table().owner(slot);
      return done(
          Err.err("Target instance replied with error: "
              + (owner == null ? "CLUSTERDOWN Hash slot not served" : "MOVED " + slot + " " + owner.address())));
    }
    return slots
        .<Reply>ask(slot, r -> new SlotEntity.HandOver(migration.id(), clientDb, a.keys(), r))
        .exceptionally(t -> SlotClient.failure(t, true));
  }

  /** MIGRATE on a node of a cluster, until the rdb branch's handler (see the class comment). */
  static void register(CommandRegistry.Builder r, ClusterView view, SlotClient slots) {
    r.session("migrate", (s, argv, spec) -> run(view, slots, s, argv));
  }

  private static CompletionStage<Reply> run(
      ClusterView view, SlotClient slots, Session s, byte[][] argv) {
    Args a;
    try {
      a = parse(argv);
    } catch (RedisException e) {
      return done(e.reply());
    }
    ClusterView.Node target = member(view, a.host(), a.port());
    if (target == null) {
      return done(Err.err("MIGRATE to a server outside this Keyshard cluster needs DUMP/RESTORE, not available yet"));
    }
    return inCluster(view, slots, target, s.db, a);
  }

  /** MIGRATE on a standalone node, until the rdb branch's handler. */
  public static void registerStandalone(CommandRegistry.Builder r) {
    r.session(
        "migrate",
        (s, argv, spec) ->
            done(Err.err("MIGRATE to another server needs DUMP/RESTORE, not available yet")));
  }

  private static CompletionStage<Reply> done(Reply r) {
    return CompletableFuture.completedFuture(r);
  }
}
