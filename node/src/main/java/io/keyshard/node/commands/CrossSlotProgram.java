package io.keyshard.node.commands;

import io.keyshard.node.slot.SlotExecutor;
import io.keyshard.protocol.CommandSpec;
import io.keyshard.protocol.Reply;
import java.util.concurrent.CompletionStage;

/**
 * How a keyed command runs when its keys are in several slots: a program over the slots of a
 * transaction, which holds their locks ({@code slots} runs a body in one of them). Atomicity
 * comes from the transaction, not from the program.
 */
@FunctionalInterface
public interface CrossSlotProgram {
  CompletionStage<Reply> run(SlotExecutor slots, int db, byte[][] argv, CommandSpec spec);
}
