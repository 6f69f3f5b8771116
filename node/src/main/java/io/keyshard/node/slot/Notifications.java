package io.keyshard.node.slot;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keyspace notifications on this node (docs/decisions/2026-12-07-keyspace-notifications.md):
 * the {@code notify-keyspace-events} classes, and the notices a command decides while it runs
 * ({@link SlotContext#notify}), handed to the publisher only once the writes behind them are in
 * the journal. A slot publishes a plain command's notices with its reply, after its batch is
 * stored; a transaction's (MULTI/EXEC, a script, a command over several slots) wait here until
 * the whole transaction is applied, and go out in the order its commands ran. Nothing replayed
 * from the journal is published: notices come from command bodies only.
 */
public final class Notifications {
  // Redis 7.0's class bits (server.h), so the rendering order below matches CONFIG GET's.
  public static final int KEYSPACE = 1;
  public static final int KEYEVENT = 1 << 1;
  public static final int GENERIC = 1 << 2;
  public static final int STRING = 1 << 3;
  public static final int LIST = 1 << 4;
  public static final int SET = 1 << 5;
  public static final int HASH = 1 << 6;
  public static final int ZSET = 1 << 7;
  public static final int EXPIRED = 1 << 8;
  public static final int EVICTED = 1 << 9;
  public static final int STREAM = 1 << 10;
  public static final int KEY_MISS = 1 << 11;
  public static final int MODULE = 1 << 13;
  public static final int NEW = 1 << 14;
  /** 'A': every class but key misses and new keys (7.0's NOTIFY_ALL). */
  public static final int ALL =
      GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

  /** What an invalid class character gets from CONFIG SET (Redis 7.0's text). */
  public static final String INVALID = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

  /** One notification: published on {@code __keyspace@db__:key} and {@code __keyevent@db__:event}. */
  public record Notice(int type, String event, int db, byte[] key) {}

  /** Where notices go once durable (the node's Pub/Sub); called on a slot's thread. */
  @FunctionalInterface
  public interface Publisher {
    void publish(int flags, List<Notice> notices);
  }

  /**
   * Client tracking (docs/decisions/2026-12-07-client-tracking.md): told of every key a durable
   * write changed, and of the keys a tracking client's read saw, at the point in the slot's
   * order where the read is answered.
   */
  public interface KeyTracking {
    /** Whether any client tracks now (notices are then recorded whatever the flags say). */
    boolean active();

    /** Keys changed by a durable write; {@code by}: the client that wrote (0: none known). */
    void modified(List<Notice> notices, long by);

    /** A read of {@code client} returned these keys' values. */
    void remember(long client, byte[][] keys);
  }

  private volatile int flags;
  private volatile Publisher publisher = (f, n) -> {};
  private volatile KeyTracking tracking;

  /** A transaction's notices, each with the order its command was sent in. */
  private record Held(long seq, List<Notice> notices) {}

  private final Map<String, List<Held>> held = new ConcurrentHashMap<>();

  /** Parses Redis's class characters into flags; -1 for a character that names no class. */
  public static int parse(String classes) {
    int f = 0;
    for (int i = 0; i < classes.length(); i++) {
      f |=
          switch (classes.charAt(i)) {
            case 'A' -> ALL;
            case 'g' -> GENERIC;
            case '$' -> STRING;
            case 'l' -> LIST;
            case 's' -> SET;
            case 'h' -> HASH;
            case 'z' -> ZSET;
            case 'x' -> EXPIRED;
            case 'e' -> EVICTED;
            case 'K' -> KEYSPACE;
            case 'E' -> KEYEVENT;
            case 't' -> STREAM;
            case 'm' -> KEY_MISS;
            case 'd' -> MODULE;
            case 'n' -> NEW;
            default -> -1;
          };
      if (f < 0) {
        return -1;
      }
    }
    return f;
  }

  /** CONFIG GET's canonical form: 'A' for all of it, else the classes in Redis's order, then K, E, m. */
  public static String render(int f) {
    StringBuilder s = new StringBuilder();
    if ((f & ALL) == ALL) {
      s.append('A');
    } else {
      char[] names = {'g', '$', 'l', 's', 'h', 'z', 'x', 'e', 't', 'd', 'n'};
      int[] bits = {GENERIC, STRING, LIST, SET, HASH, ZSET, EXPIRED, EVICTED, STREAM, MODULE, NEW};
      for (int i = 0; i < bits.length; i++) {
        if ((f & bits[i]) != 0) {
          s.append(names[i]);
        }
      }
    }
    if ((f & KEYSPACE) != 0) {
      s.append('K');
    }
    if ((f & KEYEVENT) != 0) {
      s.append('E');
    }
    if ((f & KEY_MISS) != 0) {
      s.append('m');
    }
    return s.toString();
  }

  public int flags() {
    return flags;
  }

  public void setFlags(int flags) {
    this.flags = flags;
  }

  public void setPublisher(Publisher publisher) {
    this.publisher = publisher;
  }

  public void setTracking(KeyTracking tracking) {
    this.tracking = tracking;
  }

  /**
   * Whether a notice of this class is recorded now: its class and K or E are on, or a client
   * tracks keys (which must hear of every change, whatever is published).
   */
  public boolean wants(int type) {
    KeyTracking t = tracking;
    if (t != null && t.active()) {
      return true;
    }
    int f = flags;
    return (f & type) != 0 && (f & (KEYSPACE | KEYEVENT)) != 0;
  }

  /** Publishes notices whose writes are durable. */
  public void publish(List<Notice> notices) {
    publish(notices, 0);
  }

  /** Publishes notices whose writes are durable, written by client {@code by} (0: unknown). */
  public void publish(List<Notice> notices, long by) {
    if (notices.isEmpty()) {
      return;
    }
    KeyTracking t = tracking;
    if (t != null && t.active()) {
      t.modified(notices, by);
    }
    int f = flags;
    if ((f & (KEYSPACE | KEYEVENT)) == 0) {
      return;
    }
    // Recorded for tracking, some may be of classes nobody asked to publish.
    List<Notice> wanted = notices;
    for (Notice n : notices) {
      if ((f & n.type()) == 0) {
        wanted = notices.stream().filter(x -> (f & x.type()) != 0).toList();
        break;
      }
    }
    if (!wanted.isEmpty()) {
      publisher.publish(f, wanted);
    }
  }

  /** A runnable that publishes {@code notices} (nothing to do when there are none). */
  Runnable publishing(List<Notice> notices) {
    return publishing(notices, 0);
  }

  Runnable publishing(List<Notice> notices, long by) {
    return notices.isEmpty() ? null : () -> publish(notices, by);
  }

  /** A tracking client's read saw these keys (called where the read is answered, in slot order). */
  void remember(long client, byte[][] keys) {
    KeyTracking t = tracking;
    if (t != null && keys != null && keys.length > 0) {
      t.remember(client, keys);
    }
  }

  /** Runs {@code first} (may be null), then {@code then} (may be null). */
  static Runnable both(Runnable first, Runnable then) {
    if (first == null) {
      return then;
    }
    if (then == null) {
      return first;
    }
    return () -> {
      first.run();
      then.run();
    };
  }

  private static String txKey(String log, long txId) {
    return log + "#" + txId;
  }

  /**
   * A command of a transaction ran in a slot: its notices wait for the transaction. {@code seq}
   * orders them among the transaction's commands (the order they were sent in, which for a
   * command over several slots is not the order the slots answer in).
   */
  void hold(String log, long txId, long seq, List<Notice> notices) {
    if (!notices.isEmpty()) {
      held.compute(
          txKey(log, txId),
          (k, list) -> {
            List<Held> l = list == null ? new ArrayList<>() : list;
            l.add(new Held(seq, notices));
            return l;
          });
    }
  }

  /** The transaction is applied everywhere: its notices go out, in command order. */
  public void release(String log, long txId) {
    release(log, txId, 0);
  }

  /** As {@link #release(String, long)}, the transaction run by client {@code by} (0: none). */
  public void release(String log, long txId, long by) {
    List<Held> mine = held.remove(txKey(log, txId));
    if (mine == null) {
      return;
    }
    List<Notice> all = new ArrayList<>();
    mine.sort(Comparator.comparingLong(Held::seq));
    mine.forEach(h -> all.addAll(h.notices()));
    publish(all, by);
  }

  /** The transaction was undone: what its commands decided never happened. */
  public void discard(String log, long txId) {
    held.remove(txKey(log, txId));
  }
}
