package io.keyshard.node.pubsub;

import io.keyshard.node.server.ClientRegistry;
import io.keyshard.node.server.Session;
import io.keyshard.node.slot.Notifications;
import io.keyshard.persistence.Bytes;
import io.keyshard.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client tracking, Redis 7.0's server-assisted client-side caching, on this node
 * (docs/decisions/2026-12-07-client-tracking.md): which client read which key (the default
 * mode's table, by key name, every database alike, as in Redis), which clients listen to which
 * prefixes (BCAST), and the invalidation messages sent when a durable write, an expiry, an
 * eviction or a flush changes a key. Node-local, as in Redis Cluster: a node invalidates the
 * keys it holds for the clients connected to it.
 *
 * <p>Keys are remembered where the read is answered in its slot's order ({@link
 * Notifications.KeyTracking#remember}), and invalidated as the slot publishes a write's notices,
 * after the journal has it; so every write answered after a read invalidates what it read.
 */
public final class Tracking implements Notifications.KeyTracking {
  /** Where RESP2 clients hear of invalidations (a REDIRECT target subscribed to it). */
  public static final byte[] CHANNEL = "__redis__:invalidate".getBytes(StandardCharsets.US_ASCII);

  private static final Reply INVALIDATE = Reply.bulk("invalidate");
  private static final Reply MESSAGE = Reply.bulk("message");
  private static final Reply CHANNEL_NAME = Reply.bulk(CHANNEL);

  /** One connection's CLIENT TRACKING ON, as parsed; a new ON replaces it (prefixes add up). */
  public static final class Client {
    public final boolean bcast;
    public final boolean optin;
    public final boolean optout;
    public final boolean noloop;
    /** Client id invalidations go to; 0: this connection itself. */
    public final long redirect;
    /** BCAST prefixes, in byte order as Redis lists them. */
    final TreeSet<Bytes> prefixes;
    /** The redirect target was gone when an invalidation was due. */
    volatile boolean brokenRedirect;

    Client(boolean bcast, boolean optin, boolean optout, boolean noloop, long redirect, TreeSet<Bytes> prefixes) {
      this.bcast = bcast;
      this.optin = optin;
      this.optout = optout;
      this.noloop = noloop;
      this.redirect = redirect;
      this.prefixes = prefixes;
    }

    public boolean brokenRedirect() {
      return brokenRedirect;
    }

    public List<byte[]> prefixes() {
      return prefixes.stream().map(Bytes::array).toList();
    }
  }

  private final ClientRegistry clients;
  private final PubSub pubsub;
  /** Default mode: key name to the ids of the clients whose reads saw it. */
  private final Map<Bytes, Set<Long>> table = new ConcurrentHashMap<>();
  /** BCAST: prefix to the connections listening to it. */
  private final Map<Bytes, Set<Session>> prefixTable = new ConcurrentHashMap<>();
  private final AtomicLong items = new AtomicLong();
  private final AtomicInteger trackingClients = new AtomicInteger();
  /** tracking-table-max-keys (0: no limit). */
  private volatile long maxKeys = 1_000_000;

  public Tracking(ClientRegistry clients, PubSub pubsub) {
    this.clients = clients;
    this.pubsub = pubsub;
  }

  // ---- CLIENT TRACKING ON/OFF ----

  /**
   * Turns tracking on for {@code s} with options already checked by the caller (CLIENT
   * TRACKING's errors); prefixes add to those it has, as in Redis.
   */
  public void enable(
      Session s, long redirect, boolean bcast, boolean optin, boolean optout, boolean noloop, List<byte[]> prefixes) {
    Client old = s.tracking;
    TreeSet<Bytes> mine = old != null && old.bcast ? old.prefixes : new TreeSet<>();
    if (bcast) {
      // BCAST without PREFIX listens to every key: the empty prefix.
      List<byte[]> add = prefixes.isEmpty() ? List.of(new byte[0]) : prefixes;
      for (byte[] p : add) {
        Bytes key = Bytes.wrap(p);
        mine.add(key);
        prefixTable.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(s);
      }
    }
    if (old == null) {
      trackingClients.incrementAndGet();
    }
    s.tracking = new Client(bcast, optin, optout, noloop, redirect, mine);
  }

  /** CLIENT TRACKING OFF, RESET, a closed connection. */
  public void disable(Session s) {
    Client old = s.tracking;
    if (old == null) {
      return;
    }
    s.tracking = null;
    s.trackingCaching = false;
    trackingClients.decrementAndGet();
    for (Bytes p : old.prefixes) {
      prefixTable.computeIfPresent(
          p,
          (k, set) -> {
            set.remove(s);
            return set.isEmpty() ? null : set;
          });
    }
  }

  /**
   * Redis's error when {@code prefixes} overlap one another or those {@code s} has (one is a
   * prefix of the other), or null.
   */
  public static String prefixCollision(Session s, List<byte[]> prefixes) {
    Client c = s.tracking;
    for (int i = 0; i < prefixes.size(); i++) {
      byte[] p = prefixes.get(i);
      if (c != null) {
        for (Bytes q : c.prefixes) {
          if (overlap(p, q.array())) {
            return collision(p, "an existing", q.array());
          }
        }
      }
      for (int j = i + 1; j < prefixes.size(); j++) {
        if (overlap(p, prefixes.get(j))) {
          return collision(p, "another provided", prefixes.get(j));
        }
      }
    }
    return null;
  }

  private static boolean overlap(byte[] a, byte[] b) {
    int n = Math.min(a.length, b.length);
    return Arrays.equals(a, 0, n, b, 0, n);
  }

  private static String collision(byte[] p, String which, byte[] q) {
    return "Prefix '"
        + new String(p, StandardCharsets.UTF_8)
        + "' overlaps with "
        + which
        + " prefix '"
        + new String(q, StandardCharsets.UTF_8)
        + "'. Prefixes for a single client must not overlap.";
  }

  // ---- what a read remembers ----

  /**
   * The keys a read-only command of {@code s} should be remembered for (null: none): tracking
   * on in the default mode, and OPTIN with CLIENT CACHING YES, or OPTOUT without CLIENT CACHING NO.
   */
  public static byte[][] keysToRemember(Session s, boolean caching, byte[][] argv, int[] positions) {
    byte[][] keys = new byte[positions.length][];
    for (int i = 0; i < positions.length; i++) {
      keys[i] = argv[positions[i]];
    }
    return keysToRemember(s, caching, keys);
  }

  /** {@link #keysToRemember(Session, boolean, byte[][], int[])} for keys already picked out. */
  public static byte[][] keysToRemember(Session s, boolean caching, byte[][] keys) {
    Client c = s.tracking;
    if (c == null || c.bcast || keys.length == 0) {
      return null;
    }
    if ((c.optin && !caching) || (c.optout && caching)) {
      return null;
    }
    return keys;
  }

  /** Remembers keys a read of {@code s} saw, outside any slot (after a transaction's reply). */
  public void rememberAfter(Session s, byte[][] keys) {
    if (keys != null) {
      remember(s.id, keys);
    }
  }

  @Override
  public boolean active() {
    return trackingClients.get() > 0;
  }

  @Override
  public void remember(long client, byte[][] keys) {
    Session s = clients.get(client);
    Client c = s == null ? null : s.tracking;
    if (c == null || c.bcast) {
      return;
    }
    Long id = client;
    for (byte[] k : keys) {
      table.compute(
          Bytes.wrap(k),
          (key, ids) -> {
            Set<Long> set = ids == null ? ConcurrentHashMap.newKeySet() : ids;
            if (set.add(id)) {
              items.incrementAndGet();
            }
            return set;
          });
    }
    limit();
  }

  // ---- invalidation ----

  @Override
  public void modified(List<Notifications.Notice> notices, long by) {
    Set<Bytes> keys = new LinkedHashSet<>();
    for (Notifications.Notice n : notices) {
      keys.add(Bytes.wrap(n.key()));
    }
    if (!prefixTable.isEmpty()) {
      broadcast(keys, by);
    }
    for (Bytes k : keys) {
      invalidate(k, by);
    }
  }

  /** Default mode: every client that read {@code key} hears of it once; the key is forgotten. */
  private void invalidate(Bytes key, long by) {
    Set<Long> ids = table.remove(key);
    if (ids == null) {
      return;
    }
    items.addAndGet(-ids.size());
    Reply keys = Reply.array(List.of(Reply.bulk(key.array())));
    for (long id : ids) {
      Session target = clients.get(id);
      Client c = target == null ? null : target.tracking;
      if (c == null || c.bcast || (c.noloop && id == by)) {
        continue;
      }
      send(target, c, keys, by);
    }
  }

  /** BCAST: one message per prefix and listener, with the batch's keys under that prefix. */
  private void broadcast(Set<Bytes> keys, long by) {
    for (Map.Entry<Bytes, Set<Session>> p : prefixTable.entrySet()) {
      byte[] prefix = p.getKey().array();
      List<Reply> under = new ArrayList<>();
      for (Bytes k : keys) {
        byte[] key = k.array();
        if (key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length)) {
          under.add(Reply.bulk(key));
        }
      }
      if (under.isEmpty()) {
        continue;
      }
      Reply all = Reply.array(under);
      for (Session s : p.getValue()) {
        Client c = s.tracking;
        if (c == null || !c.bcast) {
          continue;
        }
        // NOLOOP: the keys this client wrote are left out (a batch is one command's keys).
        if (!(c.noloop && s.id == by)) {
          send(s, c, all, by);
        }
      }
    }
  }

  /**
   * FLUSHALL, FLUSHDB by client {@code by}: every tracking client hears a null invalidation;
   * the table empties.
   */
  public void flushed(long by) {
    if (active()) {
      for (Session s : clients.all()) {
        Client c = s.tracking;
        if (c != null) {
          send(s, c, Reply.NULL, by);
        }
      }
    }
    table.clear();
    items.set(0);
  }

  /**
   * Sends an invalidation for {@code c} (the tracking settings of {@code s}): to itself in RESP3,
   * or to its REDIRECT target (a push in RESP3, a message on __redis__:invalidate to a RESP2
   * subscriber). A RESP2 connection without a redirect gets nothing, as in Redis. One for the
   * connection whose command changed the key ({@code by}) follows that command's reply.
   */
  private void send(Session s, Client c, Reply keys, long by) {
    Session target = s;
    boolean redirected = false;
    if (c.redirect != 0) {
      target = clients.get(c.redirect);
      // A target that sent QUIT (or is closing) is gone already, as Redis frees it right after
      // its last reply; the registry forgets it only once its stream has ended.
      if (target == null || target.closeAfterReply || target.closed) {
        c.brokenRedirect = true;
        if (s.proto > 2) {
          pubsub.push(s, List.of(Reply.bulk("tracking-redir-broken"), Reply.integer(c.redirect)));
        }
        return;
      }
      redirected = true;
    }
    List<Reply> items;
    if (target.proto > 2) {
      items = List.of(INVALIDATE, keys);
    } else if (redirected && target.subscribed()) {
      items = List.of(MESSAGE, CHANNEL_NAME, keys);
    } else {
      return;
    }
    if (by != 0 && target.id == by) {
      target.pushAfterReply(new PubSub.Delivery(null, items));
    } else {
      pubsub.push(target, items);
    }
  }

  // ---- tracking-table-max-keys ----

  public long maxKeys() {
    return maxKeys;
  }

  /** CONFIG SET tracking-table-max-keys: a table over the new limit is cut at once. */
  public void setMaxKeys(long max) {
    maxKeys = max;
    limit();
  }

  /** Over the limit: keys are invalidated (as if written) until the table fits, as Redis does. */
  private void limit() {
    long max = maxKeys;
    if (max == 0 || table.size() <= max) {
      return;
    }
    Iterator<Bytes> it = new ArrayList<>(table.keySet()).iterator();
    while (table.size() > max && it.hasNext()) {
      invalidate(it.next(), 0);
    }
  }

  // ---- INFO ----

  public int clients() {
    return trackingClients.get();
  }

  public long totalKeys() {
    return table.size();
  }

  public long totalItems() {
    return items.get();
  }

  public long totalPrefixes() {
    return prefixTable.size();
  }

  /** CLIENT TRACKINGINFO's flags, in Redis's order. */
  public static List<Reply> flags(Session s) {
    Client c = s.tracking;
    List<Reply> f = new ArrayList<>();
    if (c == null) {
      f.add(Reply.bulk("off"));
      return f;
    }
    f.add(Reply.bulk("on"));
    if (c.bcast) {
      f.add(Reply.bulk("bcast"));
    }
    if (c.optin) {
      f.add(Reply.bulk("optin"));
      if (s.trackingCaching) {
        f.add(Reply.bulk("caching-yes"));
      }
    }
    if (c.optout) {
      f.add(Reply.bulk("optout"));
      if (s.trackingCaching) {
        f.add(Reply.bulk("caching-no"));
      }
    }
    if (c.noloop) {
      f.add(Reply.bulk("noloop"));
    }
    if (c.brokenRedirect) {
      f.add(Reply.bulk("broken_redirect"));
    }
    return f;
  }
}
