package io.keyshard.node.commands;

import io.keyshard.node.server.CrossSlotCommands;
import io.keyshard.node.server.SlotExecutor;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.Reply;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** LMOVE, RPOPLPUSH and BLMOVE/BRPOPLPUSH without waiting, with keys in several slots. (Skeleton: its owner fills it in.) */
final class ListCrossSlot implements CrossSlotCommands {
  private static final Set<String> NAMES = Set.of();

  @Override
  public boolean handles(String name) {
    return NAMES.contains(name);
  }

  @Override
  public CompletionStage<Reply> run(
      String name, SlotExecutor ex, int db, byte[][] argv, CommandSpec spec) {
    return CompletableFuture.completedFuture(Err.CROSSSLOT);
  }
}
