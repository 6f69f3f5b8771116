package io.keyshard.node.slot;

import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;

/**
 * Runs command bodies against a slot's live state: the one place where an argv becomes a reply
 * and events, for plain commands, a transaction's tentative commands and served blocked clients.
 * The events are already applied when it returns; what happens to them (persisted, kept for a
 * transaction) is the caller's business.
 */
final class CommandRunner {

  /** What a body answered, the events it applied and the notifications it decided. */
  record Outcome(Reply reply, List<SlotEvent> events, List<Notifications.Notice> notices) {}

  private final Map<String, SlotCommand> commands;
  private final int slot;
  private final Notifications notifications;
  private final Logger log;

  CommandRunner(Map<String, SlotCommand> commands, int slot, Notifications notifications, Logger log) {
    this.commands = commands;
    this.slot = slot;
    this.notifications = notifications;
    this.log = log;
  }

  Notifications notifications() {
    return notifications;
  }

  Outcome run(SlotState state, String name, int db, byte[][] argv, boolean write, long now) {
    SlotCommand body = commands.get(name);
    if (body == null) {
      return new Outcome(Err.err("unknown command '" + name + "'"), List.of(), List.of());
    }
    SlotContext c = new SlotContext(state, db, argv, now, write, notifications);
    Reply reply;
    try {
      reply = body.run(c);
    } catch (RedisException e) {
      reply = e.reply();
    } catch (RuntimeException e) {
      // A bug in a body must not take the slot down; what it emitted so far is still consistent.
      log.error("Command {} failed in slot {}", name, slot, e);
      reply = Err.err("internal error: " + e.getClass().getSimpleName());
    }
    return new Outcome(reply, c.events(), c.notices());
  }
}
