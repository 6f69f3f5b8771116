package io.keyshard.node.cluster;

import io.keyshard.persistence.SlotTableEvent;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.japi.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How this node gets into a cluster and tells the slot table about itself.
 *
 * <ul>
 *   <li>Seeds in the configuration, or the members it saw last time ({@code <dir>/cluster.seeds},
 *       so a restarted node rejoins by itself): join them at start.
 *   <li>{@code cluster-init auto} and no seeds: form a cluster of its own at start.
 *   <li>{@code cluster-init manual} and no seeds (Redis's way, for redis-cli --cluster create):
 *       stay unjoined; ADDSLOTS and SET-CONFIG-EPOCH are kept here and brought to the table on
 *       joining. CLUSTER MEET joins: see {@link #meet}.
 * </ul>
 */
public final class ClusterMembership {
  private static final Logger log = LoggerFactory.getLogger(ClusterMembership.class);
  private static final String SEEDS_FILE = "cluster.seeds";

  private final ActorSystem<?> system;
  private final ActorRef<SlotTable.Command> table;
  private final ClusterView view;
  private final String nodeId;
  private final String host;
  private final int port;
  private final int busPort;
  private final Path dir;
  private final ExecutorService meetings =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "keyshard-cluster-meet");
            t.setDaemon(true);
            return t;
          });

  private volatile boolean joined;
  /** keyshard.cluster.replica: the table makes this node a replica of the primary with fewest. */
  private volatile boolean wantsReplica;

  public void setWantsReplica(boolean replica) {
    this.wantsReplica = replica;
  }
  private final TreeSet<Integer> pendingSlots = new TreeSet<>();
  private volatile long configEpoch;

  public ClusterMembership(
      ActorSystem<?> system,
      ActorRef<SlotTable.Command> table,
      ClusterView view,
      String nodeId,
      String host,
      int port,
      int busPort,
      Path dir) {
    this.system = system;
    this.table = table;
    this.view = view;
    this.nodeId = nodeId;
    this.host = host;
    this.port = port;
    this.busPort = busPort;
    this.dir = dir;
  }

  public ClusterView view() {
    return view;
  }

  /** The slot table singleton (through its proxy), for commands that ask it directly. */
  ActorRef<SlotTable.Command> table() {
    return table;
  }

  public boolean joined() {
    return joined;
  }

  /** The members this node saw when it last joined, as bus addresses; empty if none. */
  public List<Address> savedSeeds() throws IOException {
    Path f = dir.resolve(SEEDS_FILE);
    List<Address> out = new ArrayList<>();
    if (Files.exists(f)) {
      for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          out.add(AddressFromURIString.parse(line.trim()));
        }
      }
    }
    return out;
  }

  /** Joins at start and waits until the table names this node. */
  public void joinAndWait(List<Address> seeds, Duration timeout) throws Exception {
    CompletableFuture<Done> done = joinAsync(seeds);
    try {
      done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (refusal != null) {
        throw new IllegalStateException(refusal, e);
      }
      throw e;
    }
  }

  /** Stays out of any cluster: the view shows only this node and the slots it was given. */
  public void stayUnjoined() {
    publishLocal();
  }

  private Address selfAddress() {
    return Cluster.get(system).selfMember().address();
  }

  /**
   * Joins the cluster of {@code seeds} (an empty list: forms one of its own), then introduces
   * this node to the slot table with the slots it holds, and remembers the members.
   */
  synchronized CompletableFuture<Done> joinAsync(List<Address> seeds) {
    CompletableFuture<Done> up = new CompletableFuture<>();
    if (joined) {
      up.complete(Done.getInstance());
      return up;
    }
    joined = true;
    org.apache.pekko.cluster.Cluster.get(system.classicSystem())
        .registerOnMemberUp(() -> up.complete(Done.getInstance()));
    if (seeds.isEmpty()) {
      Cluster.get(system).manager().tell(Join.create(selfAddress()));
    } else {
      Cluster.get(system).manager().tell(new JoinSeedNodes(seeds));
    }
    return up.thenCompose(u -> CompletableFuture.supplyAsync(this::introduce, meetings));
  }

  /** Hello and the slots brought along; then waits until a published table names this node. */
  private Done introduce() {
    try {
      for (int attempt = 0; ; attempt++) {
        SlotTable.Welcome welcome;
        try {
          welcome =
              AskPattern.<SlotTable.Command, SlotTable.Welcome>ask(
                      table,
                      r -> new SlotTable.Hello(nodeId, host, port, busPort, wantsReplica, r),
                      Duration.ofSeconds(5),
                      system.scheduler())
                  .toCompletableFuture()
                  .get(6, TimeUnit.SECONDS);
        } catch (Exception e) {
          if (attempt > 30) {
            throw e;
          }
          continue;
        }
        if (welcome.refusal() != null) {
          refusal = welcome.refusal();
          throw new IllegalStateException(welcome.refusal());
        }
        break;
      }
      List<Integer> ranges;
      synchronized (this) {
        ranges = ranges(pendingSlots);
      }
      if (!ranges.isEmpty()) {
        List<Integer> busy =
            AskPattern.<SlotTable.Command, SlotTable.Busy>ask(
                    table,
                    r -> new SlotTable.AddSlots(nodeId, ranges, configEpoch, r),
                    Duration.ofSeconds(10),
                    system.scheduler())
                .toCompletableFuture()
                .get(11, TimeUnit.SECONDS)
                .ranges();
        if (!busy.isEmpty()) {
          log.warn("Slots {} this node was given are owned by other nodes already", busy);
        }
        synchronized (this) {
          pendingSlots.clear();
        }
      }
      view.knowsMe().get(60, TimeUnit.SECONDS);
      if (readyToServe) {
        table.tell(new SlotTable.Ready(nodeId)); // joined after start (CLUSTER MEET)
      }
      saveSeeds();
      // Keep the list current: the first node of a cluster joins before the others do, and a
      // restart must find them (see KeyshardNode.startMembership).
      view.onChange(
          (before, after) -> {
            if (!before.nodes().equals(after.nodes())) {
              try {
                saveSeeds();
              } catch (IOException e) {
                log.warn("Could not save the cluster's members: {}", e.toString());
              }
            }
          });
      log.info("Node {} joined the cluster", nodeId);
      return Done.getInstance();
    } catch (Exception e) {
      throw new IllegalStateException(
          refusal != null ? refusal : "could not join the cluster's slot table", e);
    }
  }

  private volatile String refusal;

  /** Every known member's bus address, sorted, this node's included (see {@link #savedSeeds}). */
  private void saveSeeds() throws IOException {
    TreeSet<String> lines = new TreeSet<>();
    for (ClusterView.Node n : view.table().nodes()) {
      lines.add("pekko://" + system.name() + "@" + n.host() + ":" + n.busPort());
    }
    Path tmp = dir.resolve(SEEDS_FILE + ".tmp");
    Files.write(tmp, lines, StandardCharsets.UTF_8);
    Files.move(tmp, dir.resolve(SEEDS_FILE), StandardCopyOption.ATOMIC_MOVE);
  }

  // ---- Commands ----

  /**
   * The RESP port is open: the table may now give this node slots that others hold (a joining
   * node must not be named owner while clients sent to it would find no listener).
   */
  public void ready() {
    if (joined) {
      table.tell(new SlotTable.Ready(nodeId));
    }
    readyToServe = true;
  }

  private volatile boolean readyToServe;

  /** CLUSTER ADDSLOTS/ADDSLOTSRANGE: slots are distinct and valid (checked by the caller). */
  public void addSlots(List<Integer> slots) {
    if (!joined) {
      synchronized (this) {
        for (int s : slots) {
          if (pendingSlots.contains(s) || view.table().owner(s) != null) {
            throw new RedisException(Err.err("Slot " + s + " is already busy"));
          }
        }
        pendingSlots.addAll(slots);
      }
      publishLocal();
      return;
    }
    for (int s : slots) {
      // Its own slot is busy, as in Redis. Another owner is the table's to say: this node's
      // view may not have seen a DELSLOTS yet.
      if (view.owns(s)) {
        throw new RedisException(Err.err("Slot " + s + " is already busy"));
      }
    }
    List<Integer> pairs = new ArrayList<>();
    for (int s : new TreeSet<>(slots)) {
      pairs.add(s);
      pairs.add(s);
    }
    List<Integer> busy =
        this.<SlotTable.Busy>askTable(
                r -> new SlotTable.AddSlots(nodeId, Rebalance.merge(pairs), 0, r), Duration.ofSeconds(10))
            .ranges();
    if (!busy.isEmpty()) {
      throw new RedisException(Err.err("Slot " + busy.get(0) + " is already busy"));
    }
  }

  /**
   * CLUSTER DELSLOTS/DELSLOTSRANGE. Before joining: slots given back before meeting. In a
   * cluster the table is the cluster's, so the slots lose their owner cluster-wide (Redis changes
   * only the asked node's view): the owner hands them off first, and their keys stay in the
   * journal for whoever is given them next.
   */
  public void delSlots(List<Integer> slots) {
    if (!joined) {
      synchronized (this) {
        for (int s : slots) {
          if (!pendingSlots.contains(s)) {
            throw new RedisException(Err.err("Slot " + s + " is already unassigned"));
          }
        }
        pendingSlots.removeAll(slots);
      }
      publishLocal();
      return;
    }
    for (int s : slots) {
      if (view.table().owner(s) == null) {
        throw new RedisException(Err.err("Slot " + s + " is already unassigned"));
      }
    }
    assign(slots, null);
  }

  /**
   * CLUSTER SETSLOT slot NODE id: the slot's owner hands it off (its keys stay in the shared
   * journal) and {@code id} serves it; answers once the table says so.
   */
  public void setSlotNode(int slot, String id) {
    if (!joined) {
      if (!id.equals(nodeId)) {
        throw new RedisException(Err.err("Unknown node " + id));
      }
      synchronized (this) {
        pendingSlots.add(slot);
      }
      publishLocal();
      return;
    }
    assign(List.of(slot), id);
  }

  /**
   * CLUSTER SETSLOT slot MIGRATING peer / IMPORTING peer / STABLE ({@code action} in lower case,
   * {@code peer} null for STABLE): the table keeps it; answers once this node's own view shows
   * it, so that the MIGRATE or the ASKING that follows is decided on it
   * (docs/decisions/2026-12-06-slot-migration-protocol.md).
   */
  public void setSlotState(int slot, String action, String peer) {
    if (!joined) {
      // Alone: only its own slots and itself are known.
      boolean owns = view.owns(slot);
      if (action.equals("migrating")) {
        throw new RedisException(Err.err(owns ? "I don't know about node " + peer : "I'm not the owner of hash slot " + slot));
      }
      if (action.equals("importing")) {
        throw new RedisException(Err.err(owns ? "I'm already the owner of hash slot " + slot : "I don't know about node " + peer));
      }
      return;
    }
    SlotTable.SlotStateSet answer =
        askTable(r -> new SlotTable.SetSlotState(slot, nodeId, action, peer, r), Duration.ofSeconds(10));
    if (answer.refusal() != null) {
      throw new RedisException(Err.err(answer.refusal()));
    }
    long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (view.table().epoch() < answer.epoch() && System.nanoTime() < until) {
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** CLUSTER REPLICATE id: this node becomes a replica of {@code primaryId}. */
  public void replicate(String primaryId) {
    if (!joined) {
      throw new RedisException(Err.err("Unknown node " + primaryId));
    }
    ask(r -> new SlotTable.Replicate(nodeId, primaryId, r), Duration.ofSeconds(10));
  }

  /** CLUSTER FAILOVER [FORCE|TAKEOVER], sent to this node (a replica). */
  public void failover(boolean force) {
    if (!joined) {
      throw new RedisException(Err.err("You should send CLUSTER FAILOVER to a replica"));
    }
    ask(r -> new SlotTable.Failover(nodeId, force, r), Duration.ofSeconds(10));
  }

  private void ask(
      Function<ActorRef<SlotTable.Welcome>, SlotTable.Command> message,
      Duration timeout) {
    SlotTable.Welcome answer = askTable(message, timeout);
    if (answer.refusal() != null) {
      throw new RedisException(Err.err(answer.refusal()));
    }
  }

  /** The table's answer to {@code message}, waited for; a table that does not answer is an ERR. */
  private <R> R askTable(Function<ActorRef<R>, SlotTable.Command> message, Duration timeout) {
    try {
      return AskPattern.<SlotTable.Command, R>ask(table, message, timeout, system.scheduler())
          .toCompletableFuture()
          .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new RedisException(Err.err("the slot table did not answer: " + e.getMessage()));
    }
  }

  /** Gives slots to a node (null: to nobody) through the table, waiting for its answer. */
  private void assign(List<Integer> slots, String to) {
    List<Integer> pairs = new ArrayList<>();
    for (int s : new TreeSet<>(slots)) {
      pairs.add(s);
      pairs.add(s);
    }
    ask(r -> new SlotTable.Assign(Rebalance.merge(pairs), to, r), Duration.ofSeconds(120));
  }

  /**
   * CLUSTER FORGET: the node leaves the cluster's table (its slots, if any, are then unowned) and
   * the Pekko cluster (downed, if it is still a member: a forgotten node must not come back by
   * itself). Keyshard forgets cluster-wide, Redis only on the node asked.
   */
  public void forget(String id) {
    if (!joined) {
      throw new RedisException(Err.err(id.equals(nodeId) ? "I tried hard but I can't forget myself..." : "Unknown node " + id));
    }
    ClusterView.Node node =
        view.table().nodes().stream().filter(n -> n.id().equals(id)).findFirst().orElse(null);
    SlotTable.Welcome answer =
        askTable(r -> new SlotTable.Forget(id, nodeId, r), Duration.ofSeconds(10));
    if (answer.refusal() != null) {
      throw new RedisException(Err.err(answer.refusal()));
    }
    if (node != null) {
      // A member that cannot be reached is downed, so it does not hold up the cluster; one that
      // is leaving or reachable is left alone (downing a leaving member stalled shard allocation).
      Address member =
          AddressFromURIString.parse("pekko://" + system.name() + "@" + node.host() + ":" + node.busPort());
      for (Member m : Cluster.get(system).state().getUnreachable()) {
        if (m.address().equals(member)) {
          Cluster.get(system).manager().tell(new Down(member));
        }
      }
    }
  }

  /** SHUTDOWN: hands this node's slots off (to its replica, or the other primaries). */
  public void drain() {
    if (!joined) {
      return;
    }
    ask(r -> new SlotTable.Drain(nodeId, r), Duration.ofSeconds(180));
  }

  /** CLUSTER RESET: the table forgets this node (it owns no slots; its replicas are freed). */
  public void leaveTable() {
    if (!joined) {
      return;
    }
    ask(r -> new SlotTable.Forget(nodeId, "", r), Duration.ofSeconds(10));
  }

  /** CLUSTER BUMPEPOCH: "BUMPED n" or "STILL n". */
  public String bumpEpoch() {
    if (!joined) {
      synchronized (this) {
        if (configEpoch != 0) {
          return "STILL " + configEpoch;
        }
        configEpoch = 1; // alone, its epoch is the highest there is
      }
      publishLocal();
      return "BUMPED 1";
    }
    return this.<SlotTable.Bumped>askTable(r -> new SlotTable.BumpEpoch(nodeId, r), Duration.ofSeconds(10)).text();
  }

  /** CLUSTER SET-CONFIG-EPOCH, with Redis's conditions. */
  public void setConfigEpoch(long epoch) {
    if (epoch < 0) {
      throw new RedisException(Err.err("Invalid config epoch specified: " + epoch));
    }
    if (view.table().nodes().size() > 1) {
      throw new RedisException(
          Err.err("The user can assign a config epoch only when the node does not know any other node."));
    }
    if (configEpoch != 0) {
      throw new RedisException(Err.err("Node config epoch is already non-zero"));
    }
    configEpoch = epoch;
    if (!joined) {
      publishLocal();
    }
  }

  /**
   * CLUSTER MEET host port. A Pekko node joins a cluster once, so the two sides decide who
   * joins whom: a node that is in a cluster stays; one that is not joins the other's; if neither
   * is, the target forms one (told with a MEET of its own address) and this node joins it. The
   * target is asked over its RESP port. Answers at once; the meeting completes in the background.
   */
  public void meet(String targetHost, int targetPort) {
    meetings.execute(
        () -> {
          try {
            meetNow(targetHost, targetPort);
          } catch (Exception e) {
            log.warn("CLUSTER MEET {}:{} failed: {}", targetHost, targetPort, e.toString());
          }
        });
  }

  private void meetNow(String targetHost, int targetPort) throws Exception {
    if (isMe(targetHost, targetPort)) {
      if (!joined) {
        joinAsync(List.of());
      }
      return;
    }
    String info = call(targetHost, targetPort, "INFO", "cluster");
    boolean targetJoined = info.contains("keyshard_cluster_joined:1");
    int targetBus = busPortOf(info, targetPort + 10000);
    if (joined) {
      if (!targetJoined) {
        // It joins us.
        call(targetHost, targetPort, "CLUSTER", "MEET", host, Integer.toString(port));
      } else if (view.table().nodes().stream().noneMatch(n -> n.port() == targetPort && n.host().equals(targetHost))) {
        log.warn("CLUSTER MEET {}:{}: both nodes are in clusters already; Keyshard does not merge clusters", targetHost, targetPort);
      }
      return;
    }
    if (!targetJoined) {
      call(targetHost, targetPort, "CLUSTER", "MEET", targetHost, Integer.toString(targetPort));
      waitJoined(targetHost, targetPort);
    }
    joinAsync(List.of(AddressFromURIString.parse("pekko://" + system.name() + "@" + targetHost + ":" + targetBus)));
  }

  private boolean isMe(String h, int p) {
    return p == port && (h.equals(host) || h.equals("127.0.0.1") && host.equals("localhost")
        || h.equals("localhost") && host.equals("127.0.0.1"));
  }

  private static int busPortOf(String info, int fallback) {
    for (String line : info.split("\r\n")) {
      if (line.startsWith("keyshard_cluster_bus_port:")) {
        return Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    return fallback;
  }

  private static void waitJoined(String h, int p) throws Exception {
    for (int i = 0; i < 300; i++) {
      if (call(h, p, "INFO", "cluster").contains("keyshard_cluster_joined:1")) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(h + ":" + p + " did not form its cluster");
  }

  /** INFO cluster lines Keyshard adds to Redis's cluster_enabled. */
  public String infoLines() {
    long members = 0;
    long up = 0;
    if (joined) {
      for (Member m : Cluster.get(system).state().getMembers()) {
        members++;
        if (m.status() == MemberStatus.up()) {
          up++;
        }
      }
    }
    return "keyshard_cluster_joined:" + (joined ? 1 : 0) + "\r\n"
        + "keyshard_cluster_bus_port:" + busPort + "\r\n"
        + "keyshard_cluster_members:" + members + "\r\n"
        + "keyshard_cluster_members_up:" + up + "\r\n";
  }

  private void publishLocal() {
    List<Integer> ranges;
    synchronized (this) {
      ranges = ranges(pendingSlots);
    }
    view.update(
        new SlotTableEvent.TableSnapshot(
            List.of(new SlotTableEvent.NodeSeen(nodeId, host, port, busPort)),
            ranges.isEmpty() && configEpoch == 0
                ? List.of()
                : List.of(new SlotTableEvent.SlotsAssigned(nodeId, ranges, configEpoch)),
            configEpoch),
        true);
  }

  private static List<Integer> ranges(TreeSet<Integer> slots) {
    List<Integer> out = new ArrayList<>();
    int start = -1;
    int prev = -2;
    for (int s : slots) {
      if (s != prev + 1) {
        if (start >= 0) {
          out.add(start);
          out.add(prev);
        }
        start = s;
      }
      prev = s;
    }
    if (start >= 0) {
      out.add(start);
      out.add(prev);
    }
    return out;
  }

  private static String call(String h, int p, String... args) throws IOException {
    return ProxyClient.callOnce(h, p, args);
  }
}
