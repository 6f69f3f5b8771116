package io.keyshard.node;

import com.typesafe.config.Config;
import io.keyshard.node.cluster.ClusterCommands;
import io.keyshard.node.cluster.ClusterMembership;
import io.keyshard.node.cluster.ClusterView;
import io.keyshard.node.cluster.ReplicaAcks;
import io.keyshard.node.cluster.ExitWatch;
import io.keyshard.node.cluster.Fencing;
import io.keyshard.node.cluster.Mirror;
import io.keyshard.node.cluster.OrphanedLogs;
import io.keyshard.node.cluster.OwnerShares;
import io.keyshard.node.cluster.ProxyClient;
import io.keyshard.node.cluster.Rehearsal;
import io.keyshard.node.cluster.SlotAgent;
import io.keyshard.node.cluster.SlotTable;
import io.keyshard.node.cluster.TestPartition;
import io.keyshard.node.cluster.TlsTransportStop;
import io.keyshard.node.journal.PersistenceIds;
import io.keyshard.node.server.NodeSettings;
import io.keyshard.node.route.Verdict;
import io.keyshard.node.server.Router;
import io.keyshard.node.slot.LocalSlots;
import io.keyshard.node.slot.Migration;
import io.keyshard.node.slot.SlotClient;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.node.slot.SlotIndex;
import io.keyshard.node.tx.Transactions;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's part of a node's start, in the order {@link KeyshardNode} calls it: join (the
 * slot table singleton, this node's view of it, fencing, membership), the slot entities' fence,
 * the takeover rehearsal, the router's cluster side (redirects, proxy, slot agent), the replica's
 * mirror of its primary's journal, the CLUSTER command, and last, once the port is open, ready.
 * Standalone mode uses none of it (docs/decisions/2026-11-22-cluster-mode-plan.md).
 */
final class ClusterBoot {
  private static final Logger log = LoggerFactory.getLogger(ClusterBoot.class);

  private final ActorSystem<SpawnProtocol.Command> system;
  private final Config config;
  private final String nodeId;
  private final ClusterMembership membership;
  private Rehearsal rehearsal;
  /** CLUSTER, once {@link #commands} made it. */
  private ClusterCommands clusterCommands;
  private Mirror mirror;

  private ClusterBoot(
      ActorSystem<SpawnProtocol.Command> system, Config config, String nodeId, ClusterMembership membership) {
    this.system = system;
    this.config = config;
    this.nodeId = nodeId;
    this.membership = membership;
  }

  ClusterMembership membership() {
    return membership;
  }

  ClusterView view() {
    return membership.view();
  }

  /**
   * The slot table singleton (it runs on the oldest member), this node's view of the table, and
   * membership: joins the configured seeds; with none, forms a cluster of its own (cluster-init
   * auto) or rejoins the members it saw last (manual), or stays unjoined until CLUSTER MEET
   * (manual, first start).
   */
  static ClusterBoot join(
      ActorSystem<SpawnProtocol.Command> system,
      Config config,
      NodeSettings settings,
      String nodeId,
      Duration startTimeout)
      throws Exception {
    if (config.getBoolean("keyshard.cluster.tls.enabled")) {
      TlsTransportStop.install(
          system,
          config.getDuration("pekko.remote.artery.advanced.shutdown-flush-timeout").plusSeconds(2));
    }
    boolean auto = config.getString("keyshard.cluster.init").equals("auto");
    String busAddress =
        ClusterConfig.announceHost(config) + ":" + (settings.port() + config.getInt("keyshard.cluster.bus-port-offset"));
    Set<String> removed = ConcurrentHashMap.newKeySet();
    ActorRef<SlotTable.Command> table =
        ClusterSingleton.get(system)
            .init(
                SingletonActor.of(
                    SlotTable.create(
                        auto,
                        config.getInt("keyshard.cluster.min-nodes"),
                        tableLease(config, busAddress, removed::contains),
                        config.getDuration("keyshard.cluster.takeover-margin")),
                    "slot-table"));
    ClusterView view = ClusterView.start(system, nodeId);
    String partitionFile = config.getString("keyshard.testing.partition-file");
    if (!partitionFile.isEmpty()) {
      TestPartition.start(system.classicSystem(), Path.of(partitionFile));
    }
    Fencing.start(
        system,
        view,
        table,
        removed,
        config.getDuration("keyshard.cluster.pause-limit"),
        config.getDuration("keyshard.cluster.pause-settle"));
    if (config.getBoolean("keyshard.cluster.exit-watch")) {
      ExitWatch.start(system);
    }
    ClusterMembership membership =
        new ClusterMembership(
            system,
            table,
            view,
            nodeId,
            ClusterConfig.announceHost(config),
            settings.port(),
            settings.port() + config.getInt("keyshard.cluster.bus-port-offset"),
            settings.dir());
    membership.setWantsReplica(config.getBoolean("keyshard.cluster.replica"));
    List<Address> seeds = configSeeds(config);
    if (config.getBoolean("keyshard.cluster.rejoin")) {
      // A new incarnation after being downed: join the others, never form a cluster of its own
      // (its own address first among the seeds would let it).
      List<Address> others = new ArrayList<>(membership.savedSeeds());
      others.addAll(seeds);
      others.removeIf(a -> a.equals(Cluster.get(system).selfMember().address()));
      seeds = new ArrayList<>(new LinkedHashSet<>(others));
    } else if (seeds.isEmpty() && !auto) {
      seeds = membership.savedSeeds();
    } else if (!membership.savedSeeds().isEmpty()) {
      // A restart: also try the members it knew. A node whose configured seeds name only
      // itself, or none (auto: form a cluster), would otherwise form a new cluster while its
      // old one runs on (seen in a test: the first node, killed and started again, was refused
      // by the running cluster's lease). Pekko's first seed forms a cluster only if none of the
      // others answers within seed-node-timeout, so such a node stays first; at a full
      // restart it forms the cluster again (after that timeout) and the others join it.
      LinkedHashSet<Address> all = new LinkedHashSet<>(seeds);
      if (all.isEmpty()) {
        all.add(Cluster.get(system).selfMember().address());
      }
      all.addAll(membership.savedSeeds());
      seeds = new ArrayList<>(all);
    }
    if (!seeds.isEmpty() || auto) {
      membership.joinAndWait(seeds, startTimeout);
    } else {
      membership.stayUnjoined();
      log.info("Node {} waits for CLUSTER MEET (cluster-init manual)", nodeId);
    }
    return new ClusterBoot(system, config, nodeId, membership);
  }

  /**
   * The answer of a slot entity, named by its slot and epoch, that may not act: the redirect
   * when this node does not own the slot, TRYAGAIN when it owns it under another epoch (a stale
   * incarnation, which stops); null when it may act. Standalone ({@code view} null): always null.
   */
  static SlotEntity.Fence fence(ClusterView view) {
    if (view == null) {
      return (slot, epoch) -> null;
    }
    return new SlotEntity.Fence() {
      @Override
      public Verdict refusal(int slot, long epoch) {
        ClusterView.Table t = view.table();
        if (view.owns(slot)) {
          // Every command asks: the common answer allocates nothing.
          return t.slotEpoch(slot) == epoch
              ? null
              : Verdict.tryAgain(Verdict.Retry.EPOCH_CHANGED, Integer.toString(slot));
        }
        Verdict v = view.verdict(slot);
        return v.refuses() ? v : null;
      }

      @Override
      public Verdict paused() {
        return view.fenced() ? Verdict.CLUSTER_DOWN : null;
      }

      @Override
      public Migration migration(int slot) {
        return view.migration(slot);
      }
    };
  }

  /** The takeover rehearsal's slot entities, beside the real ones (see Rehearsal). */
  Rehearsal rehearsal(SlotEntity.Settings slotSettings) {
    rehearsal = new Rehearsal(system, slotSettings, nodeId);
    return rehearsal;
  }

  /** The router's cluster side: redirects from the view, the proxy, and this node's slot agent. */
  void wireRouter(
      Router router, LocalSlots localSlots, ActorRef<SlotIndex.Command> index, Duration startTimeout)
      throws Exception {
    router.setCluster(view());
    if (config.getBoolean("keyshard.cluster.proxy")) {
      router.setProxy(new ProxyClient(router.settings()::requirePass));
    }
    // Requests asked for a slot this node imports run in the slot's owner (slot migration).
    router.setAskForwarder(new ProxyClient(router.settings()::requirePass));
    KeyshardNode.spawn(
        system,
        SlotAgent.create(nodeId, router, localSlots, index, view()),
        "slot-agent",
        startTimeout);
  }

  /**
   * Transactions in cluster mode: committed shares go to their slot's current owner (at this
   * node's own recovery too: its slots may be others' by now), this node applies the shares of
   * its slots that others send, and the singleton that completes the logs of nodes that are
   * gone runs on the oldest member (docs/decisions/2026-12-06-fencing-every-write.md).
   */
  void wireTransactions(
      Transactions transactions, SlotClient slots, PersistenceIds ids, Duration timeout, Duration startTimeout)
      throws Exception {
    OwnerShares owners = new OwnerShares(system, view(), slots, timeout);
    transactions.setShareRouter(owners);
    KeyshardNode.spawn(system, OwnerShares.create(nodeId, view(), slots, timeout), "tx-shares", startTimeout);
    ClusterSingleton.get(system)
        .init(SingletonActor.of(OrphanedLogs.create(nodeId, view(), owners, ids, timeout), "tx-heir"));
  }

  /**
   * On a PostgreSQL journal, a replica follows its primary's events (warm slots for a takeover,
   * replica reads) and rehearses the takeover once; the embedded journal is this node's alone.
   */
  void startMirror(Router router, ClusterSharding sharding) {
    if (!config.getString(KeyshardNode.JOURNAL_URL).startsWith("jdbc:postgresql:")) {
      return;
    }
    String db = "pekko-persistence-jdbc.shared-databases.keyshard.db.";
    int rehearsalSlots = config.getInt("keyshard.cluster.rehearse-takeover");
    Rehearsal rehearsal = this.rehearsal;
    mirror =
        Mirror.start(
            system.classicSystem(),
            config.getString(KeyshardNode.JOURNAL_URL),
            config.getString(db + "user"),
            config.getString(db + "password"),
            view(),
            rehearsal == null
                ? null
                : (m, primarys) ->
                    rehearsal.run(
                        system, sharding, primarys, rehearsalSlots,
                        () -> m.deleteRows(Rehearsal.prefix(nodeId))));
    Mirror m = mirror;
    system.getWhenTerminated().thenRun(m::close);
    router.setReplicaReads(m::read);
    replicaAcks = ReplicaAcks.start(system, view(), m);
  }

  private ReplicaAcks replicaAcks;

  /** WAIT's count of this node's replicas; null without a shared journal (no replicas). */
  ReplicaAcks replicaAcks() {
    return replicaAcks;
  }

  /**
   * CLUSTER: {@code onReset} hears that CLUSTER RESET (HARD or not) ends this incarnation, which
   * then leaves the cluster as a clean stop does; NodeRunner starts the next one.
   */
  ClusterCommands commands(
      Router router,
      NodeSettings settings,
      ActorRef<SlotIndex.Command> index,
      LocalSlots localSlots,
      Consumer<Boolean> onReset) {
    ClusterCommands clusterCommands = new ClusterCommands(membership, system, router, settings);
    this.clusterCommands = clusterCommands;
    clusterCommands.setNonEmptySlots(
        () -> {
          try {
            return AskPattern.<SlotIndex.Command, SlotIndex.Slots>ask(
                    index, SlotIndex.GetSlots::new, Duration.ofSeconds(10), system.scheduler())
                .toCompletableFuture()
                .get(11, TimeUnit.SECONDS)
                .slots();
          } catch (Exception e) {
            throw new RedisException(Err.err("the slot index did not answer"));
          }
        });
    clusterCommands.setReset(
        hard -> {
          onReset.accept(hard);
          CoordinatedShutdown.get(system.classicSystem())
              .run(CoordinatedShutdown.clusterLeavingReason());
        });
    Mirror m = mirror;
    Rehearsal rehearsal = this.rehearsal;
    clusterCommands.setExtraInfo(
        () ->
            "keyshard_slots_recovered:" + localSlots.recoveredSlots() + "\r\n"
                + "keyshard_recovery_events_replayed:" + localSlots.replayedEvents() + "\r\n"
                + "keyshard_replica_warm_slots:" + (m == null ? 0 : m.warmSlots()) + "\r\n"
                + "keyshard_replica_events_applied:" + (m == null ? 0 : m.appliedEvents()) + "\r\n"
                + "keyshard_takeover_warm_starts:" + (m == null ? 0 : m.handedOver()) + "\r\n"
                + "keyshard_takeover_rehearsal:" + (rehearsal == null ? "none" : rehearsal.status()) + "\r\n");
    return clusterCommands;
  }

  /** The port is open: only now may the table send clients here (slots moved to it get MOVED). */
  void ready(ClusterSharding sharding) {
    membership.ready();
    if (rehearsal != null && config.getBoolean("keyshard.cluster.claim-shards")) {
      ClusterView v = view();
      rehearsal.claimShardsOnceUp(system, sharding, KeyshardNode.SLOTS_PER_SHARD, v::owns);
      if (clusterCommands != null) {
        clusterCommands.movesWaitFor(rehearsal.claimed());
      }
    }
  }

  /**
   * The slot table's lease: the cluster lock on a PostgreSQL journal, nothing on H2. A holder
   * that this node saw removed from the cluster loses it (see JournalLease.acquireCluster).
   */
  private static Supplier<SlotTable.Lease> tableLease(
      Config config, String self, Predicate<String> removed) {
    String url = config.getString(KeyshardNode.JOURNAL_URL);
    String db = "pekko-persistence-jdbc.shared-databases.keyshard.db.";
    return () -> {
      if (!url.startsWith("jdbc:postgresql:")) {
        return () -> {};
      }
      JournalLease lease =
          JournalLease.acquireCluster(
              url,
              config.getString(db + "user"),
              config.getString(db + "password"),
              self,
              removed,
              Duration.ofSeconds(8));
      return lease::close;
    };
  }

  /** The bus addresses of the configured seeds (host:port of their RESP ports). */
  private static List<Address> configSeeds(Config c) {
    int offset = c.getInt("keyshard.cluster.bus-port-offset");
    List<Address> seeds = new ArrayList<>();
    for (String seed : c.getStringList("keyshard.cluster.seeds")) {
      int colon = seed.lastIndexOf(':');
      seeds.add(
          AddressFromURIString.parse(
              "pekko://keyshard@" + seed.substring(0, colon) + ":"
                  + (Integer.parseInt(seed.substring(colon + 1)) + offset)));
    }
    return seeds;
  }
}
