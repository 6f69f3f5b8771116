package io.keyshard.node.slot;

import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.util.ArrayList;
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
  record Outcome(
      Reply reply, List<SlotEvent> events, List<Notifications.Notice> notices, List<DbKey> expiredSeen) {}

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

  /**
   * Lazy expiry after a read (Redis deletes an expired key its commands meet): the keys it found
   * expired and still stored are removed with a {@code KeysExpired} each, applied now, appended
   * to {@code events}; their "expired" notifications are returned.
   */
  List<Notifications.Notice> expire(SlotState state, List<DbKey> seen, List<SlotEvent> events, long now) {
    List<Notifications.Notice> notices = new ArrayList<>();
    boolean notify = notifications != null && notifications.wants(Notifications.EXPIRED);
    for (DbKey k : seen) {
      Keyspace ks = state.db(k.db());
      Keyspace.Entry e = ks == null ? null : ks.get(k.key());
      if (e == null || !e.isExpired(now)) {
        continue; // named twice, already gone
      }
      SlotEvent expired = new SlotEvent.KeysExpired(k.db(), List.of(k.key().array()));
      state.apply(expired, now);
      events.add(expired);
      if (notify) {
        notices.add(new Notifications.Notice(Notifications.EXPIRED, "expired", k.db(), k.key().array()));
      }
    }
    return notices;
  }

  Outcome run(SlotState state, String name, int db, byte[][] argv, boolean write, long now) {
    SlotCommand body = commands.get(name);
    if (body == null) {
      return new Outcome(Err.err("unknown command '" + name + "'"), List.of(), List.of(), List.of());
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
    return new Outcome(reply, c.events(), c.notices(), c.expiredSeen());
  }
}
