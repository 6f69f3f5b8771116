package io.keyshard.node.server;

import io.keyshard.node.acl.Acl;
import io.keyshard.node.cluster.ClusterView;
import io.keyshard.node.cluster.ProxyClient;
import io.keyshard.node.commands.CommandRegistry.Binding;
import io.keyshard.node.commands.CommandRegistry.Kind;
import io.keyshard.node.commands.CommandRegistry.Trait;
import io.keyshard.node.commands.CommandRegistry;
import io.keyshard.node.commands.CrossSlotProgram;
import io.keyshard.node.route.Verdict;
import io.keyshard.node.slot.JournalHealth;
import io.keyshard.node.slot.Loading;
import io.keyshard.node.slot.LocalSlots;
import io.keyshard.node.slot.MemoryAccountant;
import io.keyshard.node.slot.SlotClient;
import io.keyshard.node.slot.SlotEntityId;
import io.keyshard.node.tx.Transactions;
import io.keyshard.protocol.CommandFlags;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.CommandTable;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import io.keyshard.protocol.Slots;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Decides where a request runs, in one place. The outcomes, in the order they are checked:
 * <ol>
 *   <li>unknown command or wrong arity: Redis's error, before anything else runs;
 *   <li>DEBUG while enable-debug-command forbids it (Redis's protected commands);
 *   <li>NOAUTH: a password is set, the connection has not authenticated, and the command is not
 *       flagged no_auth;
 *   <li>NOPERM: the connection's ACL user may not run the command, or not on one of its keys
 *       (the one permission check, from the command table's categories and key specs);
 *   <li>OOM: used memory is over maxmemory and the command is flagged denyoom (or is an EXEC
 *       of such a command), after the policy could not evict enough (see {@link Evictor});
 *   <li>a session command (connection state, introspection, keyspace-wide work);
 *   <li>every key in one slot: one message to that slot's entity (the fast path);
 *   <li>inside MULTI: queued (QUEUED), except the commands that act on the MULTI itself;
 *   <li>keys in several slots: an atomic transaction over those slots for the commands that
 *       support it (MGET, MSET, MSETNX, DEL, UNLINK, EXISTS, TOUCH, RENAME, RENAMENX, COPY),
 *       otherwise CROSSSLOT.
 * </ol>
 * A write is refused with TRYAGAIN, before it runs, while the journal is failing, and any
 * command for a slot that is recovering after a failed journal write (JournalHealth). While a
 * standalone node loads its data set at start, a command Redis does not allow while loading
 * (not flagged {@code loading}) first waits for its keys' slots, or without keys for the whole
 * data set, and gets LOADING if that takes longer than {@code keyshard.loading-wait}
 * (slot/Loading); it runs alone meanwhile, so a connection's requests keep their order.
 * In cluster mode, before MULTI queueing: keys owned by another node get MOVED, keys in
 * several slots CROSSSLOT, a slot nobody owns CLUSTERDOWN; each outcome is a {@link Verdict},
 * decided in {@link #verdict} (a new redirect goes there and in route/Verdict). Which handler a
 * command gets comes from the {@link CommandRegistry}; slots are reached through {@link SlotClient}.
 */
public final class Router {
  private final CommandTable table;
  private final NodeSettings settings;
  private final SlotClient slots;
  private volatile CommandRegistry commands;
  private final Acl acl;
  private volatile Transactions transactions;

  public Router(
      CommandTable table,
      ClusterSharding sharding,
      LocalSlots localSlots,
      Scheduler scheduler,
      NodeSettings settings) {
    this.table = table;
    this.settings = settings;
    this.slots = new SlotClient(sharding, localSlots, scheduler, settings.requestTimeout());
    this.acl = new Acl(table, settings.aclUsers(), settings.requirePass(), settings.aclPubsubDefaultAll());
  }

  /** How this node reaches its slots: everything below the router asks them through it. */
  public SlotClient slots() {
    return slots;
  }

  public NodeSettings settings() {
    return settings;
  }

  /** The node's ACL users: AUTH, the permission check in {@link #dispatch}, ACL commands. */
  public Acl acl() {
    return acl;
  }

  private volatile CommandStats commandStats = new CommandStats();

  /** INFO commandstats, errorstats and latencystats: counted here for every client command. */
  public void setCommandStats(CommandStats stats) {
    this.commandStats = stats;
  }

  public CommandStats commandStats() {
    return commandStats;
  }

  /** Refused before it ran: Redis's rejected_calls. */
  private CompletionStage<Reply> refused(CommandSpec spec, Reply r) {
    commandStats.rejected(spec);
    return done(r);
  }

  /** Every command's handler and kind, checked against the table at start-up. */
  public void setCommands(CommandRegistry commands) {
    this.commands = commands;
  }

  public CommandRegistry commands() {
    return commands;
  }

  public CommandTable table() {
    return table;
  }

  public Route route(byte[][] argv) {
    long asked = cluster == null ? -1 : AskedForward.migrationOf(argv);
    if (asked >= 0) {
      // Forwarded by the node importing the slot, after its client's ASKING: the request inside.
      Route inner = route(AskedForward.inner(argv));
      return inner.invalid() != null
          ? inner
          : new Route(null, inner.top(), inner.spec(), inner.binding(), inner.slots(), inner.evictFirst(), asked);
    }
    Reply invalid = table.check(argv);
    if (invalid != null) {
      return new Route(invalid, null, null, null, null, false);
    }
    CommandSpec top = table.lookup(argv[0]);
    CommandSpec spec = table.resolve(argv);
    // Decided on arrival, so that a request that must wait for an eviction runs alone and
    // keeps its place in the pipeline (see keepsOrder).
    boolean evictFirst =
        evictor != null
            && evictor.over()
            && evictor.evicts()
            && (top.flags().contains(CommandFlags.DENYOOM) || top.name().equals("exec"));
    return new Route(
        null, top, spec, commands.get(top.name()), slotsOf(argv, table.keyPositions(spec, argv)), evictFirst);
  }

  private volatile Evictor evictor;

  /** A replica's reads of its primary's slots (READONLY); null: none. */
  @FunctionalInterface
  public interface ReplicaReads {
    /** The reply, or null if this node cannot serve that slot's reads (then MOVED). */
    Reply read(String primaryId, int slot, int db, String name, byte[][] argv);
  }

  private volatile ReplicaReads replicaReads;

  public void setReplicaReads(ReplicaReads reads) {
    this.replicaReads = reads;
  }

  /** The used memory of the slots running here (maxmemory, INFO memory). */
  public MemoryAccountant memory() {
    return slots.localSlots().memory();
  }

  public void setEvictor(Evictor evictor) {
    this.evictor = evictor;
  }

  public Evictor evictor() {
    return evictor;
  }

  /** Inside MULTI, as Redis: queueing takes memory too, so any other command is refused. */
  private static boolean queuesInMulti(Session s, Binding binding) {
    return s.multi != null && !binding.has(Trait.TAKEN_IN_MULTI_WHEN_OOM);
  }

  /** Redis's is_denyoom_command: denyoom, or an EXEC whose queue holds a denyoom command. */
  private boolean denyoom(Session s, CommandSpec top) {
    if (top.flags().contains(CommandFlags.DENYOOM)) {
      return true;
    }
    if (top.name().equals("exec") && s.multi != null) {
      for (byte[][] queued : s.multi) {
        CommandSpec q = table.lookup(queued[0]);
        if (q != null && q.flags().contains(CommandFlags.DENYOOM)) {
          return true;
        }
      }
    }
    return false;
  }

  public CompletionStage<Reply> dispatch(Session s, byte[][] argv, Route route) {
    if (route.invalid() != null) {
      if (s.multi == null) {
        s.asking = false; // any command ends ASKING's turn, as in Redis
      }
      // A rejected command inside MULTI dooms the transaction: EXEC answers EXECABORT.
      s.flagMultiError();
      CommandSpec named = argv.length == 0 ? null : table.lookup(argv[0]);
      if (named != null
          && route.invalid() instanceof Reply.Error e
          && e.text().startsWith("ERR wrong number of arguments")) {
        // Wrong arity counts against the command (an unknown command or subcommand: nowhere).
        CommandSpec sub = table.resolve(argv);
        commandStats.rejected(sub != null ? sub : named);
      }
      if (named != null && named.name().equals("exec")) {
        // A rejected EXEC itself ends the transaction and forgets the WATCHes, as in Redis.
        s.multi = null;
        s.multiFailed = false;
        closeHook.accept(s);
      }
      return done(route.invalid());
    }
    return dispatchValid(
        s, route.asked() >= 0 ? AskedForward.inner(argv) : argv, route, asking(s, route.top()));
  }

  /**
   * Whether this command is asked (ASKING came just before it, or the command is flagged
   * {@code asking}, as RESTORE-ASKING), and ends ASKING's turn: one command, or inside MULTI
   * until EXEC (Redis's resetClient).
   */
  private static boolean asking(Session s, CommandSpec top) {
    boolean asked = s.asking || top.flags().contains("asking");
    String name = top.name();
    boolean inMulti = s.multi != null || name.equals("multi");
    if (!name.equals("asking") && (!inMulti || name.equals("exec") || name.equals("discard"))) {
      s.asking = false;
    }
    return asked;
  }

  private CompletionStage<Reply> dispatchValid(
      Session s, byte[][] argv, Route route, boolean asking) {
    CommandSpec top = route.top();
    CommandSpec spec = route.spec();
    Reply unprotected = ProtectedCommands.refusal(settings, s, top);
    if (unprotected != null) {
      s.flagMultiError();
      return refused(spec, unprotected);
    }
    if (!top.flags().contains("no_auth") && acl.authRequired(s)) {
      s.flagMultiError();
      return refused(spec, Err.NOAUTH);
    }
    // Set before the check, as Redis does, so that an ACL LOG entry's client-info names it.
    s.lastCommand = spec.fullName();
    s.lastCommandAt = System.currentTimeMillis();
    Reply denied = acl.check(s, top, spec, argv);
    if (denied != null) {
      s.flagMultiError();
      return refused(spec, denied);
    }
    if (cluster != null && (spec.isWrite() || spec.flags().contains("may_replicate"))) {
      noteWrite(s, route);
    }
    Reply busy = busy(s, top, argv);
    if (busy != null) {
      return refused(spec, busy);
    }
    if (s.proto == 2 && s.subscribed() && !SUBSCRIBED_CONTEXT.contains(top.name())) {
      s.flagMultiError();
      return refused(spec, new Verdict.SubscribedContext(spec.fullName()).reply());
    }
    Verdict verdict = verdict(s, route, asking);
    if (verdict instanceof Verdict.Proxied p) {
      return proxy.forward(p.host(), p.port(), s.db, s.proto, argv);
    }
    if (verdict instanceof Verdict.Forwarded f) {
      // ASKING on the importing node: the source's slot runs it (docs/decisions/
      // 2026-12-06-slot-migration-protocol.md); its reply passes back unchanged.
      return askForwarder.forward(f.host(), f.port(), s.db, s.proto, AskedForward.wrap(f.migration(), argv));
    }
    if (verdict instanceof Verdict.ReplicaRead r) {
      Reply read = replicaReads.read(r.primaryId(), r.slot(), s.db, top.name(), argv);
      if (read != null) {
        return done(read);
      }
      verdict = r.otherwise();
    }
    if (verdict instanceof Verdict.Parked p) {
      // The slot is being handed to another node: wait for that, then ask again (MOVED).
      return park(p.slot(), () -> dispatchValid(s, argv, route, asking));
    }
    if (verdict.refuses()) {
      s.flagMultiError();
      return refused(spec, verdict.reply());
    }
    Loading loading = this.loading;
    if (mustWaitForLoading(loading, route)) {
      // Redis answers LOADING to this while it loads its data set; here it waits for what it
      // touches (its keys' slots; without keys, everything) within a bound, and gets LOADING
      // only if that passes: nothing was run.
      return loading
          .await(route.slots())
          .thenCompose(
              loaded -> {
                if (loaded) {
                  return afterLoading(s, argv, route);
                }
                s.flagMultiError();
                return refused(spec, new Verdict.Loading().reply());
              });
    }
    return afterLoading(s, argv, route);
  }

  /**
   * Remembers where a write of this connection may land, for WAIT: its keys' slots, or
   * everywhere for a write without keys or a script (which may write keys it did not declare).
   * Noted before the write runs; a write that then fails only makes WAIT wait for more.
   */
  private static void noteWrite(Session s, Route route) {
    String name = route.top().name();
    boolean script = name.startsWith("eval") || name.startsWith("fcall");
    if (route.slots().isEmpty() || script) {
      s.wroteEverywhere = true;
      return;
    }
    synchronized (s.writtenSlots) {
      for (int slot : route.slots()) {
        s.writtenSlots.set(slot);
      }
    }
  }

  private volatile io.keyshard.node.scripting.Scripts scripts;

  /** What a RESP2 connection with a subscription may still send, as in Redis. */
  private static final java.util.Set<String> SUBSCRIBED_CONTEXT =
      java.util.Set.of(
          "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "ping", "quit", "reset");

  private volatile io.keyshard.node.pubsub.Tracking tracking;

  /** This node's client tracking (docs/decisions/2026-12-07-client-tracking.md). */
  public void setTracking(io.keyshard.node.pubsub.Tracking tracking) {
    this.tracking = tracking;
  }

  public io.keyshard.node.pubsub.Tracking tracking() {
    return tracking;
  }

  public void setScripts(io.keyshard.node.scripting.Scripts scripts) {
    this.scripts = scripts;
  }

  /** The node's scripts and functions (INFO memory's counts); null before they are set. */
  public io.keyshard.node.scripting.Scripts scripts() {
    return scripts;
  }

  /**
   * While a script has run longer than busy-reply-threshold, Redis's BUSY for every command not
   * flagged allow_busy (SHUTDOWN only with NOSAVE); inside MULTI the transaction is doomed.
   */
  private Reply busy(Session s, CommandSpec top, byte[][] argv) {
    io.keyshard.node.scripting.Scripts sc = scripts;
    if (sc == null || !sc.busy()) {
      return null;
    }
    String name = top.name();
    boolean allowed;
    if (name.equals("shutdown")) {
      allowed = false;
      for (int i = 1; i < argv.length; i++) {
        allowed |= io.keyshard.node.commands.Args.is(argv[i], "NOSAVE");
      }
    } else {
      CommandSpec sub = table.resolve(argv);
      allowed = sub != null && sub.flags().contains("allow_busy");
    }
    if (allowed) {
      if (name.equals("shutdown")) {
        sc.stopForShutdown();
      }
      return null;
    }
    if (name.equals("exec") && s.multi != null) {
      s.multi = null;
      s.multiFailed = false;
      closeHook.accept(s);
      return Reply.error("EXECABORT Transaction discarded because of: " + sc.busyText());
    }
    s.flagMultiError();
    return Reply.error(sc.busyText());
  }

  /** While the node loads its data set: whether this request must wait for part of it. */
  private static boolean mustWaitForLoading(Loading loading, Route route) {
    return loading.active()
        && !route.top().flags().contains(CommandFlags.LOADING)
        && !loading.ready(route.slots());
  }

  private CompletionStage<Reply> afterLoading(Session s, byte[][] argv, Route route) {
    CommandSpec top = route.top();
    Evictor ev = evictor;
    if (ev != null && ev.over() && (denyoom(s, top) || queuesInMulti(s, route.binding()))) {
      if (route.evictFirst()) {
        // Evict by the policy first (this request runs alone, see keepsOrder), then run.
        return ev.makeRoom()
            .thenCompose(room -> room ? afterMemoryCheck(s, argv, route) : oom(s, top));
      }
      if (!ev.evicts()) {
        return oom(s, top);
      }
      // Over the limit only since it arrived: it must keep its place, so it runs now and the
      // eviction runs beside it (the overshoot is this request).
      ev.makeRoom();
    }
    return afterMemoryCheck(s, argv, route);
  }

  /**
   * Where a request goes, by this node's copy of the slot table (standalone: here). Keys owned
   * elsewhere are redirected, also inside MULTI (as Redis does, which then fails the EXEC).
   */
  private Verdict verdict(Session s, Route route, boolean asking) {
    ClusterView view = cluster;
    if (view == null) {
      return Verdict.SERVED_HERE;
    }
    SortedSet<Integer> slots = route.slots();
    Verdict redirect = view.verdict(slots);
    if (redirect.refuses()) {
      ClusterView.Node owner = slots.size() == 1 ? view.table().owner(slots.first()) : null;
      CommandSpec top = route.top();
      Kind kind = route.binding().kind();
      boolean plainKeyed = kind != Kind.BLOCKING && !kind.atConnection();
      if (asking && redirect instanceof Verdict.Moved && s.multi == null && plainKeyed && route.asked() < 0) {
        // ASKING for a slot this node imports from its owner: the owner's slot serves it, as
        // the only writer until SETSLOT NODE. Anything else asked gets MOVED, as in Redis.
        long migration = view.importing(slots.first());
        if (migration >= 0) {
          return new Verdict.Forwarded(slots.first(), owner.host(), owner.port(), migration);
        }
      }
      if (proxy != null && owner != null && s.multi == null && plainKeyed) {
        // Proxy mode: run it on the owner, for clients that do not follow MOVED.
        return new Verdict.Proxied(owner.host(), owner.port());
      }
      if (replicaReads != null
          && s.readonly
          && s.multi == null
          && owner != null
          && top.flags().contains(CommandFlags.READONLY)
          && plainKeyed) {
        // READONLY on a replica: a read of its primary's slot is served from the warm copy.
        return new Verdict.ReplicaRead(owner.id(), slots.first(), redirect);
      }
      return redirect;
    }
    if (!slots.isEmpty() && moving.containsKey(slots.first())) {
      return new Verdict.Parked(slots.first());
    }
    return Verdict.SERVED_HERE;
  }

  private CompletionStage<Reply> oom(Session s, CommandSpec top) {
    // Refused before running: nothing is persisted; inside MULTI the EXEC will fail.
    s.flagMultiError();
    commandStats.rejected(top);
    if (top.name().equals("exec") && s.multi != null) {
      // As Redis's execCommandAbort: the transaction is discarded and its WATCHes forgotten.
      s.multi = null;
      s.multiFailed = false;
      closeHook.accept(s);
      return done(Reply.error("EXECABORT Transaction discarded because of: " + Err.OOM_TEXT));
    }
    return done(Err.OOM);
  }

  private CompletionStage<Reply> afterMemoryCheck(Session s, byte[][] argv, Route route) {
    CommandSpec top = route.top();
    CommandSpec spec = route.spec();
    Binding binding = route.binding();
    if (s.multi != null && !binding.has(Trait.ACTS_ON_MULTI)) {
      if (top.flags().contains(CommandFlags.NO_MULTI)) {
        // SHUTDOWN, SAVE, ... are refused, not queued, and doom the transaction, as in Redis
        // (a SHUTDOWN queued and run by EXEC would stop the node).
        s.flagMultiError();
        return refused(spec, Reply.error("ERR Command not allowed inside a transaction"));
      }
      s.multi.add(argv);
      return done(Reply.QUEUED);
    }
    if (spec.isWrite() && route.slots().size() != 1 && !slots.journal().admitsWrite()) {
      // The journal is failing: refused before it runs anywhere (one slot's writes: execInSlot).
      return refused(spec, JournalHealth.NOT_APPLIED);
    }
    // From here it runs: counted when its reply is made (a blocked command when it is served).
    long start = System.nanoTime();
    CommandStats counted = commandStats;
    if (binding.kind() == Kind.BLOCKING) {
      counted.called(spec);
      return run(s, argv, route)
          .whenComplete((r, t) -> counted.completed(spec, start, t == null ? r : null));
    }
    return run(s, argv, route)
        .whenComplete((r, t) -> counted.ran(spec, start, t == null ? r : null));
  }

  private CompletionStage<Reply> run(Session s, byte[][] argv, Route route) {
    CommandSpec top = route.top();
    CommandSpec spec = route.spec();
    Binding binding = route.binding();
    // CLIENT CACHING holds for the one command after it (a MULTI's until its EXEC), as in Redis.
    boolean caching = s.trackingCaching;
    if (s.tracking != null) {
      s.trackingCachingNow = caching; // what EXEC and scripts decide with
    }
    if (caching && !top.name().equals("client")) {
      s.trackingCaching = false;
    }
    if (binding.kind().atConnection()) {
      return binding.session().run(s, argv, spec);
    }
    if (blocking != null && binding.kind() == Kind.BLOCKING) {
      return blocking.run(s, argv, route);
    }
    SortedSet<Integer> keySlots = route.slots();
    if (route.asked() >= 0 && keySlots.size() == 1) {
      // Forwarded after ASKING on the importing node: decided in the slot with its rules.
      return slots.execAsked(keySlots.first(), top.name(), s.db, argv, spec.isWrite(), route.asked());
    }
    if (s.tracking != null) {
      return runTracked(s, argv, route, caching);
    }
    if (keySlots.size() == 1 && spec.isReadonly() && s.nothingEarlierUnanswered()) {
      return slots.readInSlot(keySlots.first(), top.name(), s.db, argv);
    }
    return runKeyed(s.db, argv, route);
  }

  /**
   * A keyed command of a tracking client (docs/decisions/2026-12-07-client-tracking.md): in one
   * slot, the slot remembers the keys a read saw as it answers it, and knows who wrote (NOLOOP);
   * over several slots, the keys are remembered once the reply is made.
   */
  private CompletionStage<Reply> runTracked(Session s, byte[][] argv, Route route, boolean caching) {
    CommandSpec top = route.top();
    CommandSpec spec = route.spec();
    SortedSet<Integer> keySlots = route.slots();
    byte[][] tracked =
        spec.isReadonly()
            ? io.keyshard.node.pubsub.Tracking.keysToRemember(s, caching, argv, table.keyPositions(spec, argv))
            : null;
    if (keySlots.size() == 1) {
      return spec.isReadonly() && s.nothingEarlierUnanswered()
          ? slots.readInSlot(keySlots.first(), top.name(), s.db, argv, s.id, tracked)
          : slots.execInSlot(keySlots.first(), top.name(), s.db, argv, spec.isWrite(), s.id, tracked);
    }
    CompletionStage<Reply> reply = runKeyed(s.db, argv, route, s.id);
    if (tracked == null) {
      return reply;
    }
    return reply.thenApply(
        r -> {
          tracking.rememberAfter(s, tracked);
          return r;
        });
  }

  /** Runs a keyed command where its keys are: one slot, or a transaction over several. */
  public CompletionStage<Reply> runKeyed(int db, byte[][] argv, Route route) {
    return runKeyed(db, argv, route, 0);
  }

  /** {@link #runKeyed(int, byte[][], Route)} for client {@code by} (client tracking's NOLOOP; 0: none). */
  private CompletionStage<Reply> runKeyed(int db, byte[][] argv, Route route, long by) {
    CommandSpec top = route.top();
    CommandSpec spec = route.spec();
    SortedSet<Integer> keySlots = route.slots();
    if (keySlots.isEmpty()) {
      // A keyless form of a keyed command (OBJECT HELP): any slot can answer it.
      return slots.execInSlot(0, top.name(), db, argv, false);
    }
    if (keySlots.size() == 1) {
      return slots.execInSlot(keySlots.first(), top.name(), db, argv, spec.isWrite());
    }
    CrossSlotProgram program = route.binding().crossSlot();
    if (program != null) {
      return transactions.run(
          keySlots,
          tx -> {
            tx.by(by);
            return program.run(tx::exec, db, argv, spec);
          });
    }
    return done(Verdict.CROSS_SLOT.reply());
  }

  /**
   * Whether a request keeps its place in a pipeline by itself: dispatch hands it to at most one
   * slot before returning (or answers it outright), and a slot takes one connection's requests in
   * the order they were sent. A request over several slots, a keyspace-wide one, or a session
   * command that may finish later does not; RespServer runs those alone. Decided from the request
   * only, since earlier requests of the pipeline may still change the session (MULTI, AUTH).
   */
  public boolean keepsOrder(Route route) {
    if (route.invalid() != null) {
      return true;
    }
    if (route.evictFirst()) {
      return false; // it waits for an eviction before it is handed to its slot
    }
    if (mustWaitForLoading(loading, route)) {
      return false; // it waits for its slots to load before it is handed to one
    }
    Binding binding = route.binding();
    if (binding.kind() == Kind.BLOCKING) {
      return false; // a blocked client runs nothing else until it is served, as in Redis
    }
    ClusterView view = cluster;
    if (proxy != null && view != null && route.slots().size() == 1 && !view.owns(route.slots().first())) {
      return false; // proxied over another connection: runs alone, so it keeps its place
    }
    if (view != null && route.slots().size() == 1 && view.importing(route.slots().first()) >= 0) {
      return false; // may be forwarded to the slot's owner (after ASKING): runs alone
    }
    if (binding.kind().atConnection()) {
      return binding.has(Trait.ANSWERS_IN_ORDER);
    }
    return route.slots().size() <= 1;
  }

  public static SortedSet<Integer> slotsOf(byte[][] argv, int[] keys) {
    SortedSet<Integer> slots = new TreeSet<>();
    for (int k : keys) {
      slots.add(Slots.slot(argv[k]));
    }
    return slots;
  }

  private volatile Consumer<Session> closeHook = s -> {};

  /** Forgets a connection's WATCHes: when it closes, and when its EXEC is rejected. */
  public void setCloseHook(Consumer<Session> hook) {
    this.closeHook = hook;
  }

  public void closed(Session s) {
    inputClosed(s);
    closeHook.accept(s);
    goneHook.accept(s);
  }

  private volatile Consumer<Session> goneHook = s -> {};

  /** Forgets what a closed connection left behind beyond its WATCHes (its subscriptions). */
  public void setGoneHook(Consumer<Session> hook) {
    this.goneHook = hook;
  }

  /** The client sent its last byte (or is gone): it waits for nothing any more. */
  public void inputClosed(Session s) {
    if (blocking != null) {
      blocking.closed(s);
    }
  }

  private volatile Blocking blocking;

  private volatile Loading loading = Loading.none();

  /** A standalone node's load of its data set at start (slot/Loading). */
  public void setLoading(Loading loading) {
    this.loading = loading;
  }

  public Loading loading() {
    return loading;
  }

  /** What the slots report about the journal (docs/decisions/2026-11-22-journal-faults.md). */
  public void setJournal(JournalHealth journal) {
    slots.setJournal(journal);
  }

  public JournalHealth journal() {
    return slots.journal();
  }

  private volatile ClusterView cluster;
  private volatile ProxyClient proxy;

  /** Cluster proxy mode: commands for slots owned elsewhere run there instead of MOVED. */
  public void setProxy(ProxyClient proxy) {
    this.proxy = proxy;
  }

  private volatile ProxyClient askForwarder;

  /** Cluster mode: how requests asked for a slot this node imports reach the slot's owner. */
  public void setAskForwarder(ProxyClient forwarder) {
    this.askForwarder = forwarder;
  }

  // ---- Slots being handed to another node (cluster mode) ----

  /** Per moving slot: the gate that opens when the move is over, and the last request parked. */
  private final ConcurrentHashMap<Integer, CompletableFuture<Void>> moving =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Integer, CompletableFuture<?>> parkedTail =
      new ConcurrentHashMap<>();

  /**
   * From now on, requests for these slots wait until {@link #endMove}; answers each slot's gate
   * (one already parked keeps its own).
   */
  public Map<Integer, CompletableFuture<Void>> beginMove(Collection<Integer> moved) {
    Map<Integer, CompletableFuture<Void>> gates = new HashMap<>();
    for (int slot : moved) {
      gates.put(slot, moving.computeIfAbsent(slot, s -> new CompletableFuture<>()));
    }
    return gates;
  }

  /**
   * Ends a slot's move only if {@code gate} is still its gate: the time limit of one move must
   * not open a later move of the same slot in the middle of its hand-off.
   */
  public void endMove(int slot, CompletableFuture<Void> gate) {
    if (moving.remove(slot, gate)) {
      gate.complete(null);
    }
  }

  /** The move of a slot is over (it has a new owner, or it failed): parked requests run again. */
  public void endMove(int slot) {
    CompletableFuture<Void> gate = moving.remove(slot);
    if (gate != null) {
      gate.complete(null);
    }
  }

  public boolean isMoving(int slot) {
    return moving.containsKey(slot);
  }

  /** Queues a request behind the slot's gate, in arrival order (one after the other). */
  private CompletionStage<Reply> park(int slot, Supplier<CompletionStage<Reply>> again) {
    synchronized (parkedTail) {
      CompletableFuture<Void> gate = moving.get(slot);
      CompletableFuture<?> previous = parkedTail.getOrDefault(slot, gate == null ? CompletableFuture.completedFuture(null) : gate);
      CompletableFuture<Reply> next =
          previous.handle((v, t) -> null).thenCompose(v -> again.get().toCompletableFuture());
      parkedTail.put(slot, next);
      next.whenComplete((r, t) -> parkedTail.remove(slot, next));
      return next;
    }
  }

  /** Cluster mode: route by this node's copy of the slot table. */
  public void setCluster(ClusterView view) {
    this.cluster = view;
    slots.setIncarnations(
        new SlotClient.Incarnations() {
          @Override
          public long epoch(int slot) {
            return view.table().slotEpoch(slot);
          }

          @Override
          public SlotEntityId id(int slot) {
            return view.entityId(slot);
          }
        });
  }

  public ClusterView cluster() {
    return cluster;
  }

  public void setBlocking(Blocking blocking) {
    this.blocking = blocking;
  }

  public Blocking blocking() {
    return blocking;
  }

  public Transactions transactions() {
    return transactions;
  }

  public void setTransactions(Transactions transactions) {
    this.transactions = transactions;
  }

  static CompletionStage<Reply> done(Reply r) {
    return CompletableFuture.completedFuture(r);
  }
}
