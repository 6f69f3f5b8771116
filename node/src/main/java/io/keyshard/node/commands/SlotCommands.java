package io.keyshard.node.commands;

import io.keyshard.node.slot.SlotCommand;
import java.util.HashMap;
import java.util.Map;

/** Every command body that runs inside a slot actor, by lowercase command name. */
public final class SlotCommands {
  private SlotCommands() {}

  public static Map<String, SlotCommand> all() {
    Map<String, SlotCommand> m = new HashMap<>();
    StringCommands.register(m);
    KeyCommands.register(m);
    HashCommands.register(m);
    ListCommands.register(m);
    SetCommands.register(m);
    ZSetCommands.register(m);
    TransferCommands.register(m);
    return Map.copyOf(m);
  }
}
