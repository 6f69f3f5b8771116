package io.keyshard.node.slot;

import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The slot entities running in this JVM, by slot: each registers itself when it starts and
 * removes itself when it stops. The router uses them to send straight to a running slot
 * instead of through the shard region and shard (two fewer hops, and the thread wake-ups that
 * come with them), see {@code Router.ask}.
 */
public final class LocalSlots {
  private final AtomicReferenceArray<ActorRef<SlotEntity.Command>> refs =
      new AtomicReferenceArray<>(16384);

  public ActorRef<SlotEntity.Command> get(int slot) {
    return refs.get(slot);
  }

  void started(int slot, ActorRef<SlotEntity.Command> self) {
    refs.set(slot, self);
  }

  void stopped(int slot, ActorRef<SlotEntity.Command> self) {
    refs.compareAndSet(slot, self, null);
  }
}
