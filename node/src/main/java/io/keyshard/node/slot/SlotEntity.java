package io.keyshard.node.slot;

import io.keyshard.node.CborSerializable;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotSnapshot;
import io.keyshard.persistence.SlotState;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Glob;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.persistence.typed.SnapshotAdapter;

/**
 * One hash slot: its keys in all 16 databases, as an event-sourced actor under Cluster Sharding.
 *
 * <p>A command body ({@link SlotCommand}) runs against the live state and emits events, which
 * are applied at once (so the body sees its own effects) and then persisted; the reply goes out
 * only after the journal has them. Writes that arrive together are persisted together (group
 * commit, as Redis fsyncs once per event-loop turn), and while a batch is open or in flight
 * every reply waits for it, reads included, so nobody observes a write before it is durable. If
 * a persist fails the actor stops, dropping the unpersisted state; the next message recovers it
 * from the journal.
 *
 * <p>The slot keeps the node's {@link SlotIndex} exact enough: it registers (durably) before its
 * first write and unregisters after a write that left it empty. Active expiry runs on a timer
 * aimed at the earliest expiry, at most ten times a second, and persists what it removes.
 */
public final class SlotEntity
    extends EventSourcedBehaviorWithEnforcedReplies<SlotEntity.Command, SlotEvent, SlotState> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "slot");

  public sealed interface Command extends CborSerializable {}

  /** Runs a command body; {@code name} is the table's lowercase name, {@code write} its flag. */
  public record Exec(String name, int db, byte[][] argv, boolean write, ActorRef<Reply> replyTo)
      implements Command {}

  /** Per-database key and volatile-key counts (DBSIZE, INFO keyspace). */
  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  public record Stats(long[] keys, long[] expires) implements CborSerializable {}

  /** Live keys of a database matching a glob (null = all) and a type (null = any). */
  public record ListKeys(int db, byte[] pattern, String type, ActorRef<KeyList> replyTo)
      implements Command {}

  public record KeyList(List<byte[]> keys) implements CborSerializable {}

  /** One live key of the database chosen at random, or an empty list. */
  public record RandomKey(int db, ActorRef<KeyList> replyTo) implements Command {}

  /** Removes every key of one database, or of all (db == -1). */
  public record Flush(int db, ActorRef<Done> replyTo) implements Command {}

  private enum ExpireTick implements Command {
    INSTANCE
  }

  private record Registered() implements Command {}

  private enum FlushBatch implements Command {
    INSTANCE
  }

  /** What every slot shares on a node: the command bodies, the index, tuning. */
  public record Settings(
      Map<String, SlotCommand> commands,
      ActorRef<SlotIndex.Command> index,
      int snapshotEvery,
      int expireBatch,
      Duration expireInterval,
      int maxBatch) {}

  public static PersistenceId persistenceId(int slot) {
    return PersistenceId.ofUniqueId("slot-" + slot);
  }

  public static Behavior<Command> create(int slot, Settings settings) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new SlotEntity(slot, settings, ctx, timers)));
  }

  private final int slot;
  private final Settings settings;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ActorRef<Done> registeredAdapter;

  /** Events applied by a command body and not yet passed through the event handler. */
  private int preApplied;

  /** Whether this incarnation has seen its slot's registration in the index acknowledged. */
  private boolean registered;

  private boolean registering;

  /**
   * Group commit: events emitted since the last persist, and the replies that must wait for
   * them. Replies to reads wait too while a batch is open, so nobody sees a write before it is
   * durable. A {@link FlushBatch} sent to self persists the batch after the mailbox's current
   * contents have joined it.
   */
  private final List<SlotEvent> batchEvents = new ArrayList<>();
  private final List<Runnable> batchReplies = new ArrayList<>();
  private boolean flushScheduled;

  private long expireTimerAt;
  private long lastExpireRun;

  private SlotEntity(
      int slot, Settings settings, ActorContext<Command> ctx, TimerScheduler<Command> timers) {
    super(persistenceId(slot));
    this.slot = slot;
    this.settings = settings;
    this.ctx = ctx;
    this.timers = timers;
    this.registeredAdapter = ctx.messageAdapter(Done.class, d -> new Registered());
  }

  @Override
  public SlotState emptyState() {
    return new SlotState();
  }

  @Override
  public CommandHandlerWithReply<Command, SlotEvent, SlotState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Exec.class, this::onExec)
        .onCommand(GetStats.class, this::onStats)
        .onCommand(ListKeys.class, this::onListKeys)
        .onCommand(RandomKey.class, this::onRandomKey)
        .onCommand(Flush.class, this::onFlush)
        .onCommand(ExpireTick.class, (state, t) -> onExpireTick(state))
        .onCommand(FlushBatch.class, (state, f) -> flushBatch())
        .onCommand(Registered.class, (state, r) -> onRegistered())
        .build();
  }

  private ReplyEffect<SlotEvent, SlotState> onExec(SlotState state, Exec cmd) {
    if (registering || (cmd.write() && !registered)) {
      // Everything waits behind the registration, reads too, so that a read pipelined after a
      // write on the same connection still sees that write.
      return awaitRegistration();
    }
    SlotCommand body = settings.commands().get(cmd.name());
    if (body == null) {
      return Effect().reply(cmd.replyTo(), Err.err("unknown command '" + cmd.name() + "'"));
    }
    long now = System.currentTimeMillis();
    SlotContext c = new SlotContext(state, cmd.db(), cmd.argv(), now, cmd.write());
    Reply reply;
    try {
      reply = body.run(c);
    } catch (RedisException e) {
      reply = e.reply();
    } catch (RuntimeException e) {
      // A bug in a body must not take the slot down; what it emitted so far is still consistent.
      ctx.getLog().error("Command {} failed in slot {}", cmd.name(), slot, e);
      reply = Err.err("internal error: " + e.getClass().getSimpleName());
    }
    return answer(c.events(), cmd.replyTo(), reply);
  }

  /**
   * Replies at once when nothing is waiting to be persisted; otherwise joins the open batch and
   * replies once the batch is in the journal.
   */
  private <T> ReplyEffect<SlotEvent, SlotState> answer(
      List<SlotEvent> events, ActorRef<T> replyTo, T reply) {
    if (events.isEmpty() && batchEvents.isEmpty()) {
      return Effect().reply(replyTo, reply);
    }
    batchEvents.addAll(events);
    batchReplies.add(() -> replyTo.tell(reply));
    if (batchEvents.size() >= settings.maxBatch()) {
      return flushBatch();
    }
    if (!flushScheduled) {
      flushScheduled = true;
      ctx.getSelf().tell(FlushBatch.INSTANCE);
    }
    return Effect().noReply();
  }

  private ReplyEffect<SlotEvent, SlotState> flushBatch() {
    flushScheduled = false;
    if (batchEvents.isEmpty()) {
      return Effect().noReply();
    }
    List<SlotEvent> events = List.copyOf(batchEvents);
    List<Runnable> replies = List.copyOf(batchReplies);
    batchEvents.clear();
    batchReplies.clear();
    preApplied += events.size();
    return Effect()
        .persist(events)
        .thenRun(
            s -> {
              replies.forEach(Runnable::run);
              afterWrite(s);
            })
        .thenNoReply();
  }

  private ReplyEffect<SlotEvent, SlotState> awaitRegistration() {
    if (!registering) {
      registering = true;
      settings.index().tell(new SlotIndex.Register(slot, registeredAdapter));
    }
    return Effect().stash();
  }

  private ReplyEffect<SlotEvent, SlotState> onRegistered() {
    registering = false;
    registered = true;
    // The javadsl offers no unstash that is also a ReplyEffect; Pekko's effects implement both.
    return (ReplyEffect<SlotEvent, SlotState>) Effect().unstashAll();
  }

  /** After a persisted write: keep the index and the expiry timer in step with the state. */
  private void afterWrite(SlotState state) {
    if (registered && state.isEmpty()) {
      registered = false;
      settings.index().tell(new SlotIndex.Unregister(slot));
    }
    scheduleExpiry(state);
  }

  private void scheduleExpiry(SlotState state) {
    long next = state.nextExpiry();
    if (next == 0) {
      if (expireTimerAt != 0) {
        timers.cancel(ExpireTick.INSTANCE);
        expireTimerAt = 0;
      }
      return;
    }
    // Aim at the earliest expiry, but run the cycle at most once per interval.
    long at = Math.max(next, lastExpireRun + settings.expireInterval().toMillis());
    if (expireTimerAt != 0 && expireTimerAt <= at) {
      return;
    }
    expireTimerAt = at;
    long delay = Math.max(1, at - System.currentTimeMillis());
    timers.startSingleTimer(ExpireTick.INSTANCE, ExpireTick.INSTANCE, Duration.ofMillis(delay));
  }

  private ReplyEffect<SlotEvent, SlotState> onExpireTick(SlotState state) {
    expireTimerAt = 0;
    long now = System.currentTimeMillis();
    lastExpireRun = now;
    List<SlotEvent> events = new ArrayList<>();
    for (int db = 0; db < SlotState.DATABASES; db++) {
      Keyspace ks = state.db(db);
      if (ks == null || ks.volatileCount() == 0) {
        continue;
      }
      List<byte[]> due = ks.dueKeys(now, settings.expireBatch());
      if (!due.isEmpty()) {
        SlotEvent e = new SlotEvent.KeysExpired(db, due);
        state.apply(e, now);
        events.add(e);
      }
    }
    if (events.isEmpty()) {
      scheduleExpiry(state);
      return Effect().noReply();
    }
    batchEvents.addAll(events);
    return flushBatch();
  }

  private ReplyEffect<SlotEvent, SlotState> onStats(SlotState state, GetStats cmd) {
    if (registering) {
      return Effect().stash();
    }
    long[] keys = new long[SlotState.DATABASES];
    long[] expires = new long[SlotState.DATABASES];
    for (int db = 0; db < SlotState.DATABASES; db++) {
      Keyspace ks = state.db(db);
      if (ks != null) {
        keys[db] = ks.size();
        expires[db] = ks.volatileCount();
      }
    }
    return answer(List.of(), cmd.replyTo(), new Stats(keys, expires));
  }

  private ReplyEffect<SlotEvent, SlotState> onListKeys(SlotState state, ListKeys cmd) {
    if (registering) {
      return Effect().stash();
    }
    Keyspace ks = state.db(cmd.db());
    List<byte[]> out = new ArrayList<>();
    if (ks != null) {
      long now = System.currentTimeMillis();
      for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
        Keyspace.Entry entry = e.getValue();
        byte[] key = e.getKey().array();
        if (entry.isExpired(now)
            || (cmd.type() != null && !cmd.type().equalsIgnoreCase(entry.value.typeName()))
            || (cmd.pattern() != null && !Glob.match(cmd.pattern(), key, false))) {
          continue;
        }
        out.add(key);
      }
    }
    return answer(List.of(), cmd.replyTo(), new KeyList(out));
  }

  private ReplyEffect<SlotEvent, SlotState> onRandomKey(SlotState state, RandomKey cmd) {
    if (registering) {
      return Effect().stash();
    }
    Keyspace ks = state.db(cmd.db());
    if (ks == null || ks.size() == 0) {
      return answer(List.of(), cmd.replyTo(), new KeyList(List.of()));
    }
    long now = System.currentTimeMillis();
    List<byte[]> live = new ArrayList<>();
    for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
      if (!e.getValue().isExpired(now)) {
        live.add(e.getKey().array());
      }
    }
    List<byte[]> pick =
        live.isEmpty() ? List.of() : List.of(live.get(ThreadLocalRandom.current().nextInt(live.size())));
    return answer(List.of(), cmd.replyTo(), new KeyList(pick));
  }

  private ReplyEffect<SlotEvent, SlotState> onFlush(SlotState state, Flush cmd) {
    if (registering) {
      return Effect().stash();
    }
    boolean any = false;
    for (int db = 0; db < SlotState.DATABASES; db++) {
      Keyspace ks = state.db(db);
      if (ks != null && ks.size() > 0 && (cmd.db() == -1 || cmd.db() == db)) {
        any = true;
      }
    }
    if (!any) {
      return answer(List.of(), cmd.replyTo(), Done.getInstance());
    }
    SlotEvent e = new SlotEvent.DbFlushed(cmd.db());
    state.apply(e, System.currentTimeMillis());
    return answer(List.of(e), cmd.replyTo(), Done.getInstance());
  }

  @Override
  public EventHandler<SlotState, SlotEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(
            (state, event) -> {
              if (preApplied > 0) {
                // Already applied when the command emitted it.
                preApplied--;
              } else {
                state.apply(event, System.currentTimeMillis());
              }
              return state;
            });
  }

  @Override
  public SignalHandler<SlotState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::scheduleExpiry)
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2)
        .withDeleteEventsOnSnapshot();
  }

  @Override
  public SnapshotAdapter<SlotState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(SlotState state) {
        return state.toSnapshot();
      }

      @Override
      public SlotState fromJournal(Object from) {
        return SlotState.fromSnapshot((SlotSnapshot) from, System.currentTimeMillis());
      }
    };
  }
}
