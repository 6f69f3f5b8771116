package io.keyshard.node.commands;

import io.keyshard.node.slot.SlotCommand;
import java.util.Map;

/** The sorted set family. (Skeleton: its owner fills it in.) */
public final class ZSetCommands {
  private ZSetCommands() {}

  public static void register(Map<String, SlotCommand> m) {}
}
