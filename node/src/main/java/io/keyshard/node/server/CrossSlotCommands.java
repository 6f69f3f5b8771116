package io.keyshard.node.server;

import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.Reply;
import java.util.concurrent.CompletionStage;

/** Multi-key commands that can run with keys in several slots, inside a transaction. */
public interface CrossSlotCommands {
  boolean handles(String name);

  /** Runs the command over keys in several slots through {@code slots}, which holds their locks. */
  CompletionStage<Reply> run(String name, SlotExecutor slots, int db, byte[][] argv, CommandSpec spec);
}
