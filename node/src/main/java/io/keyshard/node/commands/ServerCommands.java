package io.keyshard.node.commands;

import static io.keyshard.node.commands.Args.is;
import static io.keyshard.node.commands.Args.str;

import com.typesafe.config.Config;
import io.keyshard.node.Futures;
import io.keyshard.node.acl.AclCommand;
import io.keyshard.node.cluster.ClusterView;
import io.keyshard.node.commands.CommandRegistry.Trait;
import io.keyshard.node.route.Verdict.Retry;
import io.keyshard.node.route.Verdict;
import io.keyshard.node.journal.JournalEngine;
import io.keyshard.node.slot.JournalRetention;
import io.keyshard.node.migrate.InClusterHandOver;
import io.keyshard.node.migrate.MigrateCopy;
import io.keyshard.node.server.ClientRegistry;
import io.keyshard.node.server.Evictor;
import io.keyshard.node.server.NodeSettings;
import io.keyshard.node.server.Router;
import io.keyshard.node.server.ServerStats;
import io.keyshard.node.server.Session;
import io.keyshard.node.server.SessionCommand;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.node.slot.SlotIndex;
import io.keyshard.persistence.SlotState;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Commands that run at the connection: connection state, server introspection, and the
 * keyspace-wide and multi-slot commands that fan out to slots.
 */
public final class ServerCommands {
  static final String REDIS_VERSION = "7.0.15";

  private final Router router;
  private final NodeSettings settings;
  private final ClientRegistry clients;
  private final ServerStats stats;
  private final ActorRef<SlotIndex.Command> index;
  private final ActorSystem<?> system;
  private final Duration timeout;
  private final ServerInfo info;
  private final ConfigCommand config;
  private final ClientCommand client;
  private final TransactionCommands transactions;
  private final MigrateCommand migrate;
  private final DebugCommand debug;
  private final SaveCommand save;
  private final JournalEngine journal;

  public ServerCommands(
      Router router,
      NodeSettings settings,
      ClientRegistry clients,
      ServerStats stats,
      ActorRef<SlotIndex.Command> index,
      ActorSystem<?> system,
      Config rawConfig,
      JournalEngine journal) {
    this.router = router;
    this.journal = journal;
    this.settings = settings;
    this.clients = clients;
    this.stats = stats;
    this.index = index;
    this.system = system;
    this.timeout = settings.requestTimeout();
    this.tracking = new io.keyshard.node.pubsub.Tracking(clients, pubsub);
    router.setTracking(tracking);
    this.info = new ServerInfo(settings, clients, stats, this, router.memory(), journal, router::loading);
    this.config =
        new ConfigCommand(
            settings,
            router.acl(),
            journal,
            router.slots().localSlots().notifications(),
            tracking,
            router.commandStats(),
            () -> {
              Evictor evictor = router.evictor();
              if (evictor != null && evictor.over() && evictor.evicts()) {
                evictor.makeRoom();
              }
            },
            () -> {
              stats.reset();
              info.resetStats();
              router.memory().resetStats();
            });
    this.transactions = new TransactionCommands(router, this);
    this.scriptEngine = new io.keyshard.node.scripting.Scripts(
            settings::busyReplyThresholdMs, settings.dir().resolve("functions.rdb"));
    system.getWhenTerminated().thenRun(scriptEngine::close);
    router.setScripts(scriptEngine);
    this.scripts = new ScriptCommands(router, transactions, scriptEngine);
    this.pubsubCommands = new PubSubCommands(pubsub);
    pubsub.onOverflow(Session::kill); // a subscriber that does not read, past its output limit
    this.migrate = new MigrateCommand(router, migrateCopy(system));
    this.client = new ClientCommand(clients, router.acl(), tracking);
    this.debug = new DebugCommand(router);
    this.save =
        new SaveCommand(
            router, stats, info::countSave, system.dispatchers().lookup(DispatcherSelector.blocking()), journal);
    this.acl = new AclCommand(router.acl(), clients);
  }

  private final AclCommand acl;
  private final io.keyshard.node.scripting.Scripts scriptEngine;
  private final ScriptCommands scripts;
  private final io.keyshard.node.pubsub.PubSub pubsub = new io.keyshard.node.pubsub.PubSub();
  private final io.keyshard.node.pubsub.Tracking tracking;
  private final PubSubCommands pubsubCommands;
  private final WaitCommand waitCommand = new WaitCommand();

  /** WAIT: set to the cluster's replicas of this node in cluster mode. */
  public WaitCommand waitCommand() {
    return waitCommand;
  }

  /** The commands that run at the connection, this family's and MULTI/EXEC's. */
  public void register(CommandRegistry.Builder r) {
    r.session("ping", sync(ServerCommands::ping), Trait.ANSWERS_IN_ORDER);
    r.session("echo", sync((s, a) -> Reply.bulk(a[1])), Trait.ANSWERS_IN_ORDER);
    r.session("select", sync(ServerCommands::select), Trait.ANSWERS_IN_ORDER);
    r.session("hello", sync(this::hello));
    r.session("auth", sync(this::auth));
    r.session("wait", (s, a, spec) -> waitCommand.run(s, a));
    r.session("quit", sync(ServerCommands::quit), Trait.ACTS_ON_MULTI, Trait.TAKEN_IN_MULTI_WHEN_OOM);
    r.session("reset", sync(this::reset), Trait.ACTS_ON_MULTI, Trait.TAKEN_IN_MULTI_WHEN_OOM);
    r.session("command", sync((s, a) -> router.table().command(a)));
    r.session("client", sync(client::run));
    r.session("config", sync(config::run));
    r.session("acl", sync(acl::run));
    r.session("time", sync((s, a) -> time()));
    r.session("lastsave", sync((s, a) -> Reply.integer(stats.lastSave)));
    r.session("save", (s, a, spec) -> save.save(s, a));
    r.session("bgsave", (s, a, spec) -> save.bgsave(s, a));
    RdbTransfer transfer = new RdbTransfer(save);
    r.session("replconf", sync(transfer::replconf));
    r.session("sync", (s, a, spec) -> transfer.sync(s, a));
    r.keyspaceWide("info", (s, a, spec) -> info.render(s, a));
    r.keyspaceWide("dbsize", (s, a, spec) -> dbsize(s.db));
    r.keyspaceWide("flushdb", (s, a, spec) -> flush(s, a, s.db));
    r.keyspaceWide("flushall", (s, a, spec) -> flush(s, a, -1));
    r.keyspaceWide("keys", (s, a, spec) -> keys(s, a));
    r.keyspaceWide("scan", (s, a, spec) -> scan(s, a));
    r.keyspaceWide("randomkey", (s, a, spec) -> randomKey(s));
    r.keyspaceWide("debug", (s, a, spec) -> debug.run(s, a));
    KeyshardCommand keyshard =
        new KeyshardCommand(
            router,
            this::nonEmptySlots,
            JournalRetention.get(system),
            journal,
            system.dispatchers().lookup(DispatcherSelector.blocking()));
    r.keyspaceWide("keyshard", (s, a, spec) -> keyshard.run(a));
    transactions.register(r);
    scripts.register(r);
    pubsubCommands.register(r);
    migrate.register(r);
    new SortCommand(router).register(r);
    router.setCloseHook(transactions::unwatchAll);
    router.setGoneHook(
        s -> {
          pubsubCommands.dropAll(s);
          tracking.disable(s);
        });
  }

  /** MIGRATE's copy path: socket work on the blocking-I/O dispatcher, idle connections closed. */
  private static MigrateCopy migrateCopy(ActorSystem<?> system) {
    MigrateCopy copy = new MigrateCopy(system.dispatchers().lookup(DispatcherSelector.blocking()));
    system
        .scheduler()
        .scheduleWithFixedDelay(
            Duration.ofSeconds(1), Duration.ofSeconds(1), copy::closeIdle, system.executionContext());
    system.getWhenTerminated().thenRun(copy::closeAll);
    return copy;
  }

  SaveCommand save() {
    return save;
  }

  ScriptCommands scripts() {
    return scripts;
  }

  /** The script cache and functions, for INFO; null before the node set them. */
  io.keyshard.node.scripting.Scripts scriptEngine() {
    return router.scripts();
  }

  /** This node's client tracking (CLIENT TRACKING, invalidations). */
  public io.keyshard.node.pubsub.Tracking tracking() {
    return tracking;
  }

  /** This node's subscribers (PUBLISH from other nodes, keyspace notifications). */
  public io.keyshard.node.pubsub.PubSub pubsub() {
    return pubsub;
  }

  /** PUBLISH's delivery to the cluster's other members. */
  public void setPublishElsewhere(java.util.function.BiFunction<byte[], byte[], Integer> elsewhere) {
    pubsubCommands.setElsewhere(elsewhere);
  }

  DebugCommand debug() {
    return debug;
  }

  MigrateCommand migrate() {
    return migrate;
  }

  /** Cluster mode: MIGRATE to a member of the cluster hands the keys over (slot migration). */
  public void setMigrateInCluster(InClusterHandOver inCluster) {
    migrate.setInCluster(inCluster);
  }

  /** A standalone node's CLUSTER, READONLY and READWRITE (a cluster node's: ClusterCommands). */
  public static void registerClusterDisabled(CommandRegistry.Builder r) {
    r.session("cluster", sync((s, a) -> Err.CLUSTER_DISABLED));
    r.session("readonly", sync((s, a) -> Err.CLUSTER_DISABLED));
    r.session("readwrite", sync((s, a) -> Err.CLUSTER_DISABLED));
    r.session("asking", sync((s, a) -> Err.CLUSTER_DISABLED));
  }

  interface SyncCommand {
    Reply run(Session s, byte[][] argv);
  }

  /** A HELP reply: one simple string per line, as Redis's addReplyHelp. */
  static Reply helpReply(List<String> lines) {
    List<Reply> replies = new ArrayList<>(lines.size());
    for (String line : lines) {
      replies.add(Reply.simple(line));
    }
    return Reply.array(replies);
  }

  static SessionCommand sync(SyncCommand c) {
    return (s, argv, spec) -> CompletableFuture.completedFuture(c.run(s, argv));
  }

  private static Reply ping(Session s, byte[][] a) {
    if (a.length > 2) {
      return Err.wrongArity("ping");
    }
    if (s.proto == 2 && s.subscribed()) {
      // A subscriber's PING answers in the shape of its messages, as in Redis.
      return Reply.array(List.of(Reply.bulk("pong"), Reply.bulk(a.length == 1 ? new byte[0] : a[1])));
    }
    return a.length == 1 ? Reply.PONG : Reply.bulk(a[1]);
  }

  private static Reply select(Session s, byte[][] a) {
    try {
      s.db = KeyCommands.parseDbIndex(a[1]);
    } catch (RedisException e) {
      return e.reply();
    }
    return Reply.OK;
  }

  /**
   * HELLO [protover [AUTH user pass] [SETNAME name]]. As in Redis 7.0, the options take effect
   * one by one as they are read: an AUTH or SETNAME before a bad option (or before a failed
   * AUTH) stays applied; the protocol switches only once everything has passed.
   */
  private Reply hello(Session s, byte[][] a) {
    int proto = s.proto;
    int i = 1;
    if (a.length > 1) {
      Long v = Args.parseLongOrNull(a[1]);
      if (v == null) {
        return Err.err("Protocol version is not an integer or out of range");
      }
      if (v < 2 || v > 3) {
        return Reply.error("NOPROTO unsupported protocol version");
      }
      proto = v.intValue();
      i = 2;
    }
    for (; i < a.length; i++) {
      int more = a.length - 1 - i;
      if (is(a[i], "AUTH") && more >= 2) {
        String user = str(a[i + 1]);
        if (!router.acl().authenticate(user, a[i + 2])) {
          router.acl().logAuthFailure(s, user, a[0]);
          return Err.WRONGPASS;
        }
        s.authenticated = true;
        s.user = user;
        i += 2;
      } else if (is(a[i], "SETNAME") && more >= 1) {
        Reply bad = ClientCommand.setName(s, str(a[i + 1]));
        if (bad != null) {
          return bad;
        }
        i++;
      } else {
        return Err.err("Syntax error in HELLO option '" + str(a[i]) + "'");
      }
    }
    if (router.acl().authRequired(s)) {
      return Reply.error(
          "NOAUTH HELLO must be called with the client already authenticated, otherwise the"
              + " HELLO AUTH <user> <pass> option can be used to authenticate the client and"
              + " select the RESP protocol version at the same time");
    }
    s.proto = proto;
    return new Reply.Map(
        List.of(
            Reply.bulk("server"), Reply.bulk("redis"),
            Reply.bulk("version"), Reply.bulk(REDIS_VERSION),
            Reply.bulk("proto"), Reply.integer(proto),
            Reply.bulk("id"), Reply.integer(s.id),
            Reply.bulk("mode"), Reply.bulk("standalone"),
            Reply.bulk("role"), Reply.bulk("master"),
            Reply.bulk("modules"), Reply.EMPTY_ARRAY));
  }

  private Reply auth(Session s, byte[][] a) {
    if (a.length > 3) {
      return Err.SYNTAX;
    }
    // The one-argument form is an error without a password, so a misconfigured client notices.
    if (a.length == 2 && router.acl().defaultHasNoPassword()) {
      return Err.AUTH_NOT_CONFIGURED;
    }
    String user = a.length == 3 ? str(a[1]) : "default";
    // A user without a password (nopass) takes any, as in Redis.
    if (!router.acl().authenticate(user, a[a.length - 1])) {
      router.acl().logAuthFailure(s, user, a[0]);
      return Err.WRONGPASS;
    }
    s.authenticated = true;
    s.user = user;
    return Reply.OK;
  }

  private static Reply quit(Session s, byte[][] a) {
    s.closeAfterReply = true;
    return Reply.OK;
  }

  /**
   * Back to a fresh connection's state: database 0, RESP2, no name, the default user (signed out
   * when a password is set). As in Redis, CLIENT NO-EVICT and the CLIENT SETINFO attributes stay.
   */
  private Reply reset(Session s, byte[][] a) {
    pubsubCommands.dropAll(s);
    tracking.disable(s);
    s.multi = null;
    s.multiFailed = false;
    transactions.unwatchAll(s);
    s.db = 0;
    s.proto = 2;
    s.name = "";
    s.user = "default";
    s.authenticated = router.acl().signedInOnConnect();
    return Reply.simple("RESET");
  }

  private static Reply time() {
    Instant now = Instant.now();
    return Reply.array(
        List.of(
            Reply.bulk(Long.toString(now.getEpochSecond())),
            Reply.bulk(Long.toString(now.getNano() / 1000))));
  }

  // ---- keyspace-wide commands: ask the index which slots hold keys, then only those ----

  CompletionStage<int[]> nonEmptySlots() {
    return Futures.plain(AskPattern.<SlotIndex.Command, SlotIndex.Slots>ask(
            index, SlotIndex.GetSlots::new, timeout, system.scheduler()))
        .thenApply(SlotIndex.Slots::slots)
        .thenApply(this::servedHere);
  }

  /**
   * In cluster mode, the slots of {@code slots} this node owns now: a slot that just moved
   * away stays in the index until its hand-off is done, and asking it would address the new
   * owner's entity from here (Pekko would then place that owner's shard on this node).
   */
  private int[] servedHere(int[] slots) {
    ClusterView view = router.cluster();
    return view == null ? slots : Arrays.stream(slots).filter(view::owns).toArray();
  }

  CompletionStage<SlotEntity.Stats> stats() {
    return nonEmptySlots()
        .thenCompose(
            slots -> {
              List<CompletableFuture<SlotEntity.Stats>> parts = new ArrayList<>();
              for (int slot : slots) {
                parts.add(router.slots().stats(slot).toCompletableFuture());
              }
              return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]))
                  .thenApply(
                      v -> {
                        long[] keys = new long[SlotState.DATABASES];
                        long[] expires = new long[SlotState.DATABASES];
                        for (CompletableFuture<SlotEntity.Stats> f : parts) {
                          SlotEntity.Stats st = f.join();
                          for (int db = 0; db < keys.length; db++) {
                            keys[db] += st.keys()[db];
                            expires[db] += st.expires()[db];
                          }
                        }
                        return new SlotEntity.Stats(keys, expires);
                      });
            });
  }

  private CompletionStage<Reply> dbsize(int db) {
    return stats().thenApply(st -> Reply.integer(st.keys()[db])).exceptionally(ServerCommands::failed);
  }

  private CompletionStage<Reply> flush(Session s, byte[][] a, int db) {
    if (a.length > 2 || (a.length == 2 && !is(a[1], "ASYNC") && !is(a[1], "SYNC"))) {
      return CompletableFuture.completedFuture(Err.SYNTAX);
    }
    // One keyspace-wide transaction: every non-empty slot is flushed or none is, and no
    // client sees some slots emptied and others not (the index's barrier keeps new slots out).
    byte[][] flush = {Args.bytes("__flush"), Args.bytes(Integer.toString(db))};
    return router
        .transactions()
        .run(
            new TreeSet<>(),
            true,
            tx -> CrossSlot.inEach(tx::exec, tx.slots(), "__flush", Math.max(db, 0), slot -> flush, true))
        .thenApply(r -> flushedIfOk(s, r))
        .exceptionally(ServerCommands::failed);
  }

  /** After a FLUSHALL or FLUSHDB: every tracking client drops its whole cache, as in Redis. */
  Reply flushedIfOk(Session s, Reply r) {
    if (!r.isError()) {
      tracking.flushed(s.id);
    }
    return r;
  }

  private CompletionStage<List<byte[]>> listKeys(int db, byte[] pattern, String type, int[] slots) {
    List<CompletableFuture<SlotEntity.KeyList>> parts = new ArrayList<>();
    for (int slot : slots) {
      parts.add(router.slots().listKeys(slot, db, pattern, type).toCompletableFuture());
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]))
        .thenApply(
            v -> {
              List<byte[]> out = new ArrayList<>();
              for (CompletableFuture<SlotEntity.KeyList> f : parts) {
                out.addAll(f.join().keys());
              }
              return out;
            });
  }

  private CompletionStage<Reply> keys(Session s, byte[][] a) {
    byte[] pattern = isMatchAll(a[1]) ? null : a[1];
    int db = s.db;
    return nonEmptySlots()
        .thenCompose(slots -> listKeys(db, pattern, null, slots))
        .thenApply(Reply::bulks)
        .exceptionally(ServerCommands::failed);
  }

  private static boolean isMatchAll(byte[] p) {
    return p.length == 1 && p[0] == '*';
  }

  /**
   * SCAN walks slots in ascending order; the cursor is the next slot to visit. A call returns
   * whole slots until it has at least COUNT keys, so every key present for the whole iteration
   * is returned at least once, as Redis guarantees (and each exactly once if nothing moves).
   */
  /** SCAN's arguments once parsed; {@code pattern} null means every key. */
  record ScanOptions(long cursor, byte[] pattern, String type, long count) {}

  /** Parses SCAN's arguments; throws RedisException with Redis's error. */
  static ScanOptions parseScan(byte[][] a) {
    // Redis reads the cursor as an unsigned 64-bit number; past the last slot means "done".
    Long cursor = Args.parseLongOrNull(a[1]);
    if (cursor == null) {
      try {
        Long.parseUnsignedLong(Args.str(a[1]));
        cursor = Long.MAX_VALUE;
      } catch (NumberFormatException e) {
        throw new RedisException(Err.INVALID_CURSOR);
      }
    }
    byte[] pattern = null;
    String type = null;
    long count = 10;
    for (int i = 2; i < a.length; i++) {
      if (i + 1 >= a.length) {
        throw new RedisException(Err.SYNTAX);
      }
      if (is(a[i], "MATCH")) {
        pattern = isMatchAll(a[i + 1]) ? null : a[i + 1];
      } else if (is(a[i], "COUNT")) {
        Long c = Args.parseLongOrNull(a[i + 1]);
        if (c == null) {
          throw new RedisException(Err.NOT_INTEGER);
        }
        if (c < 1) {
          throw new RedisException(Err.SYNTAX);
        }
        count = c;
      } else if (is(a[i], "TYPE")) {
        type = str(a[i + 1]);
      } else {
        throw new RedisException(Err.SYNTAX);
      }
      i++;
    }
    return new ScanOptions(cursor, pattern, type, count);
  }

  private CompletionStage<Reply> scan(Session s, byte[][] a) {
    ScanOptions o;
    try {
      o = parseScan(a);
    } catch (RedisException e) {
      return CompletableFuture.completedFuture(e.reply());
    }
    long start = o.cursor() < 0 || o.cursor() >= Slots.SLOT_COUNT ? Slots.SLOT_COUNT : o.cursor();
    int db = s.db;
    return nonEmptySlots()
        .thenCompose(all -> scanFrom(db, o.pattern(), o.type(), o.count(), all, (int) start, new ArrayList<>()))
        .exceptionally(ServerCommands::failed);
  }

  ServerInfo info() {
    return info;
  }

  private CompletionStage<Reply> scanFrom(
      int db, byte[] pattern, String type, long want, int[] slots, int from, List<byte[]> acc) {
    // Visit non-empty slots in batches of 16 until COUNT keys are gathered or slots run out.
    List<Integer> batch = new ArrayList<>();
    int next = Slots.SLOT_COUNT;
    for (int slot : slots) {
      if (slot < from) {
        continue;
      }
      if (batch.size() == 16) {
        next = slot;
        break;
      }
      batch.add(slot);
    }
    if (batch.isEmpty()) {
      return CompletableFuture.completedFuture(scanReply(0, acc));
    }
    int[] visit = batch.stream().mapToInt(Integer::intValue).toArray();
    int resume = next;
    return listKeys(db, pattern, type, visit)
        .thenCompose(
            keys -> {
              acc.addAll(keys);
              if (resume == Slots.SLOT_COUNT) {
                return CompletableFuture.completedFuture(scanReply(0, acc));
              }
              if (acc.size() >= want) {
                return CompletableFuture.completedFuture(scanReply(resume, acc));
              }
              return scanFrom(db, pattern, type, want, slots, resume, acc);
            });
  }

  private static Reply scanReply(long cursor, List<byte[]> keys) {
    return Reply.array(List.of(Reply.bulk(Long.toString(cursor)), Reply.bulks(keys)));
  }

  private CompletionStage<Reply> randomKey(Session s) {
    int db = s.db;
    return nonEmptySlots()
        .thenCompose(slots -> randomKeyFrom(db, shuffled(slots), 0))
        .exceptionally(ServerCommands::failed);
  }

  private CompletionStage<Reply> randomKeyFrom(int db, int[] slots, int i) {
    if (i >= slots.length) {
      return CompletableFuture.completedFuture(Reply.NULL);
    }
    return router.slots()
        .randomKey(slots[i], db)
        .thenCompose(
            k ->
                k.keys().isEmpty()
                    ? randomKeyFrom(db, slots, i + 1)
                    : CompletableFuture.completedFuture(Reply.bulk(k.keys().get(0))));
  }

  private static int[] shuffled(int[] a) {
    int[] b = a.clone();
    ThreadLocalRandom r = ThreadLocalRandom.current();
    for (int i = b.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = b[i];
      b[i] = b[j];
      b[j] = t;
    }
    return b;
  }

  static Reply failed(Throwable t) {
    return Verdict.tryAgain(Retry.FAN_OUT_TIMEOUT, t.getClass().getSimpleName()).reply();
  }

  Map<String, String> keyspaceLines(SlotEntity.Stats st) {
    Map<String, String> lines = new LinkedHashMap<>();
    for (int db = 0; db < SlotState.DATABASES; db++) {
      if (st.keys()[db] > 0) {
        lines.put("db" + db, "keys=" + st.keys()[db] + ",expires=" + st.expires()[db] + ",avg_ttl=0");
      }
    }
    return lines;
  }
}
