package io.keyshard.node.commands;

import io.keyshard.node.slot.SlotCommand;
import java.util.Map;

/** The list family. (Skeleton: its owner fills it in.) */
public final class ListCommands {
  private ListCommands() {}

  public static void register(Map<String, SlotCommand> m) {}
}
