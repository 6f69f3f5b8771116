package io.keyshard.node;

import static io.keyshard.node.commands.ShutdownCommand.shutdownCommand;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.keyshard.node.backup.BackupSchedule;
import io.keyshard.node.cluster.ClusterCommands;
import io.keyshard.node.cluster.ClusterMembership;
import io.keyshard.node.cluster.ClusterView;
import io.keyshard.node.cluster.InClusterMigrate;
import io.keyshard.node.cluster.LogShares;
import io.keyshard.node.cluster.NodeIdentity;
import io.keyshard.node.cluster.Rehearsal;
import io.keyshard.node.cluster.RequesterAllocation;
import io.keyshard.node.commands.CommandRegistry;
import io.keyshard.node.commands.ServerCommands;
import io.keyshard.node.journal.JournalEngine;
import io.keyshard.node.journal.PersistenceIds;
import io.keyshard.node.server.Blocking;
import io.keyshard.node.server.ClientRegistry;
import io.keyshard.node.server.Evictor;
import io.keyshard.node.server.NodeSettings;
import io.keyshard.node.server.RespServer;
import io.keyshard.node.server.Router;
import io.keyshard.node.server.ServerStats;
import io.keyshard.node.server.Session;
import io.keyshard.node.server.Tls;
import io.keyshard.node.slot.DormantSlots;
import io.keyshard.node.slot.JournalHealth;
import io.keyshard.node.slot.Loading;
import io.keyshard.node.slot.LocalSlots;
import io.keyshard.node.slot.Notifications;
import io.keyshard.node.slot.PendingShares;
import io.keyshard.node.slot.Preload;
import io.keyshard.node.slot.SlotClient;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.node.slot.SlotEntityId;
import io.keyshard.node.slot.SlotIndex;
import io.keyshard.node.slot.Warmer;
import io.keyshard.node.tx.Transactions;
import io.keyshard.node.tx.TxLog;
import io.keyshard.protocol.CommandTable;
import io.keyshard.tools.Address;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.stream.javadsl.Tcp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Keyshard node: the actor system (a one-node Pekko cluster in standalone mode), the
 * journal, the slot entities under Cluster Sharding, the index of non-empty slots, and the RESP
 * port. {@link #start} returns once the port accepts connections. This class wires; cluster mode's
 * part is {@link ClusterBoot} (and {@link ClusterConfig} before the actor system starts).
 */
public final class KeyshardNode implements AutoCloseable {
  // Cluster mode: docs/decisions/2026-11-22-cluster-mode-plan.md
  private static final Logger log = LoggerFactory.getLogger(KeyshardNode.class);

  /** Slots per shard: Pekko must not manage 16384 shards (see docs/decisions). */
  public static final int SLOTS_PER_SHARD = 64;

  static final String JOURNAL_URL = JournalConfig.JOURNAL_URL;

  private final ActorSystem<SpawnProtocol.Command> system;
  /** The plain RESP port; null when only TLS is on (port 0 with a tls-port, as in Redis). */
  private final Tcp.ServerBinding binding;
  /** The TLS port (tls-port); null without TLS. */
  private final Tcp.ServerBinding tlsBinding;
  private final NodeSettings settings;

  /** CLUSTER RESET asked this incarnation to end (see NodeRunner). */
  public record Reset(boolean hard) {}

  private final AtomicReference<Reset> reset;

  private final AtomicBoolean shutdown;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Whether SHUTDOWN ended this node (no further incarnation). */
  public boolean shutdownRequested() {
    return shutdown.get();
  }

  /** The RESET that ended this incarnation, or null. */
  public Reset resetRequested() {
    return reset.get();
  }

  private KeyshardNode(
      ActorSystem<SpawnProtocol.Command> system,
      Tcp.ServerBinding binding,
      Tcp.ServerBinding tlsBinding,
      NodeSettings settings,
      AtomicReference<Reset> reset,
      AtomicBoolean shutdown) {
    this.reset = reset;
    this.shutdown = shutdown;
    this.system = system;
    this.binding = binding;
    this.tlsBinding = tlsBinding;
    this.settings = settings;
  }

  /**
   * Loads the configuration: {@code overrides} first, then {@code file} (may be null), then the
   * defaults in reference.conf; then derives what depends on the data directory.
   */
  public static Config loadConfig(Config overrides, Path file) throws Exception {
    Config c = overrides;
    if (file != null) {
      c = c.withFallback(ConfigFactory.parseFile(file.toFile()));
    }
    c = c.withFallback(ConfigFactory.load()).resolve();
    Path dir = Path.of(c.getString("keyshard.dir")).toAbsolutePath().normalize();
    Files.createDirectories(dir);
    if (c.getBoolean("keyshard.cluster.enabled")) {
      c = ClusterConfig.derive(c);
    }
    return JournalConfig.derive(c, dir);
  }

  public static KeyshardNode start(Config config) throws Exception {
    NodeSettings settings = new NodeSettings(config.getConfig("keyshard"));
    // The TLS files are read and checked first: a wrong one stops the node before anything runs.
    Supplier<SSLEngine> tlsEngines =
        settings.tls().enabled() ? Tls.serverEngines(settings.tls()) : null;
    String url = config.getString(JOURNAL_URL);
    // H2 in file mode locks its file itself; PostgreSQL needs a lease (see JournalLease).
    JournalLease lease =
        url.startsWith("jdbc:postgresql:")
            ? JournalLease.acquire(
                url,
                config.getString("pekko-persistence-jdbc.shared-databases.keyshard.db.user"),
                config.getString("pekko-persistence-jdbc.shared-databases.keyshard.db.password"),
                config.getBoolean("keyshard.cluster.enabled"))
            : null;
    JournalEngine journal;
    Preload preload = null;
    DormantSlots dormant = null;
    try {
      journal = JournalEngine.open(config);
      if (!config.getBoolean("keyshard.cluster.enabled") && journal.embeddedStore() != null) {
        // Standalone on the embedded store: its slots are read now, on threads of their own,
        // while the actor system starts (docs/decisions/2026-12-06-recovery-at-start.md). One
        // core fewer than there are: the start itself keeps one busy (on 2 cores, two readers
        // took ~0.5 s longer to serve 1M keys than one).
        dormant = new DormantSlots();
        preload =
            Preload.start(
                journal.embeddedStore(), dormant, Math.max(1, Runtime.getRuntime().availableProcessors() - 1));
      }
    } catch (Exception e) {
      if (lease != null) {
        lease.close();
      }
      throw e;
    }
    ActorSystem<SpawnProtocol.Command> system =
        ActorSystem.create(SpawnProtocol.create(), "keyshard", config);
    try {
      KeyshardNode node = boot(system, config, settings, tlsEngines, journal, preload, dormant);
      node.lease = lease;
      node.journal = journal;
      return node;
    } catch (Exception | Error e) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      journal.close();
      if (lease != null) {
        lease.close();
      }
      throw e;
    }
  }

  private volatile JournalLease lease;
  private volatile JournalEngine journal;

  private static KeyshardNode boot(
      ActorSystem<SpawnProtocol.Command> system,
      Config config,
      NodeSettings settings,
      Supplier<SSLEngine> tlsEngines,
      JournalEngine journalEngine,
      Preload preload,
      DormantSlots dormant)
      throws Exception {
    Duration startTimeout = config.getDuration("keyshard.start-timeout");
    long t0 = System.nanoTime();
    journalEngine.start(system, startTimeout);

    // Standalone is a one-node cluster: the same slot entities as cluster mode, so one storage
    // format serves every topology.
    boolean clustered = config.getBoolean("keyshard.cluster.enabled");
    String nodeId = clustered ? NodeIdentity.loadOrCreate(settings.dir()) : "standalone";
    ClusterBoot cluster = null;
    ClusterView view = null;
    ClusterMembership membership = null;
    if (clustered) {
      cluster = ClusterBoot.join(system, config, settings, nodeId, startTimeout);
      membership = cluster.membership();
      view = cluster.view();
    } else {
      joinItself(system, startTimeout);
    }

    JournalHealth journal = new JournalHealth(config.getDuration("keyshard.journal-probe-interval"));
    journal.onFailure(journalEngine::onFailure);
    ActorRef<SlotIndex.Command> index =
        spawn(system, SlotIndex.create(nodeId, journal), "slot-index", startTimeout);
    LocalSlots localSlots = new LocalSlots();
    int keyspaceEvents = Notifications.parse(config.getString("keyshard.notify-keyspace-events"));
    if (keyspaceEvents < 0) {
      throw new IllegalArgumentException("keyshard.notify-keyspace-events: " + Notifications.INVALID);
    }
    localSlots.notifications().setFlags(keyspaceEvents);
    if (dormant != null) {
      // Before any slot entity can start: their recovery takes what the preload read here.
      dormant.attach(system.classicSystem(), localSlots.memory());
    }
    CommandRegistry.Builder commands = CommandRegistry.keyedCommands();
    // Cluster mode: a slot's new incarnation first applies what transaction logs hold pending
    // for it (docs/decisions/2026-12-07-shares-before-serving.md).
    PendingShares pendingShares =
        clustered
            ? new LogShares(
                spawn(system, LogShares.create(view, journalEngine, settings.requestTimeout()), "pending-shares", startTimeout))
            : PendingShares.NONE;
    SlotEntity.Settings slotSettings =
        new SlotEntity.Settings(
            commands.slotBodies(),
            index,
            config.getInt("keyshard.snapshot-every"),
            config.getInt("keyshard.active-expire.batch"),
            config.getDuration("keyshard.active-expire.interval"),
            config.getInt("keyshard.max-batch"),
            localSlots,
            ClusterBoot.fence(view),
            journal,
            pendingShares);
    ClusterSharding sharding = ClusterSharding.get(system);
    Rehearsal rehearsal = clustered ? cluster.rehearsal(slotSettings) : null;
    Entity<SlotEntity.Command, ShardingEnvelope<SlotEntity.Command>> slots =
        Entity.of(
                SlotEntity.TYPE_KEY,
                ctx -> {
                  SlotEntityId id = SlotEntityId.parse(ctx.getEntityId());
                  int slot = id.slot();
                  long epoch = id.epoch();
                  return rehearsal != null && Rehearsal.isRehearsal(epoch)
                      ? rehearsal.entity(slot, epoch, ctx.getShard())
                      : SlotEntity.create(slot, epoch, slotSettings, ctx.getShard());
                })
            .withMessageExtractor(new SlotGroupExtractor())
            // A slot stops only when nothing is in the middle (see slot/Retirement).
            .withStopMessage(SlotEntity.Stop.INSTANCE);
    if (clustered) {
      slots = slots.withAllocationStrategy(new RequesterAllocation());
    }
    sharding.init(slots);

    CommandTable table = CommandTable.standard();
    ClientRegistry clients = new ClientRegistry();
    ServerStats stats = new ServerStats();
    Router router = new Router(table, sharding, localSlots, system.scheduler(), settings);
    router.setCommandStats(stats.commands);
    router.setJournal(journal);
    router.slots().setDormant(dormant);
    // Cluster mode: another node may complete this log if this one is gone, so this
    // incarnation claims it to write (docs/decisions/2026-12-06-fencing-every-write.md).
    ActorRef<TxLog.Command> txLog =
        spawn(
            system,
            clustered ? TxLog.create(nodeId, nodeId + "/" + UUID.randomUUID()) : TxLog.create(nodeId),
            "tx-log",
            startTimeout);
    if (clustered) {
      // Other nodes' slots ask which transactions it holds pending (cluster/LogShares).
      system.receptionist().tell(Receptionist.register(TxLog.serviceKey(nodeId), txLog));
    }
    if (cluster != null) {
      cluster.wireRouter(router, localSlots, index, startTimeout);
    }
    Transactions transactions =
        new Transactions(
            router.slots(), txLog, TxLog.persistenceId(nodeId).id(), index, system.scheduler(), settings.requestTimeout());
    transactions.setNotifications(localSlots.notifications());
    if (cluster != null) {
      cluster.wireTransactions(
          transactions, router.slots(), journalEngine, settings.requestTimeout(), startTimeout);
    }
    router.setTransactions(transactions);
    router.setBlocking(new Blocking(router.slots(), router::runKeyed));
    router.setEvictor(new Evictor(router.slots(), localSlots.memory(), settings));
    ServerCommands serverCommands =
        new ServerCommands(router, settings, clients, stats, index, system, config, journalEngine);
    serverCommands.register(commands);
    // PUBLISH reaches the subscribers of every member; each node counts only its own, as Redis Cluster.
    ActorRef<io.keyshard.node.pubsub.PubSubRelay.Command> relay =
        system.systemActorOf(
            io.keyshard.node.pubsub.PubSubRelay.create(serverCommands.pubsub()), "pubsub-relay", Props.empty());
    serverCommands.setPublishElsewhere(
        (channel, message) -> {
          relay.tell(new io.keyshard.node.pubsub.PubSubRelay.Publish(channel, message));
          return 0;
        });
    // Keyspace notifications go to this node's subscribers only, as Redis Cluster's do.
    localSlots.notifications().setPublisher(serverCommands.pubsub()::keyspaceEvents);
    localSlots.notifications().setTracking(serverCommands.tracking());
    if (view != null) {
      // A slot that moves away takes its shard channels' subscribers with it (sunsubscribe).
      io.keyshard.node.pubsub.PubSub pubsub = serverCommands.pubsub();
      String me = view.myId();
      view.onChange(
          (before, next) ->
              pubsub.slotsLost(
                  slot -> {
                    ClusterView.Node was = before.owner(slot);
                    ClusterView.Node now = next.owner(slot);
                    return was != null && was.id().equals(me) && (now == null || !now.id().equals(me));
                  }));
      // MIGRATE to a member of this cluster hands the keys over instead of copying them.
      serverCommands.setMigrateInCluster(InClusterMigrate.seam(view, router.slots()));
    }
    if (cluster != null) {
      cluster.startMirror(router, sharding);
      if (cluster.replicaAcks() != null) {
        serverCommands.waitCommand().setReplicas(cluster.replicaAcks());
      }
    }
    AtomicReference<Reset> reset = new AtomicReference<>();
    if (membership != null) {
      ClusterCommands clusterCommands =
          cluster.commands(router, settings, index, localSlots, hard -> reset.set(new Reset(hard)));
      clusterCommands.register(commands);
    } else {
      ServerCommands.registerClusterDisabled(commands);
    }
    AtomicBoolean shutdown = new AtomicBoolean();
    ClusterMembership members = membership;
    commands.session(
        "shutdown", (s, argv, spec) -> shutdownCommand(system, members, router, shutdown, s, argv));
    router.setCommands(commands.build(table));

    int[] nonEmpty =
        clustered
            ? wakeSlots(system, router, index, view, journalEngine, startTimeout)
            : load(system, settings, router, index, journalEngine, preload, dormant, startTimeout);
    closeIdleClients(system, settings, clients);

    // Complete every committed transaction a crash left half applied, before any client comes.
    int recovered =
        transactions
            .recover()
            .toCompletableFuture()
            .get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    if (recovered > 0) {
      log.info("Completed {} transactions that were committed before the last stop", recovered);
    }

    RespServer server = new RespServer(system, settings, router, clients, stats);
    // As in Redis, port 0 with a tls-port means TLS only; without TLS, port 0 picks a free port.
    Tcp.ServerBinding binding =
        settings.port() != 0 || tlsEngines == null
            ? server.bind().toCompletableFuture().get(startTimeout.toMillis(), TimeUnit.MILLISECONDS)
            : null;
    Tcp.ServerBinding tlsBinding =
        tlsEngines == null
            ? null
            : server
                .bindTls(tlsEngines)
                .toCompletableFuture()
                .get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    log.info(
        "Keyshard ready to accept connections on {}{} ({} non-empty slots, data in {}, started in {} ms)",
        binding == null ? "no plain port" : binding.localAddress(),
        tlsBinding == null ? "" : ", TLS on " + tlsBinding.localAddress(),
        nonEmpty.length,
        settings.dir(),
        (System.nanoTime() - t0) / 1_000_000);
    if (cluster != null) {
      cluster.ready(sharding);
    }
    scheduleBackups(system, config, settings, binding);
    return new KeyshardNode(system, binding, tlsBinding, settings, reset, shutdown);
  }

  /**
   * keyshard.backup.every: backups through this node's own port, run by one node of the cluster
   * (a cluster singleton: a standalone node is a one-node cluster).
   */
  private static void scheduleBackups(
      ActorSystem<?> system, Config config, NodeSettings settings, Tcp.ServerBinding binding) {
    Duration every = config.getDuration("keyshard.backup.every");
    if (every.isZero() || every.isNegative()) {
      return;
    }
    if (binding == null) {
      log.warn("keyshard.backup.every is set but the node has no plain port: no scheduled backups");
      return;
    }
    String pass = config.getString("keyshard.requirepass");
    Address self =
        new Address("127.0.0.1", binding.localAddress().getPort(), null, pass.isEmpty() ? null : pass, null, false);
    BackupSchedule.Settings s =
        new BackupSchedule.Settings(
            every,
            settings.dir().resolve(config.getString("keyshard.backup.dir")),
            Math.max(1, config.getInt("keyshard.backup.keep")),
            self);
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    ClusterSingleton.get(system)
        .init(SingletonActor.of(BackupSchedule.create(s, blocking), "backup-schedule"));
  }

  /** Standalone: this node forms a cluster of its own and is Up in it. */
  private static void joinItself(ActorSystem<?> system, Duration startTimeout) throws Exception {
    Cluster cluster = Cluster.get(system);
    CompletableFuture<Done> up = new CompletableFuture<>();
    // The classic extension, as the typed one has no registerOnMemberUp (same name: written out).
    org.apache.pekko.cluster.Cluster.get(system.classicSystem())
        .registerOnMemberUp(() -> up.complete(Done.getInstance()));
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    up.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Wakes the slots that hold keys, so their expiry timers run and the first reads are warm;
   * answers them (the slot index's list).
   */
  private static int[] wakeSlots(
      ActorSystem<?> system,
      Router router,
      ActorRef<SlotIndex.Command> index,
      ClusterView view,
      PersistenceIds journalIds,
      Duration startTimeout)
      throws Exception {
    int[] nonEmpty =
        AskPattern.<SlotIndex.Command, SlotIndex.Slots>ask(
                index, SlotIndex.GetSlots::new, startTimeout, system.scheduler())
            .toCompletableFuture()
            .get(startTimeout.toMillis(), TimeUnit.MILLISECONDS)
            .slots();
    IntPredicate servedHere = slot -> view == null || view.owns(slot);
    for (int slot : nonEmpty) {
      if (servedHere.test(slot)) {
        router.slots().tell(slot, new SlotEntity.GetStats(system.ignoreRef()));
      }
    }
    // Slots the journal holds but this node's index does not know (written by another topology,
    // or by this node before it used an index): wake them in the background, so keyspace-wide
    // commands see their keys; the empty ones stop again.
    BitSet indexed = new BitSet();
    for (int slot : nonEmpty) {
      indexed.set(slot);
    }
    Warmer.warmFromJournal(journalIds, router.slots(), slot -> servedHere.test(slot) && !indexed.get(slot));
    return nonEmpty;
  }

  /**
   * Standalone: loads the data set, the slots the index lists and those the journal holds,
   * serving each as soon as it is there (slot/Loading; requests wait for it or get LOADING).
   * After the load, the entities of the slots read at start that hold keys start, a few at a
   * time, so their expiry runs. Answers the index's non-empty slots.
   */
  private static int[] load(
      ActorSystem<?> system,
      NodeSettings settings,
      Router router,
      ActorRef<SlotIndex.Command> index,
      PersistenceIds journalIds,
      Preload preload,
      DormantSlots dormant,
      Duration startTimeout)
      throws Exception {
    int[] nonEmpty =
        AskPattern.<SlotIndex.Command, SlotIndex.Slots>ask(
                index, SlotIndex.GetSlots::new, startTimeout, system.scheduler())
            .toCompletableFuture()
            .get(startTimeout.toMillis(), TimeUnit.MILLISECONDS)
            .slots();
    BitSet indexed = new BitSet();
    for (int slot : nonEmpty) {
      indexed.set(slot);
    }
    // Slots the journal holds that the index may not know (written by another topology, or
    // before this node kept an index): loaded too, so keyspace-wide commands see their keys.
    BitSet journalSlots = preload == null ? new BitSet() : preload.slots();
    if (journalSlots.isEmpty()) {
      // No preload, or it could not list the store (it logged why): the journal's own list.
      for (String id :
          journalIds.current().toCompletableFuture().get(startTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        int slot = SlotEntity.standaloneSlotOf(id);
        if (slot >= 0) {
          journalSlots.set(slot);
        }
      }
    }
    BitSet all = (BitSet) indexed.clone();
    all.or(journalSlots);
    Loading loading = new Loading(settings.loadingWait(), system.executionContext());
    router.setLoading(loading);
    SlotClient slots = router.slots();
    loading.begin(
        all,
        preload,
        dormant,
        indexed,
        slot ->
            slots.<SlotEntity.Stats>ask(slot, SlotEntity.GetStats::new)
                .thenApply(st -> Arrays.stream(st.keys()).sum())
                .toCompletableFuture(),
        Warmer.AT_ONCE);
    if (dormant != null) {
      CoordinatedShutdown shutdown = CoordinatedShutdown.get(system.classicSystem());
      loading
          .whenDone()
          .thenRun(
              () -> Warmer.startDormant(slots, dormant, () -> shutdown.getShutdownReason().isPresent()));
    }
    return nonEmpty;
  }

  /** Redis's clientsCron: close connections idle for longer than "timeout" seconds. */
  private static void closeIdleClients(
      ActorSystem<?> system, NodeSettings settings, ClientRegistry clients) {
    system
        .scheduler()
        .scheduleAtFixedRate(
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            () -> {
              long limit = settings.idleTimeoutSeconds();
              if (limit > 0) {
                long now = System.currentTimeMillis();
                clients.all().stream()
                    // As in Redis, a client blocked in BLPOP and the like is not idle.
                    .filter(c -> c.blockedOn == null && now - c.lastCommandAt > limit * 1000)
                    .forEach(Session::kill);
              }
            },
            system.executionContext());
  }

  static <T> ActorRef<T> spawn(
      ActorSystem<SpawnProtocol.Command> system,
      Behavior<T> behavior,
      String name,
      Duration timeout)
      throws Exception {
    return AskPattern.<SpawnProtocol.Command, ActorRef<T>>ask(
            system,
            replyTo -> new SpawnProtocol.Spawn<>(behavior, name, Props.empty(), replyTo),
            timeout,
            system.scheduler())
        .toCompletableFuture()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Entity = slot, shard = a group of consecutive slots. One shard per slot made Pekko's
   * coordinator take minutes to allocate (docs/decisions/2026-11-22-slot-entities-and-shards.md).
   */
  static final class SlotGroupExtractor
      extends ShardingMessageExtractor<ShardingEnvelope<SlotEntity.Command>, SlotEntity.Command> {
    @Override
    public String entityId(ShardingEnvelope<SlotEntity.Command> envelope) {
      return envelope.entityId();
    }

    @Override
    public String shardId(String entityId) {
      SlotEntityId id = SlotEntityId.parse(entityId);
      if (id.owner() == null) {
        return Integer.toString(id.slot() / SLOTS_PER_SHARD);
      }
      // Cluster mode: an entity lives in its owner's group (see RequesterAllocation); the epoch
      // does not change the group.
      return id.owner() + "/" + id.slot() / SLOTS_PER_SHARD;
    }

    @Override
    public SlotEntity.Command unwrapMessage(ShardingEnvelope<SlotEntity.Command> envelope) {
      return envelope.message();
    }
  }

  /** The plain RESP port, 0 if there is none (TLS only). */
  public int port() {
    return binding == null ? 0 : binding.localAddress().getPort();
  }

  /** The TLS port, 0 without TLS. */
  public int tlsPort() {
    return tlsBinding == null ? 0 : tlsBinding.localAddress().getPort();
  }

  public InetSocketAddress address() {
    return binding == null ? tlsBinding.localAddress() : binding.localAddress();
  }

  public NodeSettings settings() {
    return settings;
  }

  public ActorSystem<?> system() {
    return system;
  }

  @Override
  public void close() throws Exception {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Tcp.ServerBinding b : new Tcp.ServerBinding[] {binding, tlsBinding}) {
      if (b != null) {
        try {
          b.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception gone) {
          // The system already stopped (downed, RESET, SHUTDOWN): the port went with it.
        }
      }
    }
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (lease != null) {
      lease.close();
    }
    if (journal != null) {
      journal.close();
    }
  }
}
