package io.keyshard.node.slot;

import io.keyshard.node.CborSerializable;
import io.keyshard.persistence.IndexEvent;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.SnapshotAdapter;

/**
 * The node's durable index of non-empty slots, so keyspace-wide commands (DBSIZE, KEYS, SCAN,
 * FLUSHALL, INFO keyspace) and start-up warming never wake the thousands of empty slots.
 *
 * <p>Invariant: every slot holding a key is in the index. A slot registers, and waits for the
 * registration to be persisted, before it persists its first write; it unregisters after a
 * persisted write left it empty. Both messages come from the slot's single actor, and Pekko
 * keeps per-sender order, so the index ends in the state of the slot's last message. A crash
 * can only leave an empty slot registered, which costs one wasted wake-up.
 */
public final class SlotIndex extends EventSourcedBehavior<SlotIndex.Command, IndexEvent, BitSet> {

  public sealed interface Command extends CborSerializable {}

  public record Register(int slot, ActorRef<Done> replyTo) implements Command {}

  public record Unregister(int slot) implements Command {}

  public record GetSlots(ActorRef<Slots> replyTo) implements Command {}

  /** The registered slots, ascending. */
  public record Slots(int[] slots) implements CborSerializable {}

  /** Persists the registrations gathered since the last one (group commit, as in slots). */
  private enum Flush implements Command {
    INSTANCE
  }

  private final List<Register> pending = new ArrayList<>();
  private ActorRef<Command> self;

  public static Behavior<Command> create(String nodeId) {
    return Behaviors.setup(
        ctx -> new SlotIndex(PersistenceId.ofUniqueId("slot-index-" + nodeId), ctx.getSelf()));
  }

  private SlotIndex(PersistenceId id, ActorRef<Command> self) {
    super(id);
    this.self = self;
  }

  @Override
  public BitSet emptyState() {
    return new BitSet(16384);
  }

  @Override
  public CommandHandler<Command, IndexEvent, BitSet> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Register.class, this::onRegister)
        .onCommand(Flush.class, (state, f) -> flush())
        .onCommand(
            Unregister.class,
            (state, c) ->
                state.get(c.slot())
                    ? Effect().persist(new IndexEvent.SlotUnregistered(c.slot()))
                    : Effect().none())
        .onCommand(
            GetSlots.class,
            (state, c) -> Effect().reply(c.replyTo(), new Slots(state.stream().toArray())))
        .build();
  }

  /**
   * Slots register on their first write, often thousands at once (a fresh node under load):
   * they are persisted together, one journal write for all that arrived meanwhile.
   */
  private Effect<IndexEvent, BitSet> onRegister(BitSet state, Register c) {
    if (state.get(c.slot())) {
      return Effect().none().thenReply(c.replyTo(), s -> Done.getInstance());
    }
    if (pending.isEmpty()) {
      self.tell(Flush.INSTANCE);
    }
    pending.add(c);
    return Effect().none();
  }

  private Effect<IndexEvent, BitSet> flush() {
    if (pending.isEmpty()) {
      return Effect().none();
    }
    List<Register> batch = List.copyOf(pending);
    pending.clear();
    List<IndexEvent> events = new ArrayList<>();
    BitSet seen = new BitSet();
    for (Register r : batch) {
      if (!seen.get(r.slot())) {
        seen.set(r.slot());
        events.add(new IndexEvent.SlotRegistered(r.slot()));
      }
    }
    return Effect()
        .persist(events)
        .thenRun(s -> batch.forEach(r -> r.replyTo().tell(Done.getInstance())));
  }

  @Override
  public EventHandler<BitSet, IndexEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            IndexEvent.SlotRegistered.class,
            (state, e) -> {
              state.set(e.slot());
              return state;
            })
        .onEvent(
            IndexEvent.SlotUnregistered.class,
            (state, e) -> {
              state.clear(e.slot());
              return state;
            })
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(1000, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public SnapshotAdapter<BitSet> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(BitSet state) {
        return new IndexEvent.IndexSnapshot(state.toLongArray());
      }

      @Override
      public BitSet fromJournal(Object from) {
        return BitSet.valueOf(((IndexEvent.IndexSnapshot) from).bits());
      }
    };
  }
}
