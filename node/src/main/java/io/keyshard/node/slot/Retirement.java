package io.keyshard.node.slot;

import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * How a slot incarnation stops without losing what was sent to it. An actor that stops drops
 * the messages still in its mailbox (and in its stash): a request sent to an incarnation just
 * before it stopped got no answer until its 10 s timeout ("slot did not answer in time"), which
 * is what a per-key reshard hit when the slot's first request after the table switched stopped
 * the old incarnation. So an incarnation never stops itself: it closes its direct path
 * ({@link LocalSlots#close}), asks its shard to passivate it (the shard then holds the slot's
 * requests and starts the slot again for them once it has stopped), answers what still reaches
 * it as before, and stops on the shard's {@link SlotEntity.Stop} once nothing is in the middle
 * (docs/decisions/2026-12-07-slot-retirement.md).
 */
final class Retirement {
  /** How soon a {@link SlotEntity.Stop} that arrived while the slot was busy is looked at again. */
  static final Duration RETRY = Duration.ofMillis(10);

  private final int slot;
  private final LocalSlots local;
  private final ActorContext<SlotEntity.Command> ctx;
  /** The shard this incarnation runs in; null for one spawned outside sharding (tests). */
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private boolean retiring;

  Retirement(
      int slot,
      LocalSlots local,
      ActorContext<SlotEntity.Command> ctx,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    this.slot = slot;
    this.local = local;
    this.ctx = ctx;
    this.shard = shard;
  }

  boolean retiring() {
    return retiring;
  }

  /** This incarnation is to stop: from now on requests reach it only through its shard. */
  void begin() {
    if (retiring) {
      return;
    }
    closed();
    if (shard != null) {
      shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
    } else {
      ctx.getSelf().tell(SlotEntity.Stop.INSTANCE);
    }
  }

  /** The shard stops it (a passivation, or the shard's own hand-off): no more direct sends. */
  void closed() {
    retiring = true;
    local.close(slot, ctx.getSelf());
  }
}
