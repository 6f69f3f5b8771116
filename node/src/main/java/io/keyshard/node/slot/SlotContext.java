package io.keyshard.node.slot;

import io.keyshard.persistence.Bytes;
import io.keyshard.persistence.Keyspace;
import io.keyshard.persistence.SlotEvent;
import io.keyshard.persistence.SlotState;
import io.keyshard.persistence.StringValue;
import io.keyshard.persistence.Value;
import io.keyshard.protocol.Err;
import io.keyshard.protocol.RedisException;
import java.util.ArrayList;
import java.util.List;

/**
 * What a {@link SlotCommand} sees: the request, the clock, and one slot's keyspace.
 *
 * <p>Events are applied as they are emitted, so a body that emits several events sees each one's
 * effect before deciding the next. Nothing is visible to anyone else until the slot has persisted
 * them: the slot actor handles no other message in between.
 */
public final class SlotContext {
  private final SlotState state;
  private final byte[][] argv;
  private final int db;
  private final long now;
  private final boolean write;
  private final List<SlotEvent> events = new ArrayList<>(2);
  /** The node's notification settings, or null where nothing is published (replicas, tests). */
  private final Notifications notifications;
  private List<Notifications.Notice> notices = List.of();
  /** Keys a read met expired but still stored: the slot removes them after it (lazy expiry). */
  private List<DbKey> expiredSeen = List.of();

  public SlotContext(SlotState state, int db, byte[][] argv, long now, boolean write) {
    this(state, db, argv, now, write, null);
  }

  public SlotContext(
      SlotState state, int db, byte[][] argv, long now, boolean write, Notifications notifications) {
    this.state = state;
    this.db = db;
    this.argv = argv;
    this.now = now;
    this.write = write;
    this.notifications = notifications;
  }

  public byte[][] argv() {
    return argv;
  }

  public byte[] arg(int i) {
    return argv[i];
  }

  public int argc() {
    return argv.length;
  }

  /** The selected database. */
  public int db() {
    return db;
  }

  /** Epoch milliseconds, fixed for the whole command so every check in it agrees. */
  public long now() {
    return now;
  }

  public SlotState state() {
    return state;
  }

  /**
   * The live entry of a key in the selected database, or null if absent or expired. A write
   * command that meets an expired key first emits its expiry, so the events that follow never
   * build on a dead value and replay agrees.
   */
  public Keyspace.Entry lookup(byte[] key) {
    return lookup(db, key);
  }

  public Keyspace.Entry lookup(int db, byte[] key) {
    Keyspace ks = state.db(db);
    if (ks == null) {
      return null;
    }
    Bytes k = Bytes.wrap(key);
    Keyspace.Entry e = ks.get(k);
    if (e == null) {
      return null;
    }
    if (e.isExpired(now)) {
      if (write) {
        emit(new SlotEvent.KeysExpired(db, List.of(key)));
        notify(Notifications.EXPIRED, "expired", db, key);
      } else {
        sawExpired(db, k);
      }
      return null;
    }
    e.lastAccess = now;
    return e;
  }

  /** Like {@link #lookup} but leaves the access time alone (OBJECT, TYPE-less peeks). */
  public Keyspace.Entry peek(int db, byte[] key) {
    Keyspace ks = state.db(db);
    Keyspace.Entry e = ks == null ? null : ks.get(Bytes.wrap(key));
    if (e != null && e.isExpired(now)) {
      if (!write) {
        sawExpired(db, Bytes.wrap(key));
      }
      return null;
    }
    return e;
  }

  /**
   * The value at key if it is a {@code type} (a hash, a list...), null if the key is absent;
   * WRONGTYPE if it holds another type.
   */
  public <T extends Value> T lookup(byte[] key, Class<T> type) {
    Keyspace.Entry e = lookup(key);
    if (e == null) {
      return null;
    }
    if (type.isInstance(e.value)) {
      return type.cast(e.value);
    }
    throw new RedisException(Err.WRONGTYPE);
  }

  /** The string stored at key, null if absent; WRONGTYPE if the key holds another type. */
  public byte[] getString(byte[] key) {
    Keyspace.Entry e = lookup(key);
    if (e == null) {
      return null;
    }
    if (e.value instanceof StringValue s) {
      return s.bytes();
    }
    throw new RedisException(Err.WRONGTYPE);
  }

  /** Applies the event to the slot's state now and queues it to be persisted. */
  public void emit(SlotEvent event) {
    if (notifications != null && notifications.wants(Notifications.NEW)) {
      // Redis notifies "new" as a key is added to a database, before the command's own event.
      List<DbKey> absent = new ArrayList<>(1);
      state.forEachTouchedKey(
          event,
          (d, k) -> {
            Keyspace ks = state.db(d);
            Keyspace.Entry e = ks == null ? null : ks.get(k);
            if (e == null || e.isExpired(now)) {
              absent.add(new DbKey(d, k));
            }
          });
      state.apply(event, now);
      for (DbKey k : absent) {
        Keyspace ks = state.db(k.db());
        Keyspace.Entry e = ks == null ? null : ks.get(k.key());
        if (e != null && !e.isExpired(now)) {
          notify(Notifications.NEW, "new", k.db(), k.key().array());
        }
      }
    } else {
      state.apply(event, now);
    }
    events.add(event);
  }

  /**
   * Records a keyspace notification of class {@code type} (a {@link Notifications} bit) for a key
   * of the selected database: published once this command's writes are in the journal, in the
   * order recorded. Bodies call it where Redis calls notifyKeyspaceEvent, after the change.
   */
  public void notify(int type, String event, byte[] key) {
    notify(type, event, db, key);
  }

  public void notify(int type, String event, int db, byte[] key) {
    if (notifications != null && notifications.wants(type)) {
      if (notices.isEmpty()) {
        notices = new ArrayList<>(2);
      }
      notices.add(new Notifications.Notice(type, event, db, key));
    }
  }

  /**
   * {@code new} for a key written over an existing one where Redis deletes it and adds it again
   * (RENAME, COPY and RESTORE with REPLACE); a key that did not exist is found by {@link #emit}.
   */
  public void notifyNew(int db, byte[] key) {
    notify(Notifications.NEW, "new", db, key);
  }

  /** {@code del} for a key that a change just emptied (Redis deletes an empty collection). */
  public void notifyIfGone(byte[] key) {
    if (notifications != null && notifications.wants(Notifications.GENERIC)) {
      Keyspace ks = state.db(db);
      if (ks == null || ks.get(Bytes.wrap(key)) == null) {
        notify(Notifications.GENERIC, "del", key);
      }
    }
  }

  private void sawExpired(int db, Bytes key) {
    if (expiredSeen.isEmpty()) {
      expiredSeen = new ArrayList<>(1);
    }
    expiredSeen.add(new DbKey(db, key));
  }

  /** Keys this read found expired and still stored (a write expires them itself). */
  List<DbKey> expiredSeen() {
    return expiredSeen;
  }

  /** The notifications this command decided, in order. */
  public List<Notifications.Notice> notices() {
    return notices;
  }

  public List<SlotEvent> events() {
    return events;
  }

  public boolean isWrite() {
    return write;
  }
}
