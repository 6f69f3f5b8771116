package io.keyshard.node.slot;

import io.keyshard.persistence.TxEvent;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Where a new incarnation of a slot finds the shares of committed transactions that are still
 * pending in some transaction log (cluster mode: every log of the table's nodes, read from the
 * shared journal after the incarnation recovered). It applies those before serving anything
 * ({@link ShareGate}), so that a transaction committed by a node that died before applying it
 * is never applied after a write a client made to the slot's new owner
 * (docs/decisions/2026-12-07-shares-before-serving.md).
 */
@FunctionalInterface
public interface PendingShares {

  /**
   * A slot's share of a committed transaction: {@code log} its log's persistence id,
   * {@code named} false for a commit record written before transactions were named by their log,
   * {@code completedBelow} every id of that log below it was completed when the log was read.
   */
  record Share(String log, boolean named, long txId, long completedBelow, List<TxEvent.Nested> events) {}

  /** The pending shares of {@code slot}, read after this call (never an answer from before). */
  CompletionStage<List<Share>> of(int slot);

  /** Standalone: the node's only log is completed at its start, before any client is served. */
  PendingShares NONE = slot -> CompletableFuture.completedFuture(List.of());
}
