package io.keyshard.node.commands;

import io.keyshard.node.slot.Notifications;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.KeyshardSerializer;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotSnapshot;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import io.keyshard.protocol.Glob;
import io.keyshard.protocol.Reply;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Internal slot bodies that cross-slot programs use inside a transaction. Their names start
 * with "__", which no client command has, and the command table does not list them, so a
 * client can never call them: only {@code Transactions} sends them.
 *
 * <ul>
 *   <li>{@code __take key}: the key's value and expiry, removing the key (nil if absent).
 *   <li>{@code __peek key}: the same without removing it.
 *   <li>{@code __put key payload REPLACE|NX [COPY]}: writes a value taken elsewhere; 0 if NX
 *       and the key exists, else 1; COPY marks it a copy (never a shared small integer).
 *   <li>{@code __count}, {@code __keys pattern}, {@code __flush}: the keyspace-wide parts of
 *       DBSIZE, KEYS and FLUSHDB/FLUSHALL inside MULTI, per slot.
 * </ul>
 */
final class TransferCommands {
  private TransferCommands() {}

  private static final KeyshardSerializer FORMAT = new KeyshardSerializer();

  static void register(CommandRegistry.Builder r) {
    r.internal("__take", ctx -> take(ctx, true));
    r.internal("__peek", ctx -> take(ctx, false));
    r.internal("__put", TransferCommands::put);
    r.internal("__count", TransferCommands::count);
    r.internal("__stats", TransferCommands::stats);
    r.internal("__keys", TransferCommands::keys);
    r.internal("__flush", TransferCommands::flush);
  }

  private static Reply take(SlotContext ctx, boolean remove) {
    byte[] key = ctx.arg(1);
    Keyspace.Entry e = ctx.lookup(key);
    if (e == null) {
      return Reply.NULL;
    }
    SlotSnapshot one =
        new SlotSnapshot(
            List.of(
                new SlotSnapshot.DbEntries(
                    ctx.db(), List.of(new SlotSnapshot.Entry(key, e.value, e.expireAt)))));
    byte[] payload = FORMAT.toBinary(one);
    if (remove) {
      // Only RENAME and RENAMENX take a key away (to put it in another slot).
      ctx.emit(new SlotEvent.KeysDeleted(ctx.db(), List.of(key)));
      ctx.notify(Notifications.GENERIC, "rename_from", key);
    }
    return Reply.bulk(payload);
  }

  private static Reply put(SlotContext ctx) {
    byte[] key = ctx.arg(1);
    SlotSnapshot.Entry entry;
    try {
      SlotSnapshot one = (SlotSnapshot) FORMAT.fromBinary(ctx.arg(2), "SlotSnapshot");
      entry = one.dbs().get(0).entries().get(0);
    } catch (NotSerializableException e) {
      throw new IllegalStateException("corrupt transfer payload", e);
    }
    boolean nx = Args.is(ctx.arg(3), "NX");
    boolean overwrites = ctx.lookup(key) != null;
    if (nx && overwrites) {
      return Reply.ZERO;
    }
    Value value = entry.value();
    boolean copy = ctx.argc() > 4 && Args.is(ctx.arg(4), "COPY");
    if (copy && value instanceof StringValue s) {
      value = s.with(StringValue.UNSHARED); // COPY makes a new object, as in Redis
    }
    ctx.emit(new SlotEvent.KeyRestored(ctx.db(), key, value, entry.expireAt()));
    if (overwrites) {
      ctx.notifyNew(ctx.db(), key);
    }
    ctx.notify(Notifications.GENERIC, copy ? "copy_to" : "rename_to", key);
    return Reply.ONE;
  }

  private static Reply count(SlotContext ctx) {
    Keyspace ks = ctx.state().db(ctx.db());
    return Reply.integer(ks == null ? 0 : ks.size());
  }

  /** {@code __keys pattern [type]}: live keys matching the glob (and of the type, if given). */
  /** Keys and volatile keys of every database: 32 integers. */
  private static Reply stats(SlotContext ctx) {
    List<Reply> out = new ArrayList<>(2 * SlotState.DATABASES);
    for (int db = 0; db < SlotState.DATABASES; db++) {
      Keyspace ks = ctx.state().db(db);
      out.add(Reply.integer(ks == null ? 0 : ks.size()));
      out.add(Reply.integer(ks == null ? 0 : ks.volatileCount()));
    }
    return Reply.array(out);
  }

  private static Reply keys(SlotContext ctx) {
    Keyspace ks = ctx.state().db(ctx.db());
    List<byte[]> out = new ArrayList<>();
    if (ks != null) {
      byte[] pattern = ctx.arg(1);
      String type = ctx.argc() > 2 ? Args.str(ctx.arg(2)) : null;
      boolean all = pattern.length == 1 && pattern[0] == '*';
      for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
        if (!e.getValue().isExpired(ctx.now())
            && (type == null || type.equalsIgnoreCase(e.getValue().value.typeName()))
            && (all || Glob.match(pattern, e.getKey().array(), false))) {
          out.add(e.getKey().array());
        }
      }
    }
    return Reply.bulks(out);
  }

  /** {@code __flush db|-1}: the db argument, not the selected one, says what to flush. */
  private static Reply flush(SlotContext ctx) {
    int db = Args.parseInt(ctx.arg(1));
    for (int i = 0; i < SlotState.DATABASES; i++) {
      Keyspace ks = ctx.state().db(i);
      if (ks != null && ks.size() > 0 && (db == -1 || db == i)) {
        ctx.emit(new SlotEvent.DbFlushed(db));
        break;
      }
    }
    return Reply.OK;
  }
}
