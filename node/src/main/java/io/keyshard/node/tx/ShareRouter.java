package io.keyshard.node.tx;

import io.keyshard.node.slot.SlotClient;
import io.keyshard.node.slot.SlotEntity;
import io.keyshard.persistence.TxEvent;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How a committed transaction's share reaches the one incarnation of its slot that may journal
 * it: the slot's current owner, wherever the slot went since the commit (a slot moved, a node
 * restarted after its slots were taken over, a node that is gone completed by another). Fails
 * if that incarnation did not apply it; the caller asks again.
 */
@FunctionalInterface
public interface ShareRouter {
  /**
   * Applies transaction {@code txId} of {@code log}'s share of {@code slot} (a no-op where it
   * was applied already); {@code completedBelow}: every id of that log below it is completed.
   * {@code named}: false for a commit record written before transactions were named by their
   * log, whose share is applied and recognised by id alone, as it was then.
   */
  CompletionStage<Done> apply(
      int slot, String log, boolean named, long txId, long completedBelow, List<TxEvent.Nested> events);

  /** The apply message of a share, naming its log or not (see {@link #apply}). */
  static SlotEntity.TxApply message(
      String log, boolean named, long txId, long completedBelow, List<TxEvent.Nested> events, ActorRef<Done> replyTo) {
    return new SlotEntity.TxApply(txId, completedBelow, events, replyTo, named ? log : null);
  }

  /** Standalone: every slot is this node's. */
  static ShareRouter local(SlotClient slots) {
    return (slot, log, named, txId, completedBelow, events) ->
        slots.<Done>ask(slot, r -> message(log, named, txId, completedBelow, events, r));
  }
}
