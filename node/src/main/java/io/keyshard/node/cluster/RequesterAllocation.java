package io.keyshard.node.cluster;

import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * Places a shard on the node that first asks for it, and never moves one. In cluster mode a
 * slot entity's id names its owner and only the owner's router ever addresses it (everyone else
 * answers MOVED), so the first region to ask for shard {@code <owner>/<group>} is the owner's:
 * placement follows the slot table without the coordinator reading it. A slot changes owner by
 * being addressed under a new id, never by Pekko moving a shard.
 */
public final class RequesterAllocation extends ShardCoordinator.AbstractShardAllocationStrategy {
  @Override
  public Future<ActorRef> allocateShard(
      ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> current) {
    if (isRegion(requester) || current.isEmpty()) {
      // A region, registered or about to be (a node that just joined asks before its
      // registration is in the coordinator's state): the shard belongs there.
      return Future.successful(requester);
    }
    // Not a region: the coordinator re-homing a shard of a region that left (it asks on its
    // own, as "ignore"). Any region will do: no router addresses that owner's entities any
    // more, so the shard stays empty wherever it is. Answering the non-region made the
    // coordinator try again and again, and new shards waited behind it.
    return Future.successful(current.keySet().iterator().next());
  }

  private static boolean isRegion(ActorRef ref) {
    return ref.path().toStringWithoutAddress().startsWith("/system/sharding/");
  }

  @Override
  public Future<Set<String>> rebalance(
      Map<ActorRef, IndexedSeq<String>> current, Set<String> inProgress) {
    return Future.successful(Set.of());
  }
}
