package io.keyshard.node.commands;

import io.keyshard.node.slot.SlotCommand;
import java.util.Map;

/** The set family. (Skeleton: its owner fills it in.) */
public final class SetCommands {
  private SetCommands() {}

  public static void register(Map<String, SlotCommand> m) {}
}
