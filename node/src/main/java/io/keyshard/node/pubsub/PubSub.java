package io.keyshard.node.pubsub;

import io.keyshard.node.server.Session;
import io.keyshard.node.slot.Notifications;
import io.keyshard.persistence.Bytes;
import io.keyshard.protocol.Glob;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * This node's subscribers (docs/decisions/2026-12-07-pubsub.md): who listens to which channel,
 * pattern and shard channel, and delivery of a message to them. A subscription is registered
 * here when its confirmation leaves the connection's output stage, so no message can reach the
 * client before the confirmation; it is withdrawn the same way, so none follows the
 * confirmation of an unsubscribe.
 */
public final class PubSub {
  /** Plain channels (SUBSCRIBE), patterns (PSUBSCRIBE) and shard channels (SSUBSCRIBE). */
  public enum Kind {
    CHANNEL,
    PATTERN,
    SHARD
  }

  /** One connection's subscription to one channel or pattern. */
  public static final class Subscription {
    final Session session;
    final Kind kind;
    final Bytes name;
    /** Cleared when the unsubscribe's confirmation goes out: messages still queued are dropped. */
    volatile boolean active = true;

    public Subscription(Session session, Kind kind, Bytes name) {
      this.session = session;
      this.kind = kind;
      this.name = name;
    }

    public boolean active() {
      return active;
    }
  }

  /** A message on its way to one subscriber, with the subscription it was delivered for. */
  public record Delivery(Subscription to, List<Reply> items) {}

  /** Where a connection's deliveries go (its output stage); false if it cannot take more. */
  @FunctionalInterface
  public interface Outbox {
    boolean offer(Delivery d);
  }

  private final Map<Bytes, Set<Subscription>> channels = new ConcurrentHashMap<>();
  private final Map<Bytes, Set<Subscription>> patterns = new ConcurrentHashMap<>();
  private final Map<Bytes, Set<Subscription>> shardChannels = new ConcurrentHashMap<>();
  /** Called for a subscriber whose outbox refused a message (a slow reader: closed). */
  private volatile Consumer<Session> overflow = s -> {};

  public void onOverflow(Consumer<Session> overflow) {
    this.overflow = overflow;
  }

  private Map<Bytes, Set<Subscription>> map(Kind kind) {
    return switch (kind) {
      case CHANNEL -> channels;
      case PATTERN -> patterns;
      case SHARD -> shardChannels;
    };
  }

  /** A subscription withdrawn before its confirmation went out (RESET, a close) stays out. */
  public void register(Subscription s) {
    if (!s.active) {
      return;
    }
    map(s.kind).computeIfAbsent(s.name, k -> ConcurrentHashMap.newKeySet()).add(s);
  }

  public void unregister(Subscription s) {
    s.active = false;
    withdraw(s);
  }

  /**
   * An UNSUBSCRIBE as it runs: a PUBLISH from now on neither counts nor reaches the
   * subscription (as in Redis, where the unsubscribe ran first), while messages already queued
   * for it still go out ahead of the confirmation, which then {@link #unregister}s it.
   */
  public void withdraw(Subscription s) {
    map(s.kind)
        .computeIfPresent(
            s.name,
            (k, set) -> {
              set.remove(s);
              return set.isEmpty() ? null : set;
            });
  }

  /** PUBLISH on this node: every subscriber of the channel and of a matching pattern; how many. */
  public int publish(byte[] channel, byte[] message) {
    int n = 0;
    Bytes key = Bytes.wrap(channel);
    Reply c = Reply.bulk(channel);
    Reply m = Reply.bulk(message);
    for (Subscription s : channels.getOrDefault(key, Set.of())) {
      n += deliver(s, List.of(Reply.bulk("message"), c, m));
    }
    for (Map.Entry<Bytes, Set<Subscription>> p : patterns.entrySet()) {
      if (Glob.match(p.getKey().array(), channel, false)) {
        Reply pattern = Reply.bulk(p.getKey().array());
        for (Subscription s : p.getValue()) {
          n += deliver(s, List.of(Reply.bulk("pmessage"), pattern, c, m));
        }
      }
    }
    return n;
  }

  /**
   * Keyspace notifications whose writes are durable (slot/Notifications), published here only:
   * as Redis Cluster, a node publishes the events of its own keys to its own subscribers.
   * {@code flags} says which of the two channels each goes to (K, E).
   */
  public void keyspaceEvents(int flags, List<Notifications.Notice> notices) {
    if (channels.isEmpty() && patterns.isEmpty()) {
      return;
    }
    for (Notifications.Notice n : notices) {
      byte[] event = n.event().getBytes(StandardCharsets.US_ASCII);
      if ((flags & Notifications.KEYSPACE) != 0) {
        publish(channel("__keyspace@", n.db(), n.key()), event);
      }
      if ((flags & Notifications.KEYEVENT) != 0) {
        publish(channel("__keyevent@", n.db(), event), n.key());
      }
    }
  }

  private static byte[] channel(String prefix, int db, byte[] suffix) {
    byte[] head = (prefix + db + "__:").getBytes(StandardCharsets.US_ASCII);
    byte[] c = Arrays.copyOf(head, head.length + suffix.length);
    System.arraycopy(suffix, 0, c, head.length, suffix.length);
    return c;
  }

  /** SPUBLISH on this node (the channel's slot is served here). */
  public int publishShard(byte[] channel, byte[] message) {
    int n = 0;
    Reply c = Reply.bulk(channel);
    Reply m = Reply.bulk(message);
    for (Subscription s : shardChannels.getOrDefault(Bytes.wrap(channel), Set.of())) {
      n += deliver(s, List.of(Reply.bulk("smessage"), c, m));
    }
    return n;
  }

  private int deliver(Subscription s, List<Reply> items) {
    Outbox out = s.session.outbox;
    if (out == null || !s.active) {
      return 0;
    }
    if (!out.offer(new Delivery(s, items))) {
      overflow.accept(s.session);
    }
    return 1;
  }

  /**
   * A message for one connection that is no subscription's (client tracking's invalidations):
   * it always goes out, a push in RESP3, an array in RESP2.
   */
  void push(Session s, List<Reply> items) {
    Outbox out = s.outbox;
    if (out != null && !out.offer(new Delivery(null, items))) {
      overflow.accept(s);
    }
  }

  /** PUBSUB NUMSUB / SHARDNUMSUB: subscribers of one channel on this node. */
  public int subscribers(Kind kind, byte[] channel) {
    return map(kind).getOrDefault(Bytes.wrap(channel), Set.of()).size();
  }

  /** PUBSUB NUMPAT: patterns with a subscriber on this node. */
  public int patternCount() {
    return patterns.size();
  }

  /** PUBSUB CHANNELS / SHARDCHANNELS: channels with a subscriber, matching {@code pattern} (null: all). */
  public List<byte[]> active(Kind kind, byte[] pattern) {
    List<byte[]> names = new ArrayList<>();
    for (Bytes name : map(kind).keySet()) {
      if (pattern == null || Glob.match(pattern, name.array(), false)) {
        names.add(name.array());
      }
    }
    return names;
  }

  /**
   * Slots this node no longer serves: each subscriber of a shard channel in one of them is
   * unsubscribed and told so with a {@code sunsubscribe} message, as Redis 7.0 does when a slot
   * moves away (its client then subscribes again at the new owner).
   */
  public void slotsLost(java.util.function.IntPredicate lost) {
    List<Subscription> found = new ArrayList<>();
    shardChannels.forEach(
        (name, subs) -> {
          if (lost.test(io.keyshard.protocol.Slots.slot(name.array()))) {
            found.addAll(subs);
          }
        });
    for (Subscription s : found) {
      Map<Bytes, Subscription> mine = s.session.shardChannels;
      boolean removed;
      int left;
      synchronized (mine) {
        removed = mine.remove(s.name, s);
        left = mine.size();
      }
      unregister(s);
      Outbox out = s.session.outbox;
      if (removed && out != null) {
        // Not tied to the subscription (withdrawn now): it always goes out.
        out.offer(new Delivery(null, List.of(Reply.bulk("sunsubscribe"), Reply.bulk(s.name.array()), Reply.integer(left))));
      }
    }
  }
}
