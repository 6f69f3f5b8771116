package io.keyshard.node.slot;

import io.keyshard.node.CborSerializable;
import io.keyshard.persistence.IndexEvent;
import java.util.BitSet;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
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

  public static Behavior<Command> create(String nodeId) {
    return new SlotIndex(PersistenceId.ofUniqueId("slot-index-" + nodeId));
  }

  private SlotIndex(PersistenceId id) {
    super(id);
  }

  @Override
  public BitSet emptyState() {
    return new BitSet(16384);
  }

  @Override
  public CommandHandler<Command, IndexEvent, BitSet> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(
            Register.class,
            (state, c) ->
                state.get(c.slot())
                    ? Effect().none().thenReply(c.replyTo(), s -> Done.getInstance())
                    : Effect()
                        .persist(new IndexEvent.SlotRegistered(c.slot()))
                        .thenReply(c.replyTo(), s -> Done.getInstance()))
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
