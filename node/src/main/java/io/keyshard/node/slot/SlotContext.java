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

  public SlotContext(SlotState state, int db, byte[][] argv, long now, boolean write) {
    this.state = state;
    this.db = db;
    this.argv = argv;
    this.now = now;
    this.write = write;
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
    return e == null || e.isExpired(now) ? null : e;
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
    state.apply(event, now);
    events.add(event);
  }

  public List<SlotEvent> events() {
    return events;
  }

  public boolean isWrite() {
    return write;
  }
}
