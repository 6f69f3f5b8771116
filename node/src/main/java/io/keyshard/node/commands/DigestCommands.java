package io.keyshard.node.commands;

import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.rdb.ExpiryDigest;
import io.keyshard.persistence.rdb.RedisDigest;
import io.keyshard.protocol.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The slot's share of DEBUG DIGEST and DEBUG DIGEST-VALUE (internal bodies, see
 * {@link TransferCommands} for the convention).
 *
 * <ul>
 *   <li>{@code __digest}: per database 0-15, the XOR of this slot's key parts (20 bytes), or
 *       nil when the slot holds no live key there; {@link DebugCommand} XORs the slots' parts.
 *   <li>{@code __digest-value key...}: per key of the selected database, its value's digest,
 *       20 zero bytes when absent (Redis's answer for a missing key).
 * </ul>
 * Expired keys not yet removed are left out: they are gone for every reader.
 */
final class DigestCommands {
  private DigestCommands() {}

  static void register(CommandRegistry.Builder r) {
    r.internal("__digest", DigestCommands::digest);
    r.internal("__digest-value", DigestCommands::digestValue);
    r.internal("__slot-digest", DigestCommands::slotDigest);
    r.internal("__key-digests", DigestCommands::keyDigests);
  }

  /**
   * KEYSHARD DIGESTS: per database holding live keys in this slot, [db, keys, keys that expire,
   * the XOR of their DEBUG DIGEST parts, the XOR of their expiry parts ({@link ExpiryDigest})],
   * digests in hex: what a backup's manifest holds for the slot (docs/BACKUP-FORMAT.md).
   */
  private static Reply slotDigest(SlotContext ctx) {
    RedisDigest digest = new RedisDigest();
    ExpiryDigest expiry = new ExpiryDigest();
    List<Reply> out = new ArrayList<>();
    for (int db = 0; db < SlotState.DATABASES; db++) {
      Keyspace ks = ctx.state().db(db);
      if (ks == null) {
        continue;
      }
      long keys = 0;
      long expires = 0;
      byte[] d = new byte[RedisDigest.LENGTH];
      byte[] x = new byte[RedisDigest.LENGTH];
      for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
        Keyspace.Entry entry = e.getValue();
        if (entry.isExpired(ctx.now())) {
          continue;
        }
        keys++;
        byte[] key = e.getKey().array();
        RedisDigest.xorInto(d, digest.keyPart(key, entry.value, entry.expireAt != 0));
        if (entry.expireAt != 0) {
          expires++;
          RedisDigest.xorInto(x, expiry.part(db, key, entry.expireAt));
        }
      }
      if (keys > 0) {
        out.add(
            Reply.array(
                List.of(
                    Reply.integer(db),
                    Reply.integer(keys),
                    Reply.integer(expires),
                    Reply.bulk(RedisDigest.hex(d)),
                    Reply.bulk(RedisDigest.hex(x)))));
      }
    }
    return Reply.array(out);
  }

  /**
   * KEYSHARD KEYDIGESTS: the live keys of the selected database in this slot, each as [key, its
   * DEBUG DIGEST part in hex, its expiry in Unix ms or -1].
   */
  private static Reply keyDigests(SlotContext ctx) {
    RedisDigest digest = new RedisDigest();
    List<Reply> out = new ArrayList<>();
    Keyspace ks = ctx.state().db(ctx.db());
    if (ks != null) {
      for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
        Keyspace.Entry entry = e.getValue();
        if (entry.isExpired(ctx.now())) {
          continue;
        }
        byte[] key = e.getKey().array();
        out.add(
            Reply.array(
                List.of(
                    Reply.bulk(key),
                    Reply.bulk(RedisDigest.hex(digest.keyPart(key, entry.value, entry.expireAt != 0))),
                    Reply.integer(entry.expireAt != 0 ? entry.expireAt : -1))));
      }
    }
    return Reply.array(out);
  }

  private static Reply digest(SlotContext ctx) {
    RedisDigest digest = new RedisDigest();
    List<Reply> parts = new ArrayList<>(SlotState.DATABASES);
    for (int db = 0; db < SlotState.DATABASES; db++) {
      Keyspace ks = ctx.state().db(db);
      byte[] part = null;
      if (ks != null) {
        for (Map.Entry<Bytes, Keyspace.Entry> e : ks.entries().entrySet()) {
          Keyspace.Entry entry = e.getValue();
          if (entry.isExpired(ctx.now())) {
            continue;
          }
          if (part == null) {
            part = new byte[RedisDigest.LENGTH];
          }
          RedisDigest.xorInto(
              part, digest.keyPart(e.getKey().array(), entry.value, entry.expireAt != 0));
        }
      }
      parts.add(part == null ? Reply.NULL : Reply.bulk(part));
    }
    return Reply.array(parts);
  }

  private static Reply digestValue(SlotContext ctx) {
    RedisDigest digest = new RedisDigest();
    List<Reply> out = new ArrayList<>(ctx.argc() - 1);
    for (int i = 1; i < ctx.argc(); i++) {
      Keyspace.Entry e = ctx.peek(ctx.db(), ctx.arg(i));
      out.add(
          Reply.bulk(
              e == null
                  ? new byte[RedisDigest.LENGTH]
                  : digest.value(e.value, e.expireAt != 0)));
    }
    return Reply.array(out);
  }
}
