package io.keyshard.node.slot;

import io.keyshard.protocol.Reply;
import java.util.concurrent.CompletionStage;

/** Runs a command body in a slot: directly (fast path) or inside a transaction's lock. */
@FunctionalInterface
public interface SlotExecutor {
  CompletionStage<Reply> exec(int slot, String name, int db, byte[][] argv, boolean write);
}
