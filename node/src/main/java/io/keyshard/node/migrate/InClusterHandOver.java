package io.keyshard.node.migrate;

import io.keyshard.protocol.Reply;
import java.util.concurrent.CompletionStage;

/**
 * MIGRATE to a member of this node's own cluster: the keys are handed over in their slot's
 * journal instead of copied (cluster/InClusterMigrate,
 * docs/decisions/2026-12-06-slot-migration-protocol.md). Set in cluster mode only.
 */
public interface InClusterHandOver {
  /** Whether MIGRATE's target is a member of this cluster. */
  boolean isMember(MigrateArgs args);

  /** The hand-over of a MIGRATE whose target is a member: OK, NOKEY or an error. */
  CompletionStage<Reply> handOver(int clientDb, MigrateArgs args);
}
