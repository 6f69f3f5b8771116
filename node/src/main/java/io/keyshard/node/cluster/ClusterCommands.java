package io.keyshard.node.cluster;

import io.keyshard.node.commands.CommandRegistry;
import io.keyshard.node.server.NodeSettings;
import io.keyshard.node.server.Router;
import io.keyshard.node.server.Session;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.persistence.SlotTableEvent;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * CLUSTER in cluster mode, answered from this node's copy of the slot table with Redis 7.0's
 * reply formats: MYID, INFO, NODES, SLOTS, SHARDS, KEYSLOT. (HELP and the subcommands that
 * change the table come with the manual mode and migration.)
 */
public final class ClusterCommands {
  private final ClusterMembership membership;
  private final ClusterView view;
  private final ActorSystem<?> system;
  private final Router router;
  private final SlotMigrationCommands slotMigrations;

  public ClusterCommands(
      ClusterMembership membership,
      ActorSystem<?> system,
      Router router,
      NodeSettings settings) {
    this.membership = membership;
    this.view = membership.view();
    this.system = system;
    this.router = router;
    this.slotMigrations = new SlotMigrationCommands(membership.table(), system);
    settings.setClusterInfo(() -> membership.infoLines() + extraInfo.get());
    settings.setReplicationInfo(this::replicationInfo);
  }

  private volatile Supplier<String> extraInfo = () -> "";
  private volatile Consumer<Boolean> reset;
  private volatile Supplier<int[]> nonEmptySlots = () -> new int[0];

  /** CLUSTER RESET ends this incarnation: {@code reset} is told whether HARD. */
  public void setReset(Consumer<Boolean> reset) {
    this.reset = reset;
  }

  /** The slots of this node that hold keys (CLUSTER RESET refuses a primary with keys). */
  public void setNonEmptySlots(Supplier<int[]> slots) {
    this.nonEmptySlots = slots;
  }

  /** More INFO cluster lines (recovery and replica counters). */
  public void setExtraInfo(Supplier<String> lines) {
    this.extraInfo = lines;
  }

  /** INFO replication in cluster mode: this node's role as the table gives it. */
  String replicationInfo() {
    ClusterView.Table t = view.table();
    String primary = t.primaryOf(view.myId());
    StringBuilder sb = new StringBuilder();
    if (primary != null) {
      ClusterView.Node p = t.node(primary);
      boolean up = p != null && up(p, reachable());
      sb.append("role:slave\r\n")
          .append("master_host:").append(p == null ? "?" : p.host()).append("\r\n")
          .append("master_port:").append(p == null ? 0 : p.port()).append("\r\n")
          .append("master_link_status:").append(up ? "up" : "down").append("\r\n")
          .append("master_last_io_seconds_ago:").append(up ? 0 : -1).append("\r\n")
          .append("master_sync_in_progress:0\r\n")
          .append("slave_read_repl_offset:0\r\n")
          .append("slave_repl_offset:0\r\n")
          .append("slave_priority:100\r\n")
          .append("slave_read_only:1\r\n")
          .append("replica_announced:1\r\n")
          .append("connected_slaves:0\r\n");
    } else {
      List<ClusterView.Node> replicas = t.replicasOf(view.myId());
      Set<String> reachable = reachable();
      sb.append("role:master\r\n").append("connected_slaves:").append(replicas.size()).append("\r\n");
      for (int i = 0; i < replicas.size(); i++) {
        ClusterView.Node r = replicas.get(i);
        sb.append("slave").append(i).append(":ip=").append(r.host()).append(",port=").append(r.port())
            .append(",state=").append(up(r, reachable) ? "online" : "wait_bgsave")
            .append(",offset=0,lag=0\r\n");
      }
    }
    return sb.toString();
  }

  /** Subcommands that answer from memory; the others may wait for the slot table or a slot. */
  /** A cluster node's CLUSTER, READONLY and READWRITE (a standalone node's: ServerCommands). */
  public void register(CommandRegistry.Builder r) {
    r.session("cluster", (s, argv, spec) -> runAsync(s, argv));
    r.session(
        "readonly",
        (s, argv, spec) -> {
          s.readonly = true;
          return CompletableFuture.completedFuture(Reply.OK);
        });
    r.session(
        "readwrite",
        (s, argv, spec) -> {
          s.readonly = false;
          return CompletableFuture.completedFuture(Reply.OK);
        });
    // For the next command only (the router ends its turn): see Router.asking.
    r.session(
        "asking",
        (s, argv, spec) -> {
          s.asking = true;
          return CompletableFuture.completedFuture(Reply.OK);
        },
        CommandRegistry.Trait.ANSWERS_IN_ORDER);
  }

  /** Valkey 9's atomic slot migration (SlotMigrationCommands), answered by the slot table. */
  private static final Set<String> SLOT_MIGRATION =
      Set.of("migrateslots", "getslotmigrations", "cancelslotmigrations");

  /** What slot moves wait for first (this node's shard claims, see Rehearsal#claimed). */
  private volatile CompletableFuture<Void> movesWait = CompletableFuture.completedFuture(null);

  /** The longest a slot move waits for {@link #movesWaitFor}: then it goes ahead anyway. */
  static final long MOVES_WAIT_SECONDS = 30;

  public void movesWaitFor(CompletableFuture<Void> claims) {
    this.movesWait = claims;
  }

  public CompletionStage<Reply> runAsync(Session s, byte[][] argv) {
    String sub = new String(argv[1], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    if (sub.equals("setslot") || sub.equals("migrateslots")) {
      // A slot this node gains needs its shard here; right after the start the coordinator is
      // busy with the claims, and the slot's requests would wait for them instead.
      return movesWait
          .copy()
          .completeOnTimeout(null, MOVES_WAIT_SECONDS, TimeUnit.SECONDS)
          .thenApplyAsync(v -> run(s, argv));
    }
    if (sub.equals("countkeysinslot") || sub.equals("getkeysinslot")) {
      return keysInSlot(s, argv, sub.equals("countkeysinslot"));
    }
    if (sub.equals("addslots") || sub.equals("addslotsrange") || sub.equals("forget")
        || sub.equals("delslots") || sub.equals("delslotsrange") || sub.equals("setslot")
        || sub.equals("replicate") || sub.equals("failover") || sub.equals("reset")
        || sub.equals("bumpepoch") || SLOT_MIGRATION.contains(sub)) {
      // The table's answer may take a moment: not on the connection's thread.
      return CompletableFuture.supplyAsync(() -> run(s, argv));
    }
    return CompletableFuture.completedFuture(run(s, argv));
  }

  public Reply run(Session s, byte[][] argv) {
    try {
      return runOrThrow(s, argv);
    } catch (RedisException e) {
      return e.reply();
    }
  }

  private Reply runOrThrow(Session s, byte[][] argv) {
    String sub = new String(argv[1], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    ClusterView.Table t = view.table();
    return switch (sub) {
      case "myid" -> Reply.bulk(view.myId());
      case "addslots", "delslots" -> {
        List<Integer> slots = new ArrayList<>();
        for (int i = 2; i < argv.length; i++) {
          slots.add(slot(argv[i]));
        }
        distinct(slots);
        if (sub.equals("addslots")) {
          membership.addSlots(slots);
        } else {
          membership.delSlots(slots);
        }
        yield Reply.OK;
      }
      case "addslotsrange", "delslotsrange" -> {
        if (argv.length % 2 == 1) {
          yield Err.wrongArity("cluster|" + sub);
        }
        List<Integer> slots = new ArrayList<>();
        for (int i = 2; i + 1 < argv.length; i += 2) {
          int start = slot(argv[i]);
          int end = slot(argv[i + 1]);
          if (start > end) {
            yield Err.err("start slot number " + start + " is greater than end slot number " + end);
          }
          for (int k = start; k <= end; k++) {
            slots.add(k);
          }
        }
        distinct(slots);
        if (sub.equals("addslotsrange")) {
          membership.addSlots(slots);
        } else {
          membership.delSlots(slots);
        }
        yield Reply.OK;
      }
      case "set-config-epoch" -> {
        long epoch;
        try {
          epoch = Long.parseLong(new String(argv[2], StandardCharsets.UTF_8));
        } catch (NumberFormatException e) {
          yield Err.NOT_INTEGER;
        }
        membership.setConfigEpoch(epoch);
        yield Reply.OK;
      }
      case "meet" -> {
        String host = new String(argv[2], StandardCharsets.UTF_8);
        long port;
        try {
          port = Long.parseLong(new String(argv[3], StandardCharsets.UTF_8));
        } catch (NumberFormatException e) {
          yield Err.err("Invalid base port specified: " + new String(argv[3], StandardCharsets.UTF_8));
        }
        if (port < 0 || port > 65535) {
          yield Err.err("Invalid base port specified: " + port);
        }
        membership.meet(host, (int) port);
        yield Reply.OK;
      }
      case "setslot" -> setSlot(argv);
      case "migrateslots" -> slotMigrations.migrateSlots(argv);
      case "getslotmigrations" -> slotMigrations.list();
      case "cancelslotmigrations" -> slotMigrations.cancel();
      case "replicate" -> {
        membership.replicate(new String(argv[2], StandardCharsets.UTF_8));
        yield Reply.OK;
      }
      case "replicas", "slaves" -> replicas(t, new String(argv[2], StandardCharsets.UTF_8));
      case "reset" -> reset(t, argv);
      case "failover" -> {
        String option = argv.length > 2 ? new String(argv[2], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT) : "";
        if (argv.length > 3 || !List.of("", "force", "takeover").contains(option)) {
          yield Err.SYNTAX;
        }
        // TAKEOVER is FORCE here: the table decides every role, so there is no vote to skip.
        membership.failover(!option.isEmpty());
        yield Reply.OK;
      }
      case "saveconfig" -> Reply.OK; // the table is in the journal already
      case "forget" -> {
        membership.forget(new String(argv[2], StandardCharsets.UTF_8));
        yield Reply.OK;
      }
      case "bumpepoch" -> Reply.simple(membership.bumpEpoch());
      case "info" -> new Reply.Verbatim("txt", info(t).getBytes(StandardCharsets.UTF_8));
      case "nodes" -> new Reply.Verbatim("txt", nodes(t).getBytes(StandardCharsets.UTF_8));
      case "slots" -> slots(t);
      case "shards" -> shards(t);
      case "keyslot" -> Reply.integer(Slots.slot(argv[2]));
      default -> Err.err(
          "Unknown subcommand or wrong number of arguments for '"
              + new String(argv[1], StandardCharsets.UTF_8)
              + "'. Try CLUSTER HELP.");
    };
  }

  /**
   * CLUSTER SETSLOT slot NODE id | STABLE | MIGRATING id | IMPORTING id, with Redis 7.0's checks
   * and texts. NODE moves the slot with its keys (they are in the shared journal, so unlike
   * Redis a slot that holds keys may be given away) and ends its migration; MIGRATING,
   * IMPORTING and STABLE are kept in the slot table
   * (docs/decisions/2026-12-06-slot-migration-protocol.md). Each is a cluster-wide change: a
   * repeat that asks for what already holds answers OK at once.
   */
  private Reply setSlot(byte[][] argv) {
    if (view.table().primaryOf(view.myId()) != null) {
      return Err.err("Please use SETSLOT only with masters.");
    }
    int slot = slot(argv[2]);
    String action = new String(argv[3], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    if (action.equals("stable") && argv.length == 4) {
      membership.setSlotState(slot, action, null);
      return Reply.OK;
    }
    if (argv.length != 5 || !List.of("node", "migrating", "importing").contains(action)) {
      return Err.err("Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP");
    }
    String id = new String(argv[4], StandardCharsets.UTF_8);
    if (action.equals("node")) {
      membership.setSlotNode(slot, id);
    } else {
      membership.setSlotState(slot, action, id);
    }
    return Reply.OK;
  }

  private static int slot(byte[] arg) {
    try {
      long v = Long.parseLong(new String(arg, StandardCharsets.UTF_8));
      if (v >= 0 && v < 16384) {
        return (int) v;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new RedisException(Err.err("Invalid or out of range slot"));
  }

  private static void distinct(List<Integer> slots) {
    Set<Integer> seen = new HashSet<>();
    for (int s : slots) {
      if (!seen.add(s)) {
        throw new RedisException(Err.err("Slot " + s + " specified multiple times"));
      }
    }
  }

  /**
   * COUNTKEYSINSLOT and GETKEYSINSLOT: keys of this node's slot, in the selected database; while
   * the slot migrates, those not handed over yet. GETKEYSINSLOT is paged in the slot
   * (slot/Handover), never a walk over all its keys per call.
   */
  private CompletionStage<Reply> keysInSlot(
      Session s, byte[][] argv, boolean count) {
    int slot;
    long max = Long.MAX_VALUE;
    try {
      long v = Long.parseLong(new String(argv[2], StandardCharsets.UTF_8));
      if (v < 0 || v >= 16384) {
        return CompletableFuture.completedFuture(Err.err("Invalid slot"));
      }
      slot = (int) v;
      if (!count) {
        max = Long.parseLong(new String(argv[3], StandardCharsets.UTF_8));
        if (max < 0) {
          return CompletableFuture.completedFuture(
              Err.err("Invalid slot or number of keys"));
        }
      }
    } catch (NumberFormatException e) {
      return CompletableFuture.completedFuture(
          count ? Err.err("Invalid slot") : Err.err("Invalid slot or number of keys"));
    }
    ClusterView.Node owner = view.table().owner(slot);
    if (owner == null || !owner.id().equals(view.myId())) {
      // Also on the node importing the slot: its keys are the owner's until SETSLOT NODE, so
      // redis-cli --cluster fix never sees one slot's keys on two nodes.
      return CompletableFuture.completedFuture(
          count ? Reply.integer(0) : Reply.array(List.of()));
    }
    int db = s.db;
    if (count) {
      return router.slots()
          .<Long>ask(slot, r -> new SlotEntity.CountInSlot(db, r))
          .thenApply(n -> Reply.integer(n));
    }
    int limit = (int) Math.min(max, Integer.MAX_VALUE);
    return router.slots()
        .<SlotEntity.KeyList>ask(slot, r -> new SlotEntity.KeysInSlot(db, limit, r))
        .thenApply(
            keys -> {
              List<Reply> out = new ArrayList<>(keys.keys().size());
              for (byte[] k : keys.keys()) {
                out.add(Reply.bulk(k));
              }
              return Reply.array(out);
            });
  }

  /** Member addresses (host:bus port) that are up and reachable from here. */
  private Set<String> reachable() {
    Cluster c = Cluster.get(system);
    Set<String> out = new HashSet<>();
    Set<Member> unreachable = new HashSet<>();
    c.state().getUnreachable().forEach(unreachable::add);
    for (Member m : c.state().getMembers()) {
      if (m.status() == MemberStatus.up() && !unreachable.contains(m)) {
        out.add(m.address().host().get() + ":" + m.address().port().get());
      }
    }
    return out;
  }

  private boolean up(ClusterView.Node n, Set<String> reachable) {
    return n.id().equals(view.myId()) || reachable.contains(n.host() + ":" + n.busPort());
  }

  String info(ClusterView.Table t) {
    int assigned = t.assignedSlots();
    Set<String> reachable = reachable();
    int ok = 0;
    int fail = 0;
    for (int s = 0; s < 16384; s++) {
      ClusterView.Node o = t.owner(s);
      if (o != null) {
        if (up(o, reachable)) {
          ok++;
        } else {
          fail++;
        }
      }
    }
    long size = t.nodes().stream().filter(n -> !t.ranges(n.id()).isEmpty()).count();
    long myEpoch =
        t.nodes().stream().filter(n -> n.id().equals(view.myId())).mapToLong(ClusterView.Node::configEpoch).findFirst().orElse(0);
    String state = assigned == 16384 && fail == 0 ? "ok" : "fail";
    return "cluster_state:" + state + "\r\n"
        + "cluster_slots_assigned:" + assigned + "\r\n"
        + "cluster_slots_ok:" + ok + "\r\n"
        + "cluster_slots_pfail:0\r\n"
        + "cluster_slots_fail:" + fail + "\r\n"
        + "cluster_known_nodes:" + Math.max(1, t.nodes().size()) + "\r\n"
        + "cluster_size:" + size + "\r\n"
        + "cluster_current_epoch:" + t.epoch() + "\r\n"
        + "cluster_my_epoch:" + myEpoch + "\r\n"
        + "cluster_stats_messages_sent:0\r\n"
        + "cluster_stats_messages_received:0\r\n"
        + "total_cluster_links_buffer_limit_exceeded:0\r\n";
  }

  String nodes(ClusterView.Table t) {
    Set<String> reachable = reachable();
    StringBuilder sb = new StringBuilder();
    long now = System.currentTimeMillis();
    for (ClusterView.Node n : t.nodes()) {
      sb.append(nodeLine(t, n, reachable, now)).append('\n');
    }
    return sb.toString();
  }

  /** One CLUSTER NODES line, without its newline. */
  private String nodeLine(ClusterView.Table t, ClusterView.Node n, Set<String> reachable, long now) {
    StringBuilder sb = new StringBuilder();
    {
      boolean me = n.id().equals(view.myId());
      boolean up = up(n, reachable);
      String primary = t.primaryOf(n.id());
      String role = primary == null ? "master" : "slave";
      // A node displaced from its address (SlotTable.displaced) shows as Redis shows one whose
      // address is unknown.
      boolean noAddr = n.port() == 0;
      sb.append(n.id()).append(' ')
          .append(noAddr ? "" : n.host()).append(':').append(n.port()).append('@').append(n.busPort()).append(' ')
          .append(me ? "myself," + role : up ? role : role + (noAddr ? ",fail,noaddr" : ",fail")).append(' ')
          .append(primary == null ? "-" : primary).append(" 0 ")
          .append(me ? 0 : now).append(' ')
          .append(n.configEpoch()).append(' ')
          .append(up ? "connected" : "disconnected");
      for (int[] r : t.ranges(n.id())) {
        sb.append(' ').append(r[0] == r[1] ? Integer.toString(r[0]) : r[0] + "-" + r[1]);
      }
      if (me) {
        // As Redis, only on the myself line: the slots it migrates (as owner) or imports.
        for (SlotTableEvent.OpenSlot o : t.open().values()) {
          ClusterView.Node owner = t.owner(o.slot());
          if (o.migrating() && owner != null && owner.id().equals(n.id())) {
            sb.append(" [").append(o.slot()).append("->-").append(o.migratingTo()).append(']');
          } else if (o.importing() && o.importer().equals(n.id())) {
            sb.append(" [").append(o.slot()).append("-<-").append(o.importingFrom()).append(']');
          }
        }
      }
    }
    return sb.toString();
  }

  /**
   * CLUSTER RESET [HARD|SOFT]: a node without slots leaves the cluster (the table forgets it)
   * and starts again outside any cluster, waiting for CLUSTER MEET; HARD also takes a new node
   * id. A node that owns slots must give them away first (they are the cluster's, in the shared
   * journal): Redis's error if they hold keys, an explanation if not.
   */
  private Reply reset(ClusterView.Table t, byte[][] argv) {
    boolean hard = false;
    if (argv.length == 3) {
      String mode = new String(argv[2], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
      if (mode.equals("hard")) {
        hard = true;
      } else if (!mode.equals("soft")) {
        return Err.SYNTAX;
      }
    }
    if (!t.ranges(view.myId()).isEmpty()) {
      for (int slot : nonEmptySlots.get()) {
        if (view.owns(slot)) {
          return Err.err("CLUSTER RESET can't be called with master nodes containing keys");
        }
      }
      return Err.err(
          "CLUSTER RESET of a node that owns slots: give them away first (CLUSTER SETSLOT <slot> NODE <id>, or DELSLOTS)");
    }
    Consumer<Boolean> end = reset;
    if (end == null) {
      return Err.err("CLUSTER RESET is not available on this node");
    }
    membership.leaveTable();
    boolean h = hard;
    // Answer first, then leave (the connection closes with this incarnation).
    system.scheduler().scheduleOnce(Duration.ofMillis(200), () -> end.accept(h), system.executionContext());
    return Reply.OK;
  }

  /** CLUSTER REPLICAS id: the CLUSTER NODES lines of its replicas. */
  private Reply replicas(ClusterView.Table t, String id) {
    if (t.node(id) == null) {
      return Err.err("Unknown node " + id);
    }
    if (t.primaryOf(id) != null) {
      return Err.err("The specified node is not a master");
    }
    Set<String> reachable = reachable();
    long now = System.currentTimeMillis();
    List<Reply> out = new ArrayList<>();
    for (ClusterView.Node r : t.replicasOf(id)) {
      out.add(Reply.bulk(nodeLine(t, r, reachable, now)));
    }
    return Reply.array(out);
  }

  private static Reply nodeEntry(ClusterView.Node n) {
    return Reply.array(
        List.of(Reply.bulk(n.host()), Reply.integer(n.port()), Reply.bulk(n.id()), Reply.array(List.of())));
  }

  Reply slots(ClusterView.Table t) {
    List<Reply> out = new ArrayList<>();
    List<int[]> all = new ArrayList<>();
    for (ClusterView.Node n : t.nodes()) {
      if (n.port() == 0) {
        continue; // no address to send clients to: its slots answer CLUSTERDOWN
      }
      for (int[] r : t.ranges(n.id())) {
        all.add(new int[] {r[0], r[1], t.nodes().indexOf(n)});
      }
    }
    all.sort((a, b) -> Integer.compare(a[0], b[0]));
    for (int[] r : all) {
      ClusterView.Node owner = t.nodes().get(r[2]);
      List<Reply> entry = new ArrayList<>(List.of(Reply.integer(r[0]), Reply.integer(r[1]), nodeEntry(owner)));
      for (ClusterView.Node replica : t.replicasOf(owner.id())) {
        entry.add(nodeEntry(replica));
      }
      out.add(Reply.array(entry));
    }
    return Reply.array(out);
  }

  Reply shards(ClusterView.Table t) {
    Set<String> reachable = reachable();
    List<Reply> out = new ArrayList<>();
    for (ClusterView.Node n : t.nodes()) {
      if (t.primaryOf(n.id()) != null) {
        continue; // in its primary's shard
      }
      List<Reply> slots = new ArrayList<>();
      for (int[] r : t.ranges(n.id())) {
        slots.add(Reply.integer(r[0]));
        slots.add(Reply.integer(r[1]));
      }
      List<Reply> members = new ArrayList<>();
      members.add(shardNode(n, "master", reachable));
      for (ClusterView.Node r : t.replicasOf(n.id())) {
        members.add(shardNode(r, "replica", reachable));
      }
      out.add(
          new Reply.Map(
              List.of(
                  Reply.bulk("slots"), Reply.array(slots),
                  Reply.bulk("nodes"), Reply.array(members))));
    }
    return Reply.array(out);
  }

  private Reply shardNode(ClusterView.Node n, String role, Set<String> reachable) {
    return new Reply.Map(
        List.of(
            Reply.bulk("id"), Reply.bulk(n.id()),
            Reply.bulk("port"), Reply.integer(n.port()),
            Reply.bulk("ip"), Reply.bulk(n.host()),
            Reply.bulk("endpoint"), Reply.bulk(n.host()),
            Reply.bulk("role"), Reply.bulk(role),
            Reply.bulk("replication-offset"), Reply.integer(0),
            Reply.bulk("health"), Reply.bulk(up(n, reachable) ? "online" : "failed")));
  }
}
