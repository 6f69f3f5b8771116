package io.keyshard.node.commands;

import io.keyshard.node.slot.Notifications;
import io.keyshard.node.slot.SlotContext;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.Value;
import io.keyshard.persistence.rdb.DumpPayload;
import io.keyshard.persistence.rdb.RdbFormatException;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import io.keyshard.protocol.Reply;
import java.util.List;

/**
 * DUMP, RESTORE and RESTORE-ASKING with Redis 7.0.15's replies, on Redis's payload format
 * (persistence/rdb/DumpPayload). RESTORE writes one {@link SlotEvent.KeyRestored}, the event
 * every whole-value write uses. RESTORE-ASKING is RESTORE here; what it means for a slot being
 * imported is decided by the router, before the body runs. {@code __dump} is MIGRATE's read.
 */
final class DumpCommands {
  private DumpCommands() {}

  static final Reply BUSYKEY = Reply.error("BUSYKEY Target key name already exists.");
  static final Reply BAD_PAYLOAD = Err.err("DUMP payload version or checksum are wrong");
  static final Reply BAD_DATA = Err.err("Bad data format");

  static void register(CommandRegistry.Builder r) {
    r.slot("dump", DumpCommands::dump);
    r.slot("restore", DumpCommands::restore);
    r.slot("restore-asking", DumpCommands::restore);
    r.internal("__dump", DumpCommands::dumpWithExpiry);
  }

  private static Reply dump(SlotContext ctx) {
    Keyspace.Entry e = ctx.lookup(ctx.arg(1));
    return e == null ? Reply.NULL : Reply.bulk(DumpPayload.of(e.value));
  }

  /** {@code __dump key}: [payload, expireAt (0: none)], or nil: what MIGRATE sends on. */
  private static Reply dumpWithExpiry(SlotContext ctx) {
    Keyspace.Entry e = ctx.lookup(ctx.arg(1));
    if (e == null) {
      return Reply.NULL;
    }
    return Reply.array(List.of(Reply.bulk(DumpPayload.of(e.value)), Reply.integer(e.expireAt)));
  }

  /** RESTORE's options, parsed before anything is looked at, as Redis parses them. */
  record RestoreOptions(boolean replace, boolean absttl, long idleSeconds, long frequency) {
    static final long UNSET = -1;

    static RestoreOptions parse(byte[][] argv) {
      boolean replace = false;
      boolean absttl = false;
      long idle = UNSET;
      long freq = UNSET;
      for (int j = 4; j < argv.length; j++) {
        boolean more = j + 1 < argv.length;
        if (Args.is(argv[j], "REPLACE")) {
          replace = true;
        } else if (Args.is(argv[j], "ABSTTL")) {
          absttl = true;
        } else if (Args.is(argv[j], "IDLETIME") && more && freq == UNSET) {
          // IDLETIME and FREQ exclude each other: the second one is a syntax error.
          idle = Args.parseLong(argv[++j]);
          if (idle < 0) {
            throw new RedisException(Err.err("Invalid IDLETIME value, must be >= 0"));
          }
        } else if (Args.is(argv[j], "FREQ") && more && idle == UNSET) {
          freq = Args.parseLong(argv[++j]);
          if (freq < 0 || freq > 255) {
            throw new RedisException(Err.err("Invalid FREQ value, must be >= 0 and <= 255"));
          }
        } else {
          throw new RedisException(Err.SYNTAX);
        }
      }
      return new RestoreOptions(replace, absttl, idle, freq);
    }
  }

  /**
   * RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], checked in Redis's order:
   * options, an existing key, the ttl, the payload's version and checksum, then its contents. A
   * ttl already past (ABSTTL) creates nothing and deletes what REPLACE replaces, answering OK.
   * FREQ is accepted and ignored: Keyshard has no LFU policy, as Redis ignores it under LRU.
   */
  private static Reply restore(SlotContext ctx) {
    RestoreOptions o = RestoreOptions.parse(ctx.argv());
    byte[] key = ctx.arg(1);
    boolean exists = ctx.lookup(key) != null;
    if (exists && !o.replace()) {
      return BUSYKEY;
    }
    long ttl = Args.parseLong(ctx.arg(2));
    if (ttl < 0) {
      return Err.err("Invalid TTL value, must be >= 0");
    }
    byte[] payload = ctx.arg(3);
    if (!DumpPayload.verify(payload)) {
      return BAD_PAYLOAD;
    }
    Value value;
    try {
      value = DumpPayload.read(payload);
    } catch (RdbFormatException e) {
      return BAD_DATA;
    }
    // A relative ttl as Redis adds it (a huge one wraps around and counts as already past).
    long expireAt = ttl != 0 && !o.absttl() ? ttl + ctx.now() : ttl;
    if (expireAt != 0 && expireAt <= ctx.now()) {
      if (exists) {
        ctx.emit(new SlotEvent.KeysDeleted(ctx.db(), List.of(key)));
        ctx.notify(Notifications.GENERIC, "del", key);
      }
      return Reply.OK;
    }
    ctx.emit(new SlotEvent.KeyRestored(ctx.db(), key, value, expireAt));
    if (exists) {
      ctx.notifyNew(ctx.db(), key); // REPLACE: Redis deletes the old key and adds the new
    }
    ctx.notify(Notifications.GENERIC, "restore", key);
    if (o.idleSeconds() != RestoreOptions.UNSET) {
      Keyspace.Entry e = ctx.peek(ctx.db(), key);
      e.lastAccess = ctx.now() - LruClock.reportedIdleSeconds(ctx.now(), o.idleSeconds()) * 1000;
    }
    return Reply.OK;
  }

  /**
   * Redis's LRU clock, seconds in 24 bits (about 194 days), as RESTORE IDLETIME sets it and
   * OBJECT IDLETIME reads it back: an idle time beyond the clock's range wraps as in Redis.
   */
  static final class LruClock {
    private LruClock() {}

    static final long MAX = (1L << 24) - 1;

    static long reportedIdleSeconds(long nowMillis, long idleSeconds) {
      long clock = (nowMillis / 1000) & MAX;
      long abs = clock - idleSeconds;
      if (abs < 0) {
        abs += MAX;
      }
      long lru = abs & 0xffffff; // what the 24-bit field keeps
      return clock >= lru ? clock - lru : clock + (MAX - lru);
    }
  }
}
